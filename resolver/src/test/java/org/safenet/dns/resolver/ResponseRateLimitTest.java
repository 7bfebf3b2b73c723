package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.FakeClock;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Response rate limiting over real sockets, with the clock standing still: 5 answers a second per
 * client /24 and kind (bursts of 10), slip 2. REFUSED answers to a client outside the access list,
 * NXDOMAIN answers under one zone and large answers for one name are cut to the burst, then every
 * second one goes out as an empty TC answer and the rest are dropped; small answers, other zones
 * and TCP are not limited.
 */
class ResponseRateLimitTest {
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private final FakeClock clock = new FakeClock();
    private Resolver resolver;
    private InetSocketAddress server;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private void start() throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start()
                .add("example.com. 3600 IN SOA ns.example.com. h.example.com. 1 7200 900 86400 300")
                .add("www.example.com. 300 IN A 192.0.2.10");
        for (int i = 0; i < 8; i++) {
            upstream.add("big.example.com. 300 IN TXT \"" + "x".repeat(100) + i + "\"");
        }
        closeAfter.add(upstream);
        resolver = new Resolver(
                ResolverTests.settings(
                        ResolverTests.upstream(upstream.hostPort()),
                        new ResolverSettings.AccessSettings(List.of(CidrPrefix.parse("127.0.0.1/32"))),
                        100),
                new SimpleMeterRegistry(),
                clock);
        closeAfter.add(resolver);
        server = resolver.start().getFirst();
        resolver.limits(new LimitSettings(
                0, false, 32, 64, new ClientAccessList(List.of()), 64, Duration.ofSeconds(2), 5, 2, 0, 24, 56));
    }

    private List<Message> burst(String from, List<String> names, int type) throws Exception {
        return ResolverTests.burst(server, from, names, type, Duration.ofMillis(500));
    }

    private static List<String> repeat(String name, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(name);
        }
        return out;
    }

    private static long truncated(List<Message> answers) {
        return answers.stream().filter(m -> m.getHeader().getFlag(Flags.TC)).count();
    }

    private double rrl(String action) {
        return ResolverTests.counter(resolver, "safenet.rrl", "action", action);
    }

    @Test
    void refusedAnswersToAClientOutsideTheAclAreCutToTheBurstThenSlipped() throws Exception {
        start();
        List<Message> answers = burst("127.0.0.2", repeat("www.example.com.", 30), Type.A);
        // 10 REFUSED (the burst), then of the other 20, every second one as TC and the rest dropped.
        assertThat(answers).hasSize(20);
        assertThat(truncated(answers)).isEqualTo(10);
        assertThat(answers).allSatisfy(m -> assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED));
        assertThat(answers.stream().filter(m -> m.getHeader().getFlag(Flags.TC)))
                .allSatisfy(m -> assertThat(m.getSectionArray(Section.QUESTION)).hasSize(1));
        assertThat(rrl("slip")).isEqualTo(10);
        assertThat(rrl("drop")).isEqualTo(10);
        // A second later the prefix has 5 more.
        clock.advance(Duration.ofSeconds(1));
        assertThat(truncated(burst("127.0.0.3", repeat("www.example.com.", 5), Type.A)))
                .isZero();
    }

    @Test
    void nxdomainPerZoneAndLargeAnswersPerNameAreLimited_smallAnswersAndTcpAreNot() throws Exception {
        start();
        List<String> random = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            random.add("r" + i + ".example.com.");
        }
        List<Message> nx = burst("127.0.0.1", random, Type.A);
        assertThat(nx).hasSize(20);
        assertThat(nx.stream()
                        .filter(m ->
                                m.getRcode() == Rcode.NXDOMAIN && !m.getHeader().getFlag(Flags.TC)))
                .hasSize(10);
        assertThat(truncated(nx)).isEqualTo(10);

        // The same prefix, small answers: never limited.
        List<Message> small = burst("127.0.0.1", repeat("www.example.com.", 30), Type.A);
        assertThat(small).hasSize(30);
        assertThat(truncated(small)).isZero();

        // A large answer (over 512 bytes), asked 30 times: the burst, then slipped and dropped.
        List<Message> large = burst("127.0.0.1", repeat("big.example.com.", 30), Type.TXT);
        assertThat(large).hasSize(20);
        assertThat(large.stream().filter(m -> !m.getHeader().getFlag(Flags.TC)))
                .hasSize(10)
                .allSatisfy(m -> assertThat(m.getSectionArray(Section.ANSWER)).hasSize(8));
        // Over TCP the client gets it whole: TCP cannot be spoofed, and is never limited here.
        Message overTcp = new DnsProbe(server).tcp("big.example.com.", Type.TXT);
        assertThat(overTcp.getSectionArray(Section.ANSWER)).hasSize(8);
    }
}
