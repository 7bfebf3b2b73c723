package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.upstream.UpstreamAddress;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.resolver.upstream.UpstreamTls;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Overload over real sockets: with the upstream silent, new cache misses beyond {@code
 * upstream.maxPending} are shed at once (SERVFAIL, or nothing with {@code drop}) instead of
 * queueing without bound, while cached names are answered and an identical question in flight is
 * still joined.
 */
class OverloadTest {
    private static final int MAX_PENDING = 10;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private ScriptedAuthServer upstream;
    private Resolver resolver;
    private DnsProbe probe;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private UpstreamSettings upstreamSettings(boolean drop) {
        return new UpstreamSettings(
                List.of(UpstreamAddress.parse(upstream.hostPort())),
                Duration.ofSeconds(30),
                1,
                Duration.ofSeconds(5),
                List.of(),
                MAX_PENDING,
                drop,
                UpstreamTls.SYSTEM);
    }

    private static ResolverSettings.AccessSettings access() {
        return ResolverTests.defaultAccess();
    }

    private void start() throws Exception {
        upstream = ScriptedAuthServer.start()
                .add(". 3600 IN SOA ns.test. host.test. 1 7200 900 86400 3600")
                .add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        resolver = new Resolver(
                ResolverTests.settings(upstreamSettings(false), access(), 100),
                new SimpleMeterRegistry(),
                System::currentTimeMillis);
        closeAfter.add(resolver);
        probe = new DnsProbe(resolver.start().getFirst());
    }

    private List<Message> burst(List<String> names) throws Exception {
        return ResolverTests.burst(probe.server(), "127.0.0.1", names, Type.A, Duration.ofSeconds(2));
    }

    private double pending() {
        return resolver.metrics()
                .registry()
                .get("safenet.upstream.pending")
                .gauge()
                .value();
    }

    private double shed(String action) {
        return ResolverTests.counter(resolver, "safenet.shed", "action", action);
    }

    @Test
    void missesBeyondThePendingBoundAreShedAtOnceWhileCachedNamesAreAnswered() throws Exception {
        start();
        assertThat(DnsProbe.firstAnswer(probe.udp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
        upstream.mode(ScriptedAuthServer.Mode.SILENT);

        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            names.add("n" + i + ".never-seen.example.");
        }
        names.add("n0.never-seen.example."); // the same question again: joins the one in flight
        List<Message> answers = burst(names);
        // 10 wait on the silent upstream (no answer within the test); the other 30 are shed at once.
        assertThat(answers).hasSize(30).allSatisfy(m -> assertThat(m.getRcode()).isEqualTo(Rcode.SERVFAIL));
        assertThat(shed("servfail")).isEqualTo(30);
        assertThat(pending()).isEqualTo(MAX_PENDING);
        // Cached names are answered throughout.
        assertThat(DnsProbe.firstAnswer(probe.udp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");

        // drop: a shed query gets nothing.
        resolver.reconfigure(upstreamSettings(true), access(), SinkholeSettings.defaults());
        assertThat(burst(List.of("x1.never-seen.example.", "x2.never-seen.example.")))
                .isEmpty();
        assertThat(shed("drop")).isEqualTo(2);
        assertThat(pending()).isEqualTo(MAX_PENDING);
    }
}
