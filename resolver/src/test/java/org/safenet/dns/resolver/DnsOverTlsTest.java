package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.resolver.ResolverSettings.TlsFiles;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.safenet.dns.testkit.TestCertificates;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/**
 * DNS over TLS (RFC 7858) with a certificate made by {@code openssl} here: {@code kdig +tls}
 * verifying it by name, and the certificate replaced on disk while a connection stays open.
 */
class DnsOverTlsTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    /** A self-signed EC certificate for {@code name} and its PKCS#8 key, by openssl. */
    private TlsFiles certificate(String name, String prefix) throws Exception {
        TestCertificates.Files f = TestCertificates.make(dir, prefix, name, 30);
        return new TlsFiles(f.certificate().toString(), f.key().toString());
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }

    private Resolver start(TlsFiles files) throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        ResolverSettings base =
                ResolverTests.settings(ResolverTests.upstream(upstream.hostPort()), ResolverTests.defaultAccess(), 100);
        ResolverSettings settings = new ResolverSettings(
                base.server().withDot(files, List.of(HostPort.parse("127.0.0.1:0", 853))),
                base.upstream(),
                base.access(),
                base.cache());
        Resolver r = new Resolver(settings, new SimpleMeterRegistry(), System::currentTimeMillis);
        closeAfter.add(r);
        r.start();
        return r;
    }

    @Test
    void kdigOverTls_verifiesTheCertificateByName_andGetsTheAnswer() throws Exception {
        Path kdig = Peers.require("kdig", "knot-dnsutils");
        TlsFiles files = certificate("dot.safenet.test", "a");
        Resolver r = start(files);
        int port = r.boundTlsAddresses().getFirst().getPort();
        String out = run(
                kdig.toString(),
                "@127.0.0.1",
                "-p",
                String.valueOf(port),
                "+tls-ca=" + files.certificate(),
                "+tls-hostname=dot.safenet.test",
                "+short",
                "+timeout=5",
                "+retry=0",
                "www.example.com",
                "A");
        assertThat(out.strip()).isEqualTo("192.0.2.10");
        Process wrongName = new ProcessBuilder(
                        kdig.toString(),
                        "@127.0.0.1",
                        "-p",
                        String.valueOf(port),
                        "+tls-ca=" + files.certificate(),
                        "+tls-hostname=other.safenet.test",
                        "+short",
                        "+timeout=5",
                        "+retry=0",
                        "www.example.com")
                .redirectErrorStream(true)
                .start();
        String refused = new String(wrongName.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(wrongName.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(refused).as("a client that checks the name refuses another").doesNotContain("192.0.2.10");
    }

    @Test
    void certificateReplacedOnDisk_nextHandshakePresentsIt_openConnectionKeepsWorking() throws Exception {
        TlsFiles files = certificate("old.safenet.test", "old");
        Resolver r = start(files);
        int port = r.boundTlsAddresses().getFirst().getPort();
        try (SSLSocket before = connect(port)) {
            assertThat(TestCertificates.subject(before)).contains("old.safenet.test");
            assertThat(ask(before, "www.example.com.")).isEqualTo("192.0.2.10");

            TlsFiles renewed = certificate("new.safenet.test", "new");
            // As certbot does: the new files take the old names.
            Files.move(Path.of(renewed.key()), Path.of(files.key()), StandardCopyOption.REPLACE_EXISTING);
            Files.move(
                    Path.of(renewed.certificate()), Path.of(files.certificate()), StandardCopyOption.REPLACE_EXISTING);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                try (SSLSocket after = connect(port)) {
                    assertThat(TestCertificates.subject(after)).contains("new.safenet.test");
                    assertThat(ask(after, "www.example.com.")).isEqualTo("192.0.2.10");
                }
            });
            assertThat(ask(before, "www.example.com."))
                    .as("the connection made before")
                    .isEqualTo("192.0.2.10");
        }
        assertThat(r.metrics()
                        .registry()
                        .get("safenet.tls.certificate.expiry")
                        .gauge()
                        .value())
                .isBetween((double) Duration.ofDays(29).toSeconds(), (double)
                        Duration.ofDays(31).toSeconds());
    }

    @Test
    void answersOverTls_arePaddedToBlocksOf468_whenTheClientSpeaksEdns() throws Exception {
        TlsFiles files = certificate("pad.safenet.test", "pad");
        Resolver r = start(files);
        int port = r.boundTlsAddresses().getFirst().getPort();
        try (SSLSocket s = connect(port)) {
            byte[] edns =
                    exchange(s, DnsProbe.query("www.example.com.", Type.A, 1232).toWire());
            assertThat(edns.length % 468).as("RFC 8467 block-length padding").isZero();
            Message m = new Message(edns);
            assertThat(DnsProbe.firstAnswer(m)).isEqualTo("192.0.2.10");
            assertThat(m.getOPT().getOptions(12)).as("the Padding option").hasSize(1);
            byte[] plain =
                    exchange(s, DnsProbe.query("www.example.com.", Type.A, 0).toWire());
            assertThat(plain.length).as("no EDNS, no padding").isLessThan(100);
            byte[] missing = exchange(
                    s, DnsProbe.query("missing.example.com.", Type.A, 1232).toWire());
            assertThat(missing.length % 468).as("an NXDOMAIN with its SOA, too").isZero();
        }
        // Plain TCP on the same appliance is not padded.
        Message overTcp =
                new DnsProbe(r.boundAddresses().getFirst()).tcp(DnsProbe.query("www.example.com.", Type.A, 1232));
        assertThat(overTcp.toWire().length).isLessThan(468);
        assertThat(ResolverTests.counter(r, "safenet.queries.by.transport", "transport", "dot"))
                .isEqualTo(3);
        assertThat(ResolverTests.counter(r, "safenet.queries.by.transport", "transport", "tcp"))
                .isEqualTo(1);
        assertThat(ResolverTests.counter(r, "safenet.queries.by.transport", "transport", "udp"))
                .isZero();
    }

    /** One framed query and its framed answer over {@code s}. */
    private static byte[] exchange(SSLSocket s, byte[] q) throws IOException {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeShort(q.length);
        out.write(q);
        out.flush();
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] answer = new byte[in.readUnsignedShort()];
        in.readFully(answer);
        return answer;
    }

    /** A TLS connection that trusts any certificate (what it presents is what the test reads). */
    private static SSLSocket connect(int port) throws IOException {
        return TestCertificates.connectTrustingAny(new InetSocketAddress("127.0.0.1", port));
    }

    /** One query over the connection, RFC 1035 §4.2.2 framing; the first answer's data. */
    private static String ask(SSLSocket s, String name) throws IOException {
        return DnsProbe.firstAnswer(
                new Message(exchange(s, DnsProbe.query(name, Type.A, 0).toWire())));
    }
}
