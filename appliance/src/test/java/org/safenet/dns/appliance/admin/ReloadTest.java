package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.admin.api.ReloadOutcome;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.safenet.dns.testkit.TestCertificates;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/**
 * Configuration reload while queries flow: upstreams, the block page address and a category
 * change several times, and not one query goes unanswered; what needs a restart is reported;
 * an invalid file changes nothing and says why; the admin API's reload does the same.
 */
class ReloadTest {
    @TempDir
    Path dir;

    /** The whole config file, as AdminTestAppliance writes it, with the parts this test varies. */
    private String config(String upstream, String blockPage, String gambling, int threads) {
        return """
                server:
                  listen: ["127.0.0.1:0"]
                  threads: %d
                upstream:
                  servers: ["%s"]
                  timeout: 500ms
                  attempts: 1
                blocklist:
                  blockPage: ["%s"]
                  blockPageListen: []
                  categories:
                    gambling: %s
                admin:
                  listen: ["127.0.0.1:0"]
                  sourceFileDirs: ["%s"]
                dataDir: "%s"
                """.formatted(threads, upstream, blockPage, gambling, dir.resolve("lists"), dir.resolve("data"));
    }

    @Test
    void reloadsUnderLoadLoseNoQueryAndABadFileChangesNothing() throws Exception {
        try (ScriptedAuthServer a = ScriptedAuthServer.start();
                ScriptedAuthServer b = ScriptedAuthServer.start()) {
            for (ScriptedAuthServer s : new ScriptedAuthServer[] {a, b}) {
                s.add("example.org. 300 IN SOA ns.example.org. h.example.org. 1 3600 600 86400 300");
                s.add("fine.example.org. 300 IN A 192.0.2.10");
            }
            Path file = dir.resolve("safenet.yaml");
            try (AdminTestAppliance app = AdminTestAppliance.start(dir, a.hostPort(), "")) {
                app.admin("POST", "/api/v1/entries", "{\"name\":\"reload-scam.example\",\"category\":\"scam\"}");
                app.admin("POST", "/api/v1/entries", "{\"name\":\"reload-casino.example\",\"category\":\"gambling\"}");

                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger sent = new AtomicInteger();
                AtomicInteger lost = new AtomicInteger();
                Thread load = Thread.ofPlatform().start(() -> {
                    String[] names = {"fine.example.org.", "www.reload-scam.example.", "reload-casino.example."};
                    try (DatagramSocket s =
                            new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                        s.setSoTimeout(2000);
                        byte[] buf = new byte[4096];
                        // Bounded: at most 200,000 queries, and it stops when the reloads are done.
                        for (int i = 0; running.get() && i < 200_000; i++) {
                            byte[] q = DnsProbe.query(names[i % names.length], Type.A, 1232)
                                    .toWire();
                            s.send(new DatagramPacket(q, q.length, app.dns));
                            sent.incrementAndGet();
                            try {
                                s.receive(new DatagramPacket(buf, buf.length));
                            } catch (SocketTimeoutException e) {
                                lost.incrementAndGet();
                            }
                        }
                    } catch (java.io.IOException e) {
                        lost.addAndGet(1_000_000);
                    }
                });

                for (int round = 1; round <= 6; round++) { // starts with a change: round 0 would be the file as started
                    boolean odd = round % 2 == 1;
                    Files.writeString(
                            file,
                            config(
                                    odd ? b.hostPort() : a.hostPort(),
                                    odd ? "127.0.0.2" : "127.0.0.1",
                                    odd ? "off" : "sinkhole",
                                    2),
                            StandardCharsets.UTF_8);
                    ReloadOutcome outcome = app.appliance.reload();
                    assertThat(outcome.applied()).as(outcome.summary()).isTrue();
                    assertThat(outcome.changed())
                            .contains("upstream", "blocklist.blockPage/ttl/negativeTtl", "blocklist.categories");
                    assertThat(outcome.needsRestart()).isEmpty();
                    // Let queries flow between reloads: wait for 50 more answers or losses, not a fixed time.
                    int mark = sent.get();
                    org.awaitility.Awaitility.await()
                            .atMost(java.time.Duration.ofSeconds(30))
                            .until(() -> sent.get() >= mark + 50 || !load.isAlive());
                }
                running.set(false);
                load.join();
                assertThat(sent.get()).isGreaterThan(100);
                assertThat(lost.get())
                        .as("queries unanswered during 6 reloads, of " + sent.get())
                        .isZero();

                // The last reload (round 6, even) was the starting file; one more, odd: upstream b, block page
                // 127.0.0.2, gambling off.
                Files.writeString(file, config(b.hostPort(), "127.0.0.2", "off", 2));
                assertThat(app.appliance.reload().applied()).isTrue();
                assertThat(DnsProbe.firstAnswer(app.query("127.0.0.1", "x.reload-scam.example")))
                        .isEqualTo("127.0.0.2");
                assertThat(DnsProbe.firstAnswer(app.query("127.0.0.1", "reload-casino.example")))
                        .isNotEqualTo("127.0.0.2");
                int before = b.queries();
                app.query("127.0.0.1", "new-name.example.org");
                assertThat(b.queries()).isGreaterThan(before);

                // A key that only works at start is reported, and the rest still applies.
                Files.writeString(file, config(b.hostPort(), "127.0.0.3", "off", 1));
                ReloadOutcome restart = app.appliance.reload();
                assertThat(restart.needsRestart()).containsExactly("server");
                assertThat(restart.changed()).containsExactly("blocklist.blockPage/ttl/negativeTtl");
                assertThat(DnsProbe.firstAnswer(app.query("127.0.0.1", "x.reload-scam.example")))
                        .isEqualTo("127.0.0.3");

                // A bad file: refused with the key and line, and nothing changes.
                Files.writeString(
                        file,
                        config(a.hostPort(), "127.0.0.9", "sinkhole", 1)
                                .replace("upstream:", "upstream:\n  colour: red"));
                ReloadOutcome bad = app.appliance.reload();
                assertThat(bad.applied()).isFalse();
                assertThat(bad.error()).contains("colour").contains("line");
                assertThat(DnsProbe.firstAnswer(app.query("127.0.0.1", "x.reload-scam.example")))
                        .isEqualTo("127.0.0.3");

                // The same through the admin API (admin role).
                AdminTestAppliance.Reply refused = app.admin("POST", "/api/v1/config/reload", null);
                assertThat(refused.status()).isEqualTo(422);
                assertThat(refused.json().at("/error/code").asText()).isEqualTo("invalid_config");
                Files.writeString(file, config(a.hostPort(), "127.0.0.4", "sinkhole", 1));
                AdminTestAppliance.Reply ok = app.admin("POST", "/api/v1/config/reload", null);
                assertThat(ok.status()).as(ok.text()).isEqualTo(200);
                JsonNode body = ok.json();
                assertThat(body.path("applied").asBoolean()).isTrue();
                assertThat(body.path("changed").toString()).contains("upstream");
                assertThat(DnsProbe.firstAnswer(app.query("127.0.0.1", "x.reload-scam.example")))
                        .isEqualTo("127.0.0.4");
                Message m = app.query("127.0.0.1", "reload-casino.example");
                assertThat(DnsProbe.firstAnswer(m)).isEqualTo("127.0.0.4"); // gambling sinkholed again
                assertThat(app.admin("GET", "/api/v1/explain?name=x.reload-scam.example", null)
                                .json()
                                .path("answer")
                                .asText())
                        .contains("127.0.0.4"); // explain follows the reload too
            }
        }
    }

    /**
     * A reload (SIGHUP, the API) reads the DoT/DoH certificate files again: the next handshake
     * presents the new certificate, a connection opened before keeps working, and a reload
     * with the same files reports no certificate change.
     */
    @Test
    void aReloadPresentsTheRenewedCertificate() throws Exception {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        TestCertificates.Files first = TestCertificates.make(tls, "first", "first.safenet.test", 30);
        TestCertificates.Files renewed = TestCertificates.make(tls, "renewed", "renewed.safenet.test", 90);
        Path cert = tls.resolve("fullchain.pem");
        Path key = tls.resolve("privkey.pem");
        Files.copy(first.certificate(), cert);
        Files.copy(first.key(), key);
        String extra = "tls: {certificate: \"%s\", key: \"%s\"}\n  dotListen: [\"127.0.0.1:0\"]".formatted(cert, key);
        try (ScriptedAuthServer up = ScriptedAuthServer.start();
                AdminTestAppliance app = AdminTestAppliance.startWithServer(dir, up.hostPort(), extra)) {
            InetSocketAddress dot = app.appliance.resolver().boundTlsAddresses().get(0);
            try (SSLSocket before = TestCertificates.connectTrustingAny(dot)) {
                assertThat(TestCertificates.subject(before)).contains("CN=first.safenet.test");
                assertThat(app.appliance.reload().changed()).doesNotContain("server.tls certificate");

                // Renewal: the files are replaced (newer modification times, as certbot's are).
                Files.copy(renewed.certificate(), cert, StandardCopyOption.REPLACE_EXISTING);
                Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
                FileTime later = FileTime.from(Instant.now().plusSeconds(5));
                Files.setLastModifiedTime(cert, later);
                Files.setLastModifiedTime(key, later);
                assertThat(app.appliance.reload().changed()).contains("server.tls certificate");
                try (SSLSocket after = TestCertificates.connectTrustingAny(dot)) {
                    assertThat(TestCertificates.subject(after)).contains("CN=renewed.safenet.test");
                }
                assertThat(TestCertificates.subject(before))
                        .as("an open connection keeps its session")
                        .contains("first");
                // ... and still answers: one query over it (RFC 7766 framing), its answer by ID.
                byte[] q =
                        DnsProbe.query("still-open.example.org.", Type.A, 1232).toWire();
                DataOutputStream out = new DataOutputStream(before.getOutputStream());
                out.writeShort(q.length);
                out.write(q);
                out.flush();
                DataInputStream in = new DataInputStream(before.getInputStream());
                byte[] answer = new byte[in.readUnsignedShort()];
                in.readFully(answer);
                assertThat(new Message(answer).getHeader().getID())
                        .isEqualTo(new Message(q).getHeader().getID());
            }
        }
    }
}
