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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.admin.appeals.AppealBox;
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
                        () -> 1_700_000_000_000L));
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
    void get_anyPathOfABlockedHost_showsTheWarningInBothLanguages() throws IOException {
        String r = http("GET /login?x=1 HTTP/1.1\r\nHost: www.vay-tien.example.vn\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 403");
        assertThat(r).contains("Trang web này đã bị chặn").contains("This site was blocked");
        assertThat(r)
                .contains("www.vay-tien.example.vn")
                .contains("<dd>scam</dd>")
                .contains("v1/www.vay-tien.example.vn");
        assertThat(r).contains("Content-Security-Policy").contains("no-store");
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
                    .write("POST /appeal HTTP/1.1\r\nHost: a\r\nContent-Length: 20000\r\n\r\n"
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
        assertThat(r).startsWith("HTTP/1.1 422").contains("not on the blocklist");
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
}
