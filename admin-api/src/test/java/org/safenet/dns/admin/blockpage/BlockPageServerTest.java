package org.safenet.dns.admin.blockpage;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.admin.appeals.AppealBox;
import org.safenet.dns.admin.appeals.ReportBox;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.importer.Explainer;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.listen.Transports;

/** The block page over a real socket, with a real store behind it; HTTP written by hand so the Host header is ours. */
class BlockPageServerTest {
    @TempDir
    Path dir;

    private static final Categories SCAM = Categories.of(Map.of("scam", "sinkhole"));

    private BlocklistStore store;
    private MultiThreadIoEventLoopGroup group;
    private BlockPageServer server;
    private ReportBox reports;

    @BeforeEach
    void start() throws Exception {
        store = BlocklistStore.open(dir);
        store.apply(new BlocklistStore.Changes()
                .block(new StoredEntry(
                        "vn.example.vay-tien", Match.SUBTREE, Action.BLOCK, "scam", "national", "", 1, 0, null)));
        Transports t = Transports.best();
        group = t.newGroup(1);
        server = new BlockPageServer(
                new InetSocketAddress("127.0.0.1", 0),
                group,
                t,
                store,
                () -> SCAM,
                new AppealBox(
                        store,
                        host -> {
                            try {
                                return Explainer.explain(store, SCAM, host).blocked();
                            } catch (BlocklistStore.StoreException | IllegalArgumentException e) {
                                return false;
                            }
                        },
                        () -> 1_700_000_000_000L),
                reports = new ReportBox(store, () -> 1_700_000_000_000L, ZoneId.of("Asia/Ho_Chi_Minh")));
    }

    @AfterEach
    void stop() {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        store.close();
    }

    private String http(String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server.address(), 5000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void get_anyPathOfABlockedHost_showsTheWarningInVietnameseByDefault() throws IOException {
        String r = http("GET /login?x=1 HTTP/1.1\r\nHost: www.vay-tien.example.vn\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 403");
        assertThat(r)
                .contains("<html lang=\"vi\">")
                .contains("Trang web này đã bị chặn")
                .doesNotContain("This site was blocked");
        assertThat(r)
                .contains("www.vay-tien.example.vn")
                .contains("<dd>lừa đảo</dd>")
                .contains("v1/www.vay-tien.example.vn")
                .contains("href=\"?lang=en\"")
                .contains("href=\"/report?lang=vi\"");
        assertThat(r).contains("Content-Security-Policy").contains("no-store");
    }

    @Test
    void get_followsAcceptLanguage_andLangOverridesIt() throws IOException {
        String en = http(
                "GET / HTTP/1.1\r\nHost: www.vay-tien.example.vn\r\nAccept-Language: en-US,en;q=0.9,vi;q=0.5\r\n\r\n");
        assertThat(en)
                .contains("<html lang=\"en\">")
                .contains("This site was blocked")
                .contains("<dd>scam</dd>");
        String vi = http(
                "GET / HTTP/1.1\r\nHost: www.vay-tien.example.vn\r\nAccept-Language: fr, vi;q=0.8, en;q=0.7\r\n\r\n");
        assertThat(vi).contains("<html lang=\"vi\">");
        String unknown = http("GET / HTTP/1.1\r\nHost: www.vay-tien.example.vn\r\nAccept-Language: de-DE\r\n\r\n");
        assertThat(unknown).contains("<html lang=\"vi\">");
        String asked = http("GET /?lang=en HTTP/1.1\r\nHost: www.vay-tien.example.vn\r\nAccept-Language: vi\r\n\r\n");
        assertThat(asked).contains("<html lang=\"en\">").contains("Report another scam site");
    }

    @Test
    void get_hostileHostHeader_isEscaped() throws IOException {
        String r = http("GET / HTTP/1.1\r\nHost: \"><script>alert(1)</script>\r\n\r\n");
        assertThat(r).doesNotContain("<script>alert(1)</script>");
        assertThat(r).contains("&lt;script&gt;");
    }

    @Test
    void postAppeal_isStoredWithClientAndReason() throws IOException {
        String body = "host=" + URLEncoder.encode("www.vay-tien.example.vn", StandardCharsets.UTF_8) + "&reason="
                + URLEncoder.encode("Đây là trang của công ty tôi <b>", StandardCharsets.UTF_8);
        String r = http(
                "POST /appeal HTTP/1.1\r\nHost: www.vay-tien.example.vn\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body);
        assertThat(r).startsWith("HTTP/1.1 200").contains("Cảm ơn bạn");
        assertThat(store.appeals()).singleElement().satisfies(a -> {
            assertThat(a.host()).isEqualTo("www.vay-tien.example.vn");
            assertThat(a.reason()).isEqualTo("Đây là trang của công ty tôi <b>");
            assertThat(a.clientAddress()).isEqualTo("127.0.0.1");
            assertThat(a.listVersion()).isEqualTo(1);
        });
    }

    @Test
    void postAppeal_withoutReason_isRejectedAndNothingStored() throws IOException {
        String body = "host=x.example";
        String r = http(
                "POST /appeal HTTP/1.1\r\nHost: x.example\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertThat(r).startsWith("HTTP/1.1 400");
        assertThat(store.appeals()).isEmpty();
    }

    @Test
    void oversizedRequest_isRefused() throws IOException {
        // Refused on the declared length alone, before any of the body is sent.
        String r;
        try (Socket s = new Socket()) {
            s.connect(server.address(), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream()
                    .write("POST /appeal HTTP/1.1\r\nHost: a\r\nContent-Length: 50000\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            r = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
        }
        assertThat(r).startsWith("HTTP/1.1 413");
        assertThat(store.appeals()).isEmpty();
    }

    private String appeal(String host, String reason) throws IOException {
        String body = "host=" + URLEncoder.encode(host, StandardCharsets.UTF_8) + "&reason="
                + URLEncoder.encode(reason, StandardCharsets.UTF_8);
        return http("POST /appeal HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body);
    }

    @Test
    void postAppeal_forANameTheListDoesNotBlock_isNotTaken() throws IOException {
        String r = appeal("www.example.com", "not even blocked");
        assertThat(r).startsWith("HTTP/1.1 422").contains("không có trong danh sách chặn");
        assertThat(store.appeals()).isEmpty();
    }

    @Test
    void appealFlood_fromOneClient_isCutOffAndLongReasonsAreCut() throws IOException {
        // The outside testing's flood: many appeals with long reasons. Ten a client an hour are
        // taken, the rest answered 429; reasons are kept to their bound.
        String longReason = "x".repeat(15_000);
        int taken = 0;
        int refused = 0;
        for (int i = 0; i < 30; i++) {
            String r = appeal("h" + i + ".vay-tien.example.vn", longReason);
            if (r.startsWith("HTTP/1.1 200")) {
                taken++;
            } else if (r.startsWith("HTTP/1.1 429")) {
                assertThat(r).containsIgnoringCase("Retry-After: 3600");
                refused++;
            }
        }
        assertThat(taken).isEqualTo(AppealBox.PER_CLIENT_PER_HOUR);
        assertThat(refused).isEqualTo(30 - AppealBox.PER_CLIENT_PER_HOUR);
        assertThat(store.appeals())
                .hasSize(AppealBox.PER_CLIENT_PER_HOUR)
                .allSatisfy(a -> assertThat(a.reason()).hasSize(AppealBox.MAX_REASON_CHARS));
    }

    private String report(String client, String lang, String... fields) throws IOException {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < fields.length; i += 2) {
            body.append(i == 0 ? "" : "&")
                    .append(fields[i])
                    .append('=')
                    .append(URLEncoder.encode(fields[i + 1], StandardCharsets.UTF_8));
        }
        byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
        return http("POST /report HTTP/1.1\r\nHost: " + client + "\r\nAccept-Language: " + lang
                + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + b.length + "\r\n\r\n"
                + body);
    }

    private ReportBox.Page openReports() {
        return reports.list("all", 100, null);
    }

    @Test
    void reportForm_isServedInTheVisitorsLanguage_withEveryFieldLabelled() throws IOException {
        String vi = http("GET /report?domain=lua-dao.example HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n");
        assertThat(vi)
                .startsWith("HTTP/1.1 200")
                .contains("Báo cáo trang web lừa đảo")
                .contains("value=\"lua-dao.example\"");
        for (String field : new String[] {"domain", "category", "description", "contact"}) {
            assertThat(vi).contains("<label for=\"" + field + "\">").contains("name=\"" + field + "\"");
        }
        String en = http("GET /report HTTP/1.1\r\nHost: 192.0.2.1\r\nAccept-Language: en\r\n\r\n");
        assertThat(en).contains("Report a scam, phishing or malicious website").contains("<option value=\"phishing\"");
    }

    @Test
    void postReport_isStored_andAURLGivesItsDomain() throws IOException {
        String r = report(
                "report.example",
                "en",
                "domain",
                "https://user@Vay-Nhanh.Example.VN:8443/login?x=1",
                "category",
                "phishing",
                "description",
                "asks for my bank OTP",
                "contact",
                "an@example.vn");
        assertThat(r).startsWith("HTTP/1.1 200").contains("Thank you").contains("vay-nhanh.example.vn");
        assertThat(openReports().items()).singleElement().satisfies(x -> {
            assertThat(x.domain()).isEqualTo("vay-nhanh.example.vn");
            assertThat(x.category()).isEqualTo("phishing");
            assertThat(x.descriptions()).containsExactly("asks for my bank OTP");
            assertThat(x.contacts()).containsExactly("an@example.vn");
            assertThat(x.client()).isEqualTo("127.0.0.1");
            assertThat(x.status()).isEqualTo("open");
            assertThat(x.count()).isEqualTo(1);
        });
    }

    @Test
    void postReport_ofAnOpenDomain_isMergedWithACounter() throws IOException {
        report("a", "vi", "domain", "lua-dao.example", "category", "scam", "description", "first");
        report("a", "vi", "domain", "http://www.LUA-DAO.example/", "category", "scam", "description", "other");
        report("a", "vi", "domain", "www.lua-dao.example", "category", "scam", "description", "first");
        assertThat(openReports().items()).hasSize(2);
        ReportBox.Report www = openReports().items().stream()
                .filter(x -> x.domain().equals("www.lua-dao.example"))
                .findFirst()
                .orElseThrow();
        assertThat(www.count()).isEqualTo(2);
        assertThat(www.descriptions()).containsExactly("other", "first");
    }

    @Test
    void postReport_invalidFields_getTheFormBackAndNothingIsStored() throws IOException {
        for (String domain :
                new String[] {"", "not a domain", "192.0.2.7", "localhost", "a..b.example", "x".repeat(300) + ".example"
                }) {
            String r = report("a", "en", "domain", domain, "category", "scam");
            assertThat(r).as(domain).startsWith("HTTP/1.1 400").contains("the site address is not valid");
        }
        String r = report("a", "en", "domain", "ok.example", "category", "<script>");
        assertThat(r)
                .startsWith("HTTP/1.1 400")
                .contains("choose what the site is")
                .doesNotContain("<script>");
        assertThat(openReports().items()).isEmpty();
    }

    @Test
    void postReport_everyFieldIsEscaped() throws IOException {
        String attack = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";
        String refused =
                report("a", "en", "domain", attack, "category", "scam", "description", attack, "contact", attack);
        assertThat(refused)
                .startsWith("HTTP/1.1 400")
                .doesNotContain("<script>")
                .doesNotContain("<img")
                .contains("&lt;script&gt;");
        String taken = report(
                "a",
                "en",
                "domain",
                "xss.example/" + attack,
                "category",
                "scam",
                "description",
                attack,
                "contact",
                attack);
        assertThat(taken).startsWith("HTTP/1.1 200").doesNotContain("<script>").doesNotContain("<img");
        // Stored as given (the console shows it with textContent), cut to its bounds.
        assertThat(openReports().items()).singleElement().satisfies(x -> {
            assertThat(x.domain()).isEqualTo("xss.example");
            assertThat(x.descriptions()).containsExactly(attack);
        });
    }

    @Test
    void postReport_aVietnameseReportAtEveryLimitFits() throws IOException {
        String r = report(
                "a",
                "vi",
                "domain",
                "https://lua-dao.example/" + "đ".repeat(900),
                "category",
                "scam",
                "description",
                "ệ".repeat(ReportBox.MAX_DESCRIPTION_CHARS),
                "contact",
                "ệ".repeat(ReportBox.MAX_CONTACT_CHARS));
        assertThat(r).startsWith("HTTP/1.1 200");
        assertThat(openReports().items())
                .singleElement()
                .satisfies(x -> assertThat(x.descriptions().getFirst()).hasSize(ReportBox.MAX_DESCRIPTION_CHARS));
    }

    @Test
    void postReport_longFieldsAreCut_andAFloodFromOneClientIsCutOff() throws IOException {
        int taken = 0;
        int refused = 0;
        for (int i = 0; i < 25; i++) {
            String r = report(
                    "a",
                    "en",
                    "domain",
                    "flood" + i + ".example",
                    "category",
                    "scam",
                    "description",
                    "d".repeat(5000),
                    "contact",
                    "c".repeat(500));
            if (r.startsWith("HTTP/1.1 200")) {
                taken++;
            } else {
                assertThat(r).startsWith("HTTP/1.1 429").containsIgnoringCase("Retry-After: 3600");
                refused++;
            }
        }
        assertThat(taken).isEqualTo(ReportBox.PER_CLIENT_PER_HOUR);
        assertThat(refused).isEqualTo(25 - ReportBox.PER_CLIENT_PER_HOUR);
        assertThat(openReports().items()).hasSize(ReportBox.PER_CLIENT_PER_HOUR).allSatisfy(x -> {
            assertThat(x.descriptions().getFirst()).hasSize(ReportBox.MAX_DESCRIPTION_CHARS);
            assertThat(x.contacts().getFirst()).hasSize(ReportBox.MAX_CONTACT_CHARS);
        });
    }
}
