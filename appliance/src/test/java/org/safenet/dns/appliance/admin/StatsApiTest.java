package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Flags;

/**
 * Statistics end to end: a known number of queries from known clients (distinct 127.0.2.x
 * source addresses) over real UDP, then the API's figures: exact counts where they are exact
 * (counters, and the sketches below their capacity), and the same figures after a restart.
 */
class StatsApiTest {
    @TempDir
    Path dir;

    @Test
    void figuresAfterKnownTrafficAreExactAndSurviveARestart() throws Exception {
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start()) {
            upstream.add("example.org. 300 IN SOA ns.example.org. h.example.org. 1 3600 600 86400 300");
            upstream.add("fine.example.org. 300 IN A 192.0.2.10");
            long from = System.currentTimeMillis() - 60_000;
            JsonNode before;
            try (AdminTestAppliance app =
                    AdminTestAppliance.start(dir, upstream.hostPort(), "stats:\n  clients: full\n")) {
                app.admin("POST", "/api/v1/entries", "{\"name\":\"stat-scam.example\",\"category\":\"scam\"}");
                app.admin("POST", "/api/v1/entries", "{\"name\":\"stat-phish.example\",\"category\":\"phishing\"}");
                for (int c = 1; c <= 5; c++) {
                    String client = "127.0.2." + c;
                    for (int i = 0; i < 3; i++) {
                        app.query(client, "a.stat-scam.example");
                    }
                    app.query(client, "b" + c + ".stat-scam.example");
                    if (c <= 2) {
                        app.query(client, "stat-phish.example");
                    }
                    app.query(client, "fine.example.org");
                    app.query(client, "fine.example.org");
                }
                before = app.admin("GET", "/api/v1/stats?from=" + from, null).json();
                assertThat(before.path("queries").asLong())
                        .as(before.toString())
                        .isEqualTo(32);
                assertThat(before.path("blocked").asLong()).isEqualTo(22);
                assertThat(before.at("/blockedByCategory/scam").asLong()).isEqualTo(20);
                assertThat(before.at("/blockedByCategory/phishing").asLong()).isEqualTo(2);
                assertThat(before.path("cacheHits").asLong()).isEqualTo(9);
                assertThat(before.path("distinctClients").asLong()).isEqualTo(5);
                assertThat(before.path("protectedClients").asLong()).isEqualTo(5);
                assertThat(before.at("/protectedClientsByCategory/scam").asLong())
                        .isEqualTo(5);
                assertThat(before.at("/protectedClientsByCategory/phishing").asLong())
                        .isEqualTo(2);
                assertThat(before.path("distinctBlockedNames").asLong()).isEqualTo(7); // a, b1..b5, stat-phish
                assertThat(before.at("/actions/sinkhole").asLong()).isEqualTo(22);
                assertThat(before.at("/answers/NOERROR").asLong()).isEqualTo(32);

                JsonNode top = app.admin("GET", "/api/v1/stats/top?kind=blocked&limit=3&from=" + from, null)
                        .json();
                assertThat(top.at("/items/0/name").asText()).isEqualTo("a.stat-scam.example");
                assertThat(top.at("/items/0/count").asLong()).isEqualTo(15);
                assertThat(top.path("maxError").asLong()).isZero();
                JsonNode clients = app.admin("GET", "/api/v1/stats/top?kind=clients&from=" + from, null)
                        .json();
                assertThat(clients.path("items").size()).isEqualTo(5);
                assertThat(clients.at("/items/0/client").asText()).isIn("127.0.2.1", "127.0.2.2");
                assertThat(clients.at("/items/0/count").asLong()).isEqualTo(7);

                JsonNode series = app.admin("GET", "/api/v1/stats/series?resolution=minute&from=" + from, null)
                        .json();
                long sum = 0;
                for (JsonNode p : series.path("points")) {
                    sum += p.path("queries").asLong();
                }
                assertThat(sum).isEqualTo(32);
                // The hour and day buckets got the same counts as the minutes.
                assertThat(app.admin("GET", "/api/v1/stats?resolution=day&from=" + from, null)
                                .json()
                                .path("queries")
                                .asLong())
                        .isEqualTo(32);
                assertThat(app.admin("GET", "/api/v1/stats?resolution=hour&from=" + from, null)
                                .json()
                                .path("protectedClients")
                                .asLong())
                        .isEqualTo(5);
                app.query("127.0.2.9", "a.stat-scam.example"); // counted after the last read: the stop must flush it
            }
            try (AdminTestAppliance again =
                    AdminTestAppliance.start(dir, upstream.hostPort(), "stats:\n  clients: full\n")) {
                JsonNode after =
                        again.admin("GET", "/api/v1/stats?from=" + from, null).json();
                assertThat(after.path("queries").asLong()).isEqualTo(33);
                assertThat(after.path("blocked").asLong()).isEqualTo(23);
                assertThat(after.path("protectedClients").asLong()).isEqualTo(6);
                assertThat(after.path("distinctBlockedNames").asLong()).isEqualTo(7);
                assertThat(after.at("/sinceStart/queries").asLong()).isZero();
            }
        }
    }

    @Test
    void truncatedClientKeysShowPrefixesOnly() throws Exception {
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start();
                AdminTestAppliance app = AdminTestAppliance.start(dir, upstream.hostPort(), "")) {
            app.admin("POST", "/api/v1/entries", "{\"name\":\"trunc.example\",\"category\":\"scam\"}");
            for (int c = 1; c <= 4; c++) {
                app.query("127.0.3." + c, "trunc.example");
            }
            JsonNode clients =
                    app.admin("GET", "/api/v1/stats/top?kind=clients", null).json();
            assertThat(clients.path("clientKeys").asText()).isEqualTo("truncate");
            assertThat(clients.path("items").findValuesAsText("client")).contains("127.0.3.0/24");
            assertThat(clients.toString()).doesNotContain("127.0.3.1\"").doesNotContain("127.0.3.4\"");
            // Distinct counts still count whole addresses.
            assertThat(app.admin("GET", "/api/v1/stats", null)
                            .json()
                            .path("protectedClients")
                            .asLong())
                    .isEqualTo(4);
        }
    }

    @Test
    void clientsOverTheRateLimitAreCountedAndListedAsTopLimited() throws Exception {
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start();
                AdminTestAppliance app = AdminTestAppliance.start(
                        dir, upstream.hostPort(), "stats:\n  clients: full\nlimits:\n  clientQps: 1\n  exempt: []\n")) {
            app.admin("POST", "/api/v1/entries", "{\"name\":\"limited.example\",\"category\":\"scam\"}");
            int truncated = 0;
            for (int i = 0; i < 20; i++) {
                if (app.query("127.0.4.1", "limited.example").getHeader().getFlag(Flags.TC)) {
                    truncated++;
                }
            }
            app.query("127.0.4.2", "limited.example");
            assertThat(truncated)
                    .as("1 q/s, bursts of 2: most of 20 at once are over")
                    .isPositive();

            JsonNode summary = app.admin("GET", "/api/v1/stats", null).json();
            assertThat(summary.path("limited").asLong()).isEqualTo(truncated);
            JsonNode top =
                    app.admin("GET", "/api/v1/stats/top?kind=limited", null).json();
            assertThat(top.path("kind").asText()).isEqualTo("limited");
            assertThat(top.path("clientKeys").asText()).isEqualTo("full");
            assertThat(top.path("items").size()).as(top.toString()).isEqualTo(1);
            assertThat(top.at("/items/0/client").asText()).isEqualTo("127.0.4.1");
            assertThat(top.at("/items/0/count").asLong()).isEqualTo(truncated);
            assertThat(app.admin("GET", "/api/v1/stats/top?kind=limits", null).status())
                    .isEqualTo(400);
        }
    }
}
