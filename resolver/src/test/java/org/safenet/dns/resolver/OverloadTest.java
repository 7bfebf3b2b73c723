package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
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
                List.of(HostPort.parse(upstream.hostPort(), 53)),
                Duration.ofSeconds(30),
                1,
                Duration.ofSeconds(5),
                List.of(),
                MAX_PENDING,
                drop);
    }

    private ResolverSettings.AccessSettings access() {
        return new ResolverSettings.AccessSettings(
                ClientAccessList.DEFAULT_ALLOWED.stream().map(CidrPrefix::parse).toList());
    }

    private void start() throws Exception {
        upstream = ScriptedAuthServer.start()
                .add(". 3600 IN SOA ns.test. host.test. 1 7200 900 86400 3600")
                .add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        resolver = new Resolver(
                new ResolverSettings(
                        new ResolverSettings.ServerSettings(
                                List.of(HostPort.parse("127.0.0.1:0", 53)), 1, 1232, Duration.ofSeconds(10), 100),
                        upstreamSettings(false),
                        access(),
                        CacheSettings.defaults()),
                new SimpleMeterRegistry(),
                System::currentTimeMillis);
        closeAfter.add(resolver);
        probe = new DnsProbe(resolver.start().getFirst());
    }

    /** Sends queries for {@code names} from one socket and collects what comes back within 2 s of the last. */
    private List<Message> burst(List<String> names) throws Exception {
        List<Message> answers = new ArrayList<>();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            for (String name : names) {
                byte[] q = DnsProbe.query(name, Type.A, 1232).toWire();
                s.send(new DatagramPacket(q, q.length, probe.server()));
            }
            s.setSoTimeout(2000);
            byte[] buf = new byte[4096];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                } catch (SocketTimeoutException quiet) {
                    return answers;
                }
                answers.add(new Message(Arrays.copyOf(buf, p.getLength())));
            }
        }
    }

    private double pending() {
        return resolver.metrics()
                .registry()
                .get("safenet.upstream.pending")
                .gauge()
                .value();
    }

    private double shed(String action) {
        return resolver.metrics()
                .registry()
                .find("safenet.shed")
                .tag("action", action)
                .functionCounter()
                .count();
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
