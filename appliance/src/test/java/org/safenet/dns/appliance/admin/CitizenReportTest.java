package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.ScriptedAuthServer;

/**
 * A citizen's report from the public form to a block on every appliance of a fleet: filed on the
 * primary's block page, accepted by an operator through the API, answered with the sinkhole on
 * the primary at once and on an RPZ follower after NOTIFY and a transfer; counted in the month's
 * figures and recorded in the audit trail as the report path's.
 */
class CitizenReportTest {
    @TempDir
    Path dir;

    @Test
    void anAcceptedReportIsBlockedOnThePrimaryAndItsFollower() throws Exception {
        int primaryPort = KnotServer.freePort();
        int followerPort = KnotServer.freePort();
        Path a = Files.createDirectories(dir.resolve("primary"));
        Path b = Files.createDirectories(dir.resolve("follower"));
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start();
                AdminTestAppliance primary = AdminTestAppliance.startWithBlockPage(
                        a, upstream.hostPort(), """
                        distribution:
                          enabled: true
                          zone: rpz.fleet.test
                          allowTransfer: ["127.0.0.0/8"]
                          notify: ["127.0.0.1:%d"]
                        """.formatted(followerPort), "\"127.0.0.1:" + primaryPort + "\"");
                AdminTestAppliance follower = AdminTestAppliance.start(
                        b, upstream.hostPort(), """
                        sync:
                          sources:
                            - name: fleet
                              type: rpz
                              primary: "127.0.0.1:%d"
                              zone: rpz.fleet.test
                              category: scam
                              action: block
                        """.formatted(primaryPort), "\"127.0.0.1:" + followerPort + "\"")) {
            String name = "vay-tien-nhanh.example";
            assertThat(DnsProbe.firstAnswer(primary.query("127.0.0.1", "www." + name)))
                    .isNotEqualTo("127.0.0.1");

            // A citizen reports it twice (a URL, then the bare name): one open report, counted twice.
            AdminTestAppliance.Reply filed = primary.blockPageForm(
                    "/report",
                    "vi-VN,vi;q=0.9",
                    "domain",
                    "https://" + name + "/dang-nhap",
                    "category",
                    "scam",
                    "description",
                    "Tin nhắn giả ngân hàng",
                    "contact",
                    "0901234567");
            assertThat(filed.status()).isEqualTo(200);
            assertThat(filed.text()).contains("Cảm ơn bạn").contains(name);
            primary.blockPageForm("/report", "en", "domain", name, "category", "phishing");
            JsonNode open = primary.admin("GET", "/api/v1/reports", null).json().path("items");
            assertThat(open).hasSize(1);
            JsonNode report = open.get(0);
            assertThat(report.path("domain").asText()).isEqualTo(name);
            assertThat(report.path("category").asText()).isEqualTo("scam");
            assertThat(report.path("count").asInt()).isEqualTo(2);
            assertThat(report.path("status").asText()).isEqualTo("open");
            String id = report.path("id").asText();

            // A viewer cannot decide; an operator accepts it with a list category.
            String viewer = primary.admin("POST", "/api/v1/tokens", "{\"name\":\"watcher\",\"role\":\"viewer\"}")
                    .json()
                    .path("token")
                    .asText();
            assertThat(primary.call("POST", "/api/v1/reports/" + id + "/accept", viewer, "{\"category\":\"scam\"}")
                            .status())
                    .isEqualTo(403);
            // A viewer sees the report, not who made it.
            JsonNode seen =
                    primary.call("GET", "/api/v1/reports/" + id, viewer, null).json();
            assertThat(seen.path("count").asInt()).isEqualTo(2);
            assertThat(seen.path("contacts")).isEmpty();
            assertThat(seen.path("client").isNull()).isTrue();
            assertThat(report.path("client").asText()).isEqualTo("127.0.0.1");
            assertThat(report.path("contacts").toString()).isEqualTo("[\"0901234567\"]");
            assertThat(primary.admin("POST", "/api/v1/reports/" + id + "/accept", "{\"category\":\"nonsense\"}")
                            .status())
                    .isEqualTo(400);
            AdminTestAppliance.Reply accepted = primary.admin(
                    "POST", "/api/v1/reports/" + id + "/accept", "{\"category\":\"phishing\",\"note\":\"checked\"}");
            assertThat(accepted.status()).as(accepted.text()).isEqualTo(200);
            assertThat(accepted.json().path("status").asText()).isEqualTo("accepted");
            assertThat(accepted.json().at("/entry/source").asText()).isEqualTo("reports");
            assertThat(primary.admin("POST", "/api/v1/reports/" + id + "/reject", "{}")
                            .status())
                    .isEqualTo(409);

            // Live at once on the primary, the name and everything under it.
            assertThat(DnsProbe.firstAnswer(primary.query("127.0.0.1", "www." + name)))
                    .isEqualTo("127.0.0.1");
            assertThat(primary.admin("GET", "/api/v1/explain?name=www." + name, null)
                            .json()
                            .path("source")
                            .asText())
                    .isEqualTo("reports");
            // And on the follower, by NOTIFY and a transfer.
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(DnsProbe.firstAnswer(follower.query("127.0.0.1", "www." + name)))
                            .isEqualTo("127.0.0.1"));

            JsonNode months =
                    primary.admin("GET", "/api/v1/stats/reports", null).json().path("months");
            JsonNode month = months.elements().next();
            assertThat(month.path("received").asInt()).isEqualTo(2);
            assertThat(month.path("accepted").asInt()).isEqualTo(1);
            JsonNode audit = primary.admin("GET", "/api/v1/audit?via=report", null)
                    .json()
                    .path("items");
            assertThat(audit).hasSize(1);
            assertThat(audit.get(0).path("action").asText()).isEqualTo("report.accept");
            assertThat(audit.get(0).path("target").asText()).isEqualTo(name);
            assertThat(audit.get(0).path("role").asText()).isEqualTo("admin");

            // The name may be reported anew once decided; a rejected report blocks nothing.
            primary.blockPageForm("/report", "en", "domain", "harmless-shop.example", "category", "other");
            String second = primary.admin("GET", "/api/v1/reports?status=open", null)
                    .json()
                    .at("/items/0/id")
                    .asText();
            assertThat(primary.admin("POST", "/api/v1/reports/" + second + "/reject", "{\"note\":\"a real shop\"}")
                            .json()
                            .path("status")
                            .asText())
                    .isEqualTo("rejected");
            assertThat(DnsProbe.firstAnswer(primary.query("127.0.0.1", "harmless-shop.example")))
                    .isNotEqualTo("127.0.0.1");
        }
    }
}
