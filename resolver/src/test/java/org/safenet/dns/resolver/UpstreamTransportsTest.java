package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.resolver.upstream.UpstreamAddress;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.resolver.upstream.UpstreamTls;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.TestCertificates;
import org.safenet.dns.testkit.UnboundServer;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Upstreams over TCP and over TLS (RFC 7858, RFC 8310 strict profile), against Unbound from Debian
 * serving DNS over TLS with a certificate made by openssl here: answers come back over the kept
 * connection; a server whose certificate does not verify (wrong name, unknown CA, no pinned key)
 * gets no query at all, in clear text or otherwise, and the client gets SERVFAIL.
 */
class UpstreamTransportsTest {
    @TempDir
    static Path dir;

    private static UnboundServer unbound;
    private static TestCertificates.Files cert;
    /** Another certificate for the same name: signed by nobody we trust. */
    private static TestCertificates.Files stranger;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeAll
    static void startUnbound() throws Exception {
        cert = TestCertificates.make(dir, "dns", "dns.test", 30);
        stranger = TestCertificates.make(dir, "stranger", "dns.test", 30);
        unbound = UnboundServer.start(dir.resolve("unbound"), """
                  access-control: 127.0.0.0/8 allow
                  tcp-idle-timeout: 300
                  local-zone: "example.test." static
                  local-data: "www.example.test. 300 IN A 192.0.2.80"
                """, "", cert);
    }

    @AfterAll
    static void stopUnbound() {
        if (unbound != null) {
            unbound.close();
        }
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private record Running(DnsProbe probe, MeterRegistry registry) {
        double sent(String transport) {
            Counter c = registry.find("safenet.upstream.queries")
                    .tag("transport", transport)
                    .counter();
            return c == null ? 0 : c.count();
        }

        double connections() {
            return registry.get("safenet.upstream.connections").gauge().value();
        }

        double connectionsOpened() {
            return registry.get("safenet.upstream.connections.opened")
                    .functionCounter()
                    .count();
        }

        double failures(String reason) {
            return registry.find("safenet.upstream.failures").tag("reason", reason).counters().stream()
                    .mapToDouble(Counter::count)
                    .sum();
        }
    }

    private Running start(String upstream, UpstreamTls tls) throws Exception {
        UpstreamSettings up = new UpstreamSettings(
                List.of(UpstreamAddress.parse(upstream)),
                Duration.ofSeconds(2),
                1,
                Duration.ZERO,
                List.of(),
                UpstreamSettings.DEFAULT_MAX_PENDING,
                false,
                tls);
        MeterRegistry registry = new SimpleMeterRegistry();
        Resolver r = new Resolver(
                ResolverTests.settings(up, ResolverTests.defaultAccess(), 100), registry, System::currentTimeMillis);
        closeAfter.add(r);
        r.start();
        return new Running(new DnsProbe(r.boundAddresses().getFirst()), registry);
    }

    private static String tlsUpstream(@Nullable String name) {
        return "tls://127.0.0.1:" + unbound.tlsPort() + (name == null ? "" : "#" + name);
    }

    private static UpstreamTls trusting(TestCertificates.Files ca, Map<String, List<String>> pins) {
        return new UpstreamTls(ca.certificate().toString(), pins);
    }

    /** The RFC 7858 pin of a certificate's key, computed as docs/operations.md tells operators to. */
    private static String pinOf(TestCertificates.Files f) throws Exception {
        Path openssl = Peers.require("openssl", "openssl");
        Process p = new ProcessBuilder(
                        "sh",
                        "-c",
                        "'" + openssl + "' x509 -in '" + f.certificate() + "' -pubkey -noout | '" + openssl
                                + "' pkey -pubin -outform der | '" + openssl + "' dgst -sha256 -binary | base64")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void tlsUpstream_verifiedByItsName_answersOverOneKeptConnection() throws Exception {
        Running r = start(tlsUpstream("dns.test"), trusting(cert, Map.of()));
        Message m = r.probe().udp("www.example.test.", Type.A);
        assertThat(DnsProbe.firstAnswer(m)).isEqualTo("192.0.2.80");

        // Many misses at once share the connection (pipelined, matched by ID): every one answered.
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            names.add("n" + i + ".example.test.");
        }
        List<Message> answers =
                ResolverTests.burst(r.probe().server(), "127.0.0.1", names, Type.A, Duration.ofSeconds(3));
        assertThat(answers).hasSize(names.size());
        assertThat(answers).allSatisfy(a -> assertThat(a.getRcode()).isEqualTo(Rcode.NXDOMAIN));

        assertThat(r.sent("tls")).isEqualTo(1 + names.size());
        assertThat(r.sent("udp") + r.sent("tcp")).as("nothing in clear text").isZero();
        assertThat(r.connectionsOpened()).as("one connection carried them all").isEqualTo(1);
    }

    @Test
    void connectionClosedByTheUpstreamWhenIdle_nextQueryOpensAFreshOne() throws Exception {
        Running r = start(tlsUpstream("dns.test"), trusting(cert, Map.of()));
        assertThat(r.probe().udp("a1.example.test.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        // Unbound closes a connection idle for 300 ms (tcp-idle-timeout).
        await().atMost(Duration.ofSeconds(30)).until(() -> r.connections() == 0);
        assertThat(r.probe().udp("a2.example.test.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(r.connectionsOpened()).as("a fresh one for the second query").isEqualTo(2);
        assertThat(r.failures("network") + r.failures("timeout")).isZero();
    }

    @Test
    void tlsUpstream_withoutANameMustHaveACertificateForItsAddress() throws Exception {
        Running r = start(tlsUpstream(null), trusting(cert, Map.of()));
        assertThat(r.probe().udp("www.example.test.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(r.failures("tls")).isPositive();
    }

    @Test
    void wrongAuthenticationName_isRefused_andNothingGoesInClearText() throws Exception {
        Running r = start(tlsUpstream("other.test"), trusting(cert, Map.of()));
        assertThat(r.probe().udp("www.example.test.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(r.failures("tls")).isPositive();
        assertThat(r.sent("udp") + r.sent("tcp")).isZero();
    }

    @Test
    void certificateFromAnUntrustedIssuer_isRefused() throws Exception {
        Running r = start(tlsUpstream("dns.test"), trusting(stranger, Map.of()));
        assertThat(r.probe().udp("www.example.test.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(r.failures("tls")).isPositive();
    }

    @Test
    void spkiPin_matchingKeyAnswers_anotherKeyIsRefused() throws Exception {
        Running pinned = start(tlsUpstream("dns.test"), trusting(cert, Map.of("dns.test", List.of(pinOf(cert)))));
        assertThat(DnsProbe.firstAnswer(pinned.probe().udp("www.example.test.", Type.A)))
                .isEqualTo("192.0.2.80");

        Running wrongPin = start(tlsUpstream("dns.test"), trusting(cert, Map.of("dns.test", List.of(pinOf(stranger)))));
        assertThat(wrongPin.probe().udp("www.example.test.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(wrongPin.failures("tls")).isPositive();
    }

    @Test
    void tcpUpstream_answersOverAKeptConnection() throws Exception {
        Running r = start("tcp://127.0.0.1:" + unbound.port(), UpstreamTls.SYSTEM);
        assertThat(DnsProbe.firstAnswer(r.probe().udp("www.example.test.", Type.A)))
                .isEqualTo("192.0.2.80");
        assertThat(r.sent("tcp")).isEqualTo(1);
        assertThat(r.sent("udp")).isZero();
    }
}
