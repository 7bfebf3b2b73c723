package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.pipeline.ZoneService;
import org.safenet.dns.resolver.upstream.UpstreamAddress;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings.ForwardZone;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.FakeClock;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The whole resolver over real loopback sockets, against scripted upstreams; dnsjava as the client. */
class ResolverComponentTest {
    private final FakeClock clock = new FakeClock();
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private ScriptedAuthServer upstream;
    /** RFC 9520 failure caching; tests that fail the same question twice on purpose lower it. */
    private Duration failureCacheTtl = Duration.ofSeconds(5);

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = authServer();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private ScriptedAuthServer authServer() throws IOException {
        ScriptedAuthServer s = ScriptedAuthServer.start()
                .add("example.com. 3600 IN SOA ns.example.com. host.example.com. 1 7200 900 86400 60")
                .add("www.example.com. 300 IN A 192.0.2.10")
                .add("www.example.com. 300 IN AAAA 2001:db8::10");
        closeAfter.add(s);
        return s;
    }

    private ResolverSettings settings(
            List<String> upstreams, List<ForwardZone> zones, List<String> allow, Duration timeout) {
        return settings(
                upstreams,
                zones,
                allow,
                timeout,
                new ResolverSettings.ServerSettings(
                        List.of(HostPort.parse("127.0.0.1:0", 53)), 2, 1232, Duration.ofSeconds(10), 100));
    }

    private ResolverSettings settings(
            List<String> upstreams,
            List<ForwardZone> zones,
            List<String> allow,
            Duration timeout,
            ResolverSettings.ServerSettings server) {
        return new ResolverSettings(
                server,
                new UpstreamSettings(
                        upstreams.stream().map(h -> HostPort.parse(h, 53)).toList(),
                        timeout,
                        3,
                        failureCacheTtl,
                        zones),
                new ResolverSettings.AccessSettings(
                        allow.stream().map(CidrPrefix::parse).toList()),
                CacheSettings.defaults());
    }

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private DnsProbe start(ResolverSettings s) throws InterruptedException {
        Resolver r = new Resolver(s, registry, clock);
        closeAfter.add(r);
        InetSocketAddress at = r.start().getFirst();
        return new DnsProbe(at);
    }

    /** The default upstream and ACL, with these listener settings. */
    private DnsProbe startServing(ResolverSettings.ServerSettings server) throws InterruptedException {
        return start(settings(
                List.of(upstream.hostPort()),
                List.of(),
                ClientAccessList.DEFAULT_ALLOWED,
                Duration.ofSeconds(2),
                server));
    }

    /** {@code count} TXT records of ~100 octets each at {@code name}: an answer of about count × 115 octets. */
    private void addTxtRecords(String name, int count) {
        for (int i = 0; i < count; i++) {
            upstream.add(name + " 300 IN TXT \"" + "t".repeat(100) + i + "\"");
        }
    }

    /** The default upstream and ACL, with a blocklist policy and sinkhole settings. */
    private DnsProbe startWithPolicy(
            org.safenet.dns.resolver.policy.Policy policy, org.safenet.dns.resolver.policy.SinkholeSettings sinkhole)
            throws InterruptedException {
        Resolver r = new Resolver(
                settings(
                        List.of(upstream.hostPort()),
                        List.of(),
                        ClientAccessList.DEFAULT_ALLOWED,
                        Duration.ofSeconds(2)),
                registry,
                clock,
                org.safenet.dns.resolver.listen.Transports.best(),
                policy,
                sinkhole);
        closeAfter.add(r);
        return new DnsProbe(r.start().getFirst());
    }

    /** The default upstream and ACL, a 2 s upstream timeout. */
    private ResolverSettings defaultSettings() {
        return settings(
                List.of(upstream.hostPort()), List.of(), ClientAccessList.DEFAULT_ALLOWED, Duration.ofSeconds(2));
    }

    private DnsProbe startDefault() throws InterruptedException {
        return start(defaultSettings());
    }

    @Test
    void udpAndTcp_forwardedAnswer_reachesClient() throws Exception {
        DnsProbe probe = startDefault();
        Message udp = probe.udp("www.example.com.", Type.A);
        assertThat(udp.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(DnsProbe.firstAnswer(udp)).isEqualTo("192.0.2.10");
        assertThat(udp.getOPT()).isNotNull();
        assertThat(udp.getOPT().getPayloadSize()).isEqualTo(1232);
        Message tcp = probe.tcp("www.example.com.", Type.AAAA);
        assertThat(DnsProbe.firstAnswer(tcp)).isEqualTo("2001:db8:0:0:0:0:0:10");
    }

    @Test
    void secondQuery_isServedFromCacheWithDecrementedTtl() throws Exception {
        DnsProbe probe = startDefault();
        probe.udp("www.example.com.", Type.A);
        int before = upstream.queries();
        clock.advance(Duration.ofSeconds(42));
        Message m = probe.udp("WWW.EXAMPLE.COM.", Type.A);
        assertThat(upstream.queries()).isEqualTo(before);
        assertThat(m.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(258);
        assertThat(m.getQuestion().getName().toString()).isEqualTo("WWW.EXAMPLE.COM.");
    }

    @Test
    void nxdomain_isCachedNegatively() throws Exception {
        DnsProbe probe = startDefault();
        assertThat(probe.udp("missing.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        int before = upstream.queries();
        clock.advance(Duration.ofSeconds(30));
        Message again = probe.udp("missing.example.com.", Type.A);
        assertThat(again.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(again.getSection(Section.AUTHORITY).getFirst().getTTL()).isEqualTo(30);
        assertThat(upstream.queries()).isEqualTo(before);
        clock.advance(Duration.ofSeconds(31));
        probe.udp("missing.example.com.", Type.A);
        assertThat(upstream.queries())
                .as("asked again once the SOA minimum ran out")
                .isEqualTo(before + 1);
    }

    @Test
    void clientOutsideAcl_isRefused() throws Exception {
        DnsProbe probe = start(
                settings(List.of(upstream.hostPort()), List.of(), List.of("192.0.2.0/24"), Duration.ofSeconds(2)));
        Message m = probe.udp("www.example.com.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(upstream.queries()).isZero();
    }

    @Test
    void garbage_getsFormerrOrNothing() throws Exception {
        DnsProbe probe = startDefault();
        byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0, 1, 2, 3};
        byte[] answer = probe.udpRaw(garbage);
        assertThat(answer).isNotNull();
        Message m = new Message(answer);
        assertThat(m.getHeader().getID()).isEqualTo(0x1234);
        assertThat(m.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(probe.udpRaw(new byte[] {1, 2, 3}, 300))
                .as("no header: dropped")
                .isNull();
        // The listener survived both.
        assertThat(probe.udp("www.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void silentUpstream_givesServfail() throws Exception {
        upstream.mode(ScriptedAuthServer.Mode.SILENT);
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort()), List.of(), ClientAccessList.DEFAULT_ALLOWED, Duration.ofMillis(200)));
        assertThat(probe.udp("www.example.com.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
    }

    @Test
    void deadFirstUpstream_failsOverToSecond() throws Exception {
        ScriptedAuthServer second = authServer();
        upstream.mode(ScriptedAuthServer.Mode.SILENT);
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort(), second.hostPort()),
                List.of(),
                ClientAccessList.DEFAULT_ALLOWED,
                Duration.ofMillis(200)));
        for (int i = 0; i < 5; i++) {
            Message m = probe.udp("q" + i + ".example.com.", Type.A);
            assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        }
        assertThat(second.queries()).isEqualTo(5);
        assertThat(upstream.queries())
                .as("marked down after 3 failures, then skipped")
                .isEqualTo(3);
    }

    @Test
    void closedUpstreamPort_failsOverAtOnce_notAfterTheTimeout() throws Exception {
        int closedPort;
        try (DatagramSocket gone = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort();
        }
        ScriptedAuthServer second = authServer();
        // A timeout far longer than the probe waits: only the ICMP port-unreachable can fail over in time.
        DnsProbe probe = start(settings(
                List.of("127.0.0.1:" + closedPort, second.hostPort()),
                List.of(),
                ClientAccessList.DEFAULT_ALLOWED,
                Duration.ofSeconds(60)));
        assertThat(probe.udp("www.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(registry.get("safenet.upstream.failures")
                        .tag("reason", "network")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.find("safenet.upstream.failures")
                        .tag("reason", "timeout")
                        .counter())
                .isNull();
    }

    @Test
    void cacheMisses_sharePooledSocketsOfRandomPorts() throws Exception {
        DnsProbe probe = startDefault();
        for (int i = 0; i < 300; i++) {
            assertThat(probe.udp("m" + i + ".example.com.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        }
        assertThat(upstream.udpQueries()).isEqualTo(300);
        // At most 8 sockets per upstream on each of the 2 loops; not one socket for everything.
        assertThat(upstream.udpSourcePorts()).hasSizeBetween(2, 16);
    }

    @Test
    void soaQueries_reachTheZoneServiceOnlyForItsZone() throws Exception {
        Resolver r = new Resolver(defaultSettings(), registry, clock);
        closeAfter.add(r);
        AtomicInteger taken = new AtomicInteger();
        r.zoneService(new ZoneService() {
            @Override
            public boolean take(byte[] message, InetSocketAddress client, boolean tcp, ReplySink sink) {
                taken.incrementAndGet();
                return false;
            }

            @Override
            public boolean mayServeSoa(ParsedQuery q) {
                return q.nameLength() == 11; // "\003rpz\005local\000"
            }
        });
        DnsProbe probe = new DnsProbe(r.start().getFirst());
        probe.udp("example.com.", Type.SOA);
        assertThat(taken)
                .as("an ordinary client's SOA query is not handed over")
                .hasValue(0);
        assertThat(upstream.queries()).as("but resolved").isEqualTo(1);
        probe.udp("rpz.local.", Type.SOA);
        assertThat(taken).as("the served zone's SOA query is").hasValue(1);
    }

    @Test
    void servfailUpstream_failsOverToSecond() throws Exception {
        ScriptedAuthServer second = authServer();
        upstream.mode(ScriptedAuthServer.Mode.SERVFAIL);
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort(), second.hostPort()),
                List.of(),
                ClientAccessList.DEFAULT_ALLOWED,
                Duration.ofSeconds(2)));
        assertThat(DnsProbe.firstAnswer(probe.udp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
    }

    @Test
    void upstreamDown_servesStaleAnswer() throws Exception {
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort()), List.of(), ClientAccessList.DEFAULT_ALLOWED, Duration.ofMillis(200)));
        probe.udp("www.example.com.", Type.A);
        clock.advance(Duration.ofSeconds(301));
        upstream.mode(ScriptedAuthServer.Mode.SILENT);
        Message m = probe.udp("www.example.com.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(DnsProbe.firstAnswer(m)).isEqualTo("192.0.2.10");
        assertThat(m.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(30);
    }

    @Test
    void truncatedUpstreamAnswer_isRetriedOverTcp() throws Exception {
        upstream.truncateUdp(true);
        DnsProbe probe = startDefault();
        Message m = probe.udp("www.example.com.", Type.A);
        assertThat(DnsProbe.firstAnswer(m)).isEqualTo("192.0.2.10");
        assertThat(upstream.udpQueries()).isEqualTo(1);
        assertThat(upstream.tcpQueries()).isEqualTo(1);
    }

    @Test
    void bigAnswer_isTruncatedForSmallUdpClient_andWholeOverTcp() throws Exception {
        addTxtRecords("big.example.com.", 12);
        DnsProbe probe = startDefault();
        Message small = probe.udp(DnsProbe.query("big.example.com.", Type.TXT, 0));
        assertThat(DnsProbe.truncated(small)).isTrue();
        Message tcp = probe.tcp("big.example.com.", Type.TXT);
        assertThat(DnsProbe.truncated(tcp)).isFalse();
        assertThat(tcp.getSection(Section.ANSWER)).hasSize(12);
    }

    @Test
    void identicalQueriesInFlight_shareOneUpstreamQuery() throws Exception {
        upstream.delayMillis(300);
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort()), List.of(), ClientAccessList.DEFAULT_ALLOWED, Duration.ofSeconds(3)));
        // One TCP connection carries all: they land on one event loop, where coalescing happens.
        List<CompletableFuture<Message>> answers = new ArrayList<>();
        try (var conn = new PipelinedTcp(probe)) {
            for (int i = 0; i < 5; i++) {
                answers.add(conn.send(DnsProbe.query("www.example.com.", Type.A, 0)));
            }
            for (CompletableFuture<Message> f : answers) {
                assertThat(DnsProbe.firstAnswer(f.get())).isEqualTo("192.0.2.10");
            }
        }
        assertThat(upstream.queries()).isEqualTo(1);
    }

    @Test
    void forwardZone_goesToItsOwnUpstream() throws Exception {
        ScriptedAuthServer school = ScriptedAuthServer.start()
                .add("school.local. 3600 IN SOA ns.school.local. h.school.local. 1 7200 900 86400 60")
                .add("printer.school.local. 60 IN A 10.0.0.99");
        closeAfter.add(school);
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort()),
                List.of(new ForwardZone("school.local", List.of(UpstreamAddress.parse(school.hostPort())))),
                ClientAccessList.DEFAULT_ALLOWED,
                Duration.ofSeconds(2)));
        assertThat(DnsProbe.firstAnswer(probe.udp("PRINTER.school.local.", Type.A)))
                .isEqualTo("10.0.0.99");
        assertThat(DnsProbe.firstAnswer(probe.udp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
        assertThat(school.queries()).isEqualTo(1);
        assertThat(upstream.queries()).isEqualTo(1);
    }

    @Test
    void anyQuery_getsRfc8482Answer() throws Exception {
        DnsProbe probe = startDefault();
        Message m = probe.udp("www.example.com.", Type.ANY);
        assertThat(m.getSection(Section.ANSWER)).hasSize(1);
        assertThat(m.getSection(Section.ANSWER).getFirst().getType()).isEqualTo(Type.HINFO);
        assertThat(upstream.queries()).isZero();
    }

    @Test
    void ednsVersion1_getsBadvers() throws Exception {
        DnsProbe probe = startDefault();
        Message q = DnsProbe.query("www.example.com.", Type.A, 0);
        q.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        Message m = probe.udp(q);
        assertThat(m.getRcode()).isEqualTo(Rcode.BADVERS);
    }

    @Test
    void upstreamQuery_hasRandomIdAndAsksRecursion() throws Exception {
        DnsProbe probe = startDefault();
        for (int i = 0; i < 4; i++) {
            Message q = DnsProbe.query("r" + i + ".example.com.", Type.A, 1232);
            q.getHeader().setID(7);
            probe.udp(q);
        }
        await().until(() -> upstream.received().size() == 4);
        assertThat(upstream.received())
                .allSatisfy(m -> assertThat(m.getHeader().getFlag(Flags.RD)).isTrue());
        assertThat(upstream.received().stream()
                        .map(m -> m.getHeader().getID())
                        .distinct()
                        .count())
                .as("IDs are not the client's and (almost surely) not repeated")
                .isGreaterThan(2);
    }

    @Test
    void metrics_countQueriesAnswersCacheAndUpstream() throws Exception {
        DnsProbe probe = startDefault();
        probe.udp("www.example.com.", Type.A);
        probe.udp("www.example.com.", Type.A);
        probe.udp("missing.example.com.", Type.A);
        assertThat(registry.get("safenet.queries").functionCounter().count()).isEqualTo(3);
        assertThat(registry.get("safenet.answers")
                        .tag("rcode", "NOERROR")
                        .functionCounter()
                        .count())
                .isEqualTo(2);
        assertThat(registry.get("safenet.answers")
                        .tag("rcode", "NXDOMAIN")
                        .functionCounter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get("safenet.cache.hits").functionCounter().count()).isEqualTo(1);
        assertThat(registry.get("safenet.cache.misses").functionCounter().count())
                .isEqualTo(2);
        assertThat(registry.get("safenet.upstream.queries")
                        .tag("upstream", upstream.hostPort())
                        .tag("transport", "udp")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(registry.get("safenet.upstream.latency")
                        .tag("upstream", upstream.hostPort())
                        .timer()
                        .count())
                .isEqualTo(2);
        assertThat(registry.get("safenet.cache.entries").gauge().value()).isEqualTo(2);
    }

    @Test
    void upstreamTimeout_isCountedAsFailure() throws Exception {
        upstream.mode(ScriptedAuthServer.Mode.SILENT);
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort()), List.of(), ClientAccessList.DEFAULT_ALLOWED, Duration.ofMillis(100)));
        probe.udp("www.example.com.", Type.A);
        assertThat(registry.get("safenet.upstream.failures")
                        .tag("reason", "timeout")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void tcp_overConnectionLimit_closesTheLongestIdleForTheNewOne() throws Exception {
        DnsProbe probe = startServing(new ResolverSettings.ServerSettings(
                List.of(HostPort.parse("127.0.0.1:0", 53)), 1, 1232, Duration.ofSeconds(30), 2));
        try (PipelinedTcp first = new PipelinedTcp(probe);
                PipelinedTcp second = new PipelinedTcp(probe)) {
            assertThat(DnsProbe.firstAnswer(first.send(DnsProbe.query("www.example.com.", Type.A, 0))
                            .get()))
                    .isEqualTo("192.0.2.10");
            assertThat(DnsProbe.firstAnswer(second.send(DnsProbe.query("www.example.com.", Type.A, 0))
                            .get()))
                    .isEqualTo("192.0.2.10");
            // Both idle now: a third client gets the slot of the first, which is closed.
            assertThat(DnsProbe.firstAnswer(probe.tcp("www.example.com.", Type.A)))
                    .isEqualTo("192.0.2.10");
        }
        assertThat(registry.get("safenet.tcp.closed")
                        .tag("reason", "evicted")
                        .functionCounter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get("safenet.tcp.rejected").functionCounter().count())
                .isZero();
    }

    @Test
    void tcp_idleConnection_isClosed() throws Exception {
        DnsProbe probe = startServing(new ResolverSettings.ServerSettings(
                List.of(HostPort.parse("127.0.0.1:0", 53)), 1, 1232, Duration.ofMillis(300), 10));
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(probe.server(), 5000);
            s.setSoTimeout(10_000);
            // No query sent: the server closes the connection once it has been idle for 300 ms.
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void tcp_pipelinedQueries_allAnsweredOnOneConnection() throws Exception {
        DnsProbe probe = startDefault();
        probe.udp("www.example.com.", Type.A); // cached: answered at once
        upstream.delayMillis(1000); // the AAAA miss answers a second later: out of order
        try (PipelinedTcp conn = new PipelinedTcp(probe)) {
            CompletableFuture<Message> slow = conn.send(DnsProbe.query("www.example.com.", Type.AAAA, 0));
            CompletableFuture<Message> fast = conn.send(DnsProbe.query("www.example.com.", Type.A, 0));
            assertThat(DnsProbe.firstAnswer(fast.get())).isEqualTo("192.0.2.10");
            assertThat(slow.isDone())
                    .as("the cached answer overtook the forwarded one")
                    .isFalse();
            assertThat(DnsProbe.firstAnswer(slow.get())).isEqualTo("2001:db8:0:0:0:0:0:10");
        }
    }

    @Test
    void ipv6Listener_answersOverUdpAndTcp() throws Exception {
        DnsProbe probe = startServing(new ResolverSettings.ServerSettings(
                List.of(HostPort.parse("[::1]:0", 53)), 2, 1232, Duration.ofSeconds(10), 10));
        assertThat(probe.server().getAddress()).isInstanceOf(java.net.Inet6Address.class);
        assertThat(DnsProbe.firstAnswer(probe.udp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
        assertThat(DnsProbe.firstAnswer(probe.tcp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
    }

    @Test
    void answerOverOurEdnsSize_isTruncatedEvenIfClientOffersMore() throws Exception {
        addTxtRecords("wide.example.com.", 14);
        DnsProbe probe = startDefault();
        // About 1.5 KB: over our 1232 even though the client offers 4096 (RFC 6891 §6.2.5).
        Message m = probe.udp(DnsProbe.query("wide.example.com.", Type.TXT, 4096));
        assertThat(DnsProbe.truncated(m)).isTrue();
        assertThat(m.getOPT().getPayloadSize()).isEqualTo(1232);
        assertThat(probe.tcp("wide.example.com.", Type.TXT).getSection(Section.ANSWER))
                .hasSize(14);
    }

    @Test
    void failedQuestion_isNotSentUpstreamAgainWithinFailureCacheTtl() throws Exception {
        upstream.mode(ScriptedAuthServer.Mode.SERVFAIL);
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort()), List.of(), ClientAccessList.DEFAULT_ALLOWED, Duration.ofSeconds(2)));
        // One TCP connection: both queries on one loop, where the failure is remembered.
        try (PipelinedTcp conn = new PipelinedTcp(probe)) {
            assertThat(conn.send(DnsProbe.query("www.example.com.", Type.A, 0))
                            .get()
                            .getRcode())
                    .isEqualTo(Rcode.SERVFAIL);
            int asked = upstream.queries();
            assertThat(conn.send(DnsProbe.query("www.example.com.", Type.A, 0))
                            .get()
                            .getRcode())
                    .isEqualTo(Rcode.SERVFAIL);
            assertThat(upstream.queries())
                    .as("RFC 9520: the failure was cached")
                    .isEqualTo(asked);
            clock.advance(Duration.ofSeconds(6));
            upstream.mode(ScriptedAuthServer.Mode.ANSWER);
            assertThat(DnsProbe.firstAnswer(conn.send(DnsProbe.query("www.example.com.", Type.A, 0))
                            .get()))
                    .isEqualTo("192.0.2.10");
        }
        assertThat(registry.get("safenet.upstream.failures.cached").counter().count())
                .isEqualTo(1);
    }

    @Test
    void slowUpstream_clientGetsStaleAnswerAfterClientTimeout_andCacheIsRefreshed() throws Exception {
        DnsProbe probe = start(settings(
                List.of(upstream.hostPort()), List.of(), ClientAccessList.DEFAULT_ALLOWED, Duration.ofSeconds(5)));
        probe.udp("www.example.com.", Type.A);
        clock.advance(Duration.ofSeconds(301));
        // Slower than cache.staleClientTimeout (1.8 s), well within upstream.timeout (5 s).
        upstream.delayMillis(2500);
        Message m = probe.udp("www.example.com.", Type.A);
        assertThat(m.getSection(Section.ANSWER).getFirst().getTTL())
                .as("stale answer, RFC 8767 TTL")
                .isEqualTo(30);
        assertThat(registry.get("safenet.cache.stale.served").functionCounter().count())
                .isEqualTo(1);
        assertThat(registry.find("safenet.upstream.failures").counters())
                .as("the upstream did not fail")
                .isEmpty();
        // The exchange went on: once the upstream answers, the cache holds a fresh entry again.
        upstream.delayMillis(0);
        await().untilAsserted(() -> assertThat(probe.udp("www.example.com.", Type.A)
                        .getSection(Section.ANSWER)
                        .getFirst()
                        .getTTL())
                .isEqualTo(300));
    }

    @Test
    void nioTransport_fallbackAnswersUdpAndTcp() throws Exception {
        Resolver r = new Resolver(defaultSettings(), registry, clock, org.safenet.dns.resolver.listen.Transports.nio());
        closeAfter.add(r);
        DnsProbe probe = new DnsProbe(r.start().getFirst());
        assertThat(r.transportName()).isEqualTo("nio");
        assertThat(DnsProbe.firstAnswer(probe.udp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
        assertThat(DnsProbe.firstAnswer(probe.tcp("www.example.com.", Type.AAAA)))
                .isEqualTo("2001:db8:0:0:0:0:0:10");
    }

    @Test
    void policyVerdicts_areAnsweredBeforeCacheAndUpstream() throws Exception {
        org.safenet.dns.resolver.policy.PolicyCategories.register(List.of("scam"));
        java.util.Map<String, org.safenet.dns.resolver.policy.Verdict> list = java.util.Map.of(
                "vay-tien.example.com.", verdict(org.safenet.dns.resolver.policy.PolicyAction.SINKHOLE),
                "gone.example.com.", verdict(org.safenet.dns.resolver.policy.PolicyAction.NXDOMAIN),
                "silent.example.com.", verdict(org.safenet.dns.resolver.policy.PolicyAction.DROP),
                "www.example.com.", verdict(org.safenet.dns.resolver.policy.PolicyAction.PASSTHRU));
        DnsProbe probe = startWithPolicy(
                q -> list.get(q.nameText()),
                new org.safenet.dns.resolver.policy.SinkholeSettings(
                        List.of(java.net.InetAddress.getByName("192.0.2.80")),
                        Duration.ofSeconds(60),
                        Duration.ofMinutes(5)));

        assertThat(DnsProbe.firstAnswer(probe.udp("VAY-TIEN.example.com.", Type.A)))
                .isEqualTo("192.0.2.80");
        assertThat(DnsProbe.firstAnswer(probe.tcp("vay-tien.example.com.", Type.A)))
                .isEqualTo("192.0.2.80");
        assertThat(probe.udp("gone.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(probe.udpRaw(DnsProbe.query("silent.example.com.", Type.A, 0).toWire(), 300))
                .isNull();
        assertThat(upstream.queries()).as("blocked names never go upstream").isZero();
        assertThat(DnsProbe.firstAnswer(probe.udp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
        assertThat(upstream.queries()).as("passthru resolves normally").isEqualTo(1);
        assertThat(registry.get("safenet.policy.hits")
                        .tag("action", "sinkhole")
                        .functionCounter()
                        .count())
                .isEqualTo(2);
        assertThat(registry.get("safenet.blocked")
                        .tag("category", "scam")
                        .functionCounter()
                        .count())
                .as("sinkhole x2, nxdomain, drop; not the passthru")
                .isEqualTo(4);
        assertThat(registry.get("safenet.policy.hits")
                        .tag("action", "drop")
                        .functionCounter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void tcpOnlyVerdict_truncatesUdp_andResolvesOverTcp() throws Exception {
        org.safenet.dns.resolver.policy.Verdict tcpOnly =
                verdict(org.safenet.dns.resolver.policy.PolicyAction.TCP_ONLY);
        DnsProbe probe = startWithPolicy(
                q -> q.nameText().equals("www.example.com.") ? tcpOnly : null,
                org.safenet.dns.resolver.policy.SinkholeSettings.defaults());
        Message udp = probe.udp("www.example.com.", Type.A);
        assertThat(DnsProbe.truncated(udp)).isTrue();
        assertThat(udp.getSection(Section.ANSWER)).isEmpty();
        assertThat(upstream.queries()).isZero();
        assertThat(DnsProbe.firstAnswer(probe.tcp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
    }

    @Test
    void cnameIntoBlockedName_isBlocked_fromTheCacheToo() throws Exception {
        upstream.add("cloaked.example.com. 300 IN CNAME tracker.adnet.example.")
                .add("tracker.adnet.example. 300 IN A 198.51.100.7")
                .add("fine.example.com. 300 IN CNAME www.example.com.");
        java.util.Map<String, org.safenet.dns.resolver.policy.Verdict> list = java.util.Map.of(
                "tracker.adnet.example.", verdict(org.safenet.dns.resolver.policy.PolicyAction.SINKHOLE));
        DnsProbe probe = startWithPolicy(
                q -> list.get(q.nameText()),
                new org.safenet.dns.resolver.policy.SinkholeSettings(
                        List.of(java.net.InetAddress.getByName("192.0.2.80")),
                        Duration.ofSeconds(60),
                        Duration.ofMinutes(5)));

        Message m = probe.udp("cloaked.example.com.", Type.A);
        assertThat(m.getSection(Section.ANSWER)).singleElement().satisfies(rr -> {
            assertThat(rr.getName().toString()).isEqualTo("cloaked.example.com.");
            assertThat(rr.rdataToString()).isEqualTo("192.0.2.80");
        });
        Message again = probe.udp("cloaked.example.com.", Type.A);
        assertThat(again.getSection(Section.ANSWER))
                .extracting(rr -> rr.rdataToString())
                .as("the cached answer is checked again: still blocked")
                .containsExactly("192.0.2.80");
        assertThat(upstream.queries())
                .as("the second answer came from the cache")
                .isEqualTo(1);

        Message fine = probe.udp("fine.example.com.", Type.A);
        assertThat(fine.getSection(Section.ANSWER))
                .extracting(rr -> rr.rdataToString())
                .containsExactly("www.example.com.", "192.0.2.10");
    }

    @Test
    void answerAddressInBlockedPrefix_isBlocked_fromTheCacheToo() throws Exception {
        upstream.add("innocent.example.com. 300 IN A 198.51.100.7");
        org.safenet.dns.resolver.policy.Verdict nx = verdict(org.safenet.dns.resolver.policy.PolicyAction.NXDOMAIN);
        org.safenet.dns.resolver.policy.Policy rpzIp = new org.safenet.dns.resolver.policy.Policy() {
            @Override
            public org.safenet.dns.resolver.policy.@org.jspecify.annotations.Nullable Verdict decide(
                    org.safenet.dns.resolver.wire.ParsedQuery q) {
                return null;
            }

            @Override
            public org.safenet.dns.resolver.policy.@org.jspecify.annotations.Nullable Verdict decideAddress(byte[] a) {
                return a.length == 4 && (a[0] & 0xFF) == 198 && a[1] == 51 && a[2] == 100 ? nx : null;
            }
        };
        DnsProbe probe = startWithPolicy(rpzIp, org.safenet.dns.resolver.policy.SinkholeSettings.defaults());
        assertThat(probe.udp("innocent.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(probe.udp("www.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(probe.udp("innocent.example.com.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(upstream.queries())
                .as("the second answer came from the cache")
                .isEqualTo(2);
    }

    private static org.safenet.dns.resolver.policy.Verdict verdict(
            org.safenet.dns.resolver.policy.PolicyAction action) {
        return new org.safenet.dns.resolver.policy.Verdict(
                action, "scam", "test", org.safenet.dns.resolver.policy.Verdict.EDE_BLOCKED, null);
    }
}
