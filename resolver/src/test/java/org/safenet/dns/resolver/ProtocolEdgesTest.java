package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.FakeClock;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * Protocol edges of issue 15, each with a packet the test builds, against the running resolver
 * and, where the RFCs leave room, the same packet against Knot DNS for comparison.
 */
class ProtocolEdgesTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private final FakeClock clock = new FakeClock();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private Resolver last;

    private DnsProbe start(String upstream) throws Exception {
        ResolverSettings settings = new ResolverSettings(
                new ResolverSettings.ServerSettings(
                        List.of(HostPort.parse("127.0.0.1:0", 53)), 1, 1232, Duration.ofSeconds(10), 100),
                new UpstreamSettings(
                        List.of(HostPort.parse(upstream, 53)),
                        Duration.ofSeconds(2),
                        1,
                        Duration.ofSeconds(5),
                        List.of()),
                new ResolverSettings.AccessSettings(ClientAccessList.DEFAULT_ALLOWED.stream()
                        .map(CidrPrefix::parse)
                        .toList()),
                CacheSettings.defaults());
        Resolver r = new Resolver(settings, new SimpleMeterRegistry(), clock);
        closeAfter.add(r);
        last = r;
        return new DnsProbe(r.start().getFirst());
    }

    private static Message signed(String name) {
        Message m = DnsProbe.query(name, Type.A, 1232);
        m.setTSIG(new TSIG(TSIG.HMAC_SHA256, "no-such-key.", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"));
        return m;
    }

    @Test
    void aSignedQueryWithAnUnknownKey_getsNotauthAndBadkey_asKnotAnswersIt() throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        DnsProbe resolver = start(upstream.hostPort());
        Message ours = new Message(resolver.udpRaw(signed("www.example.com.").toWire(65535)));
        assertThat(ours.getRcode()).isEqualTo(Rcode.NOTAUTH);
        TSIGRecord tsig = ours.getTSIG();
        assertThat(tsig).as("the answer carries the TSIG error").isNotNull();
        assertThat(tsig.getError()).isEqualTo(Rcode.BADKEY);
        assertThat(tsig.getName().toString()).isEqualTo("no-such-key.");
        assertThat(tsig.getSignature()).isEmpty();
        assertThat(upstream.queries()).as("never forwarded").isZero();

        KnotServer knot = KnotServer.start(Files.createDirectories(dir.resolve("knot")), "example.com.", """
                $ORIGIN example.com.
                $TTL 300
                @   SOA ns admin 1 7200 900 86400 60
                @   NS  ns
                ns  A   127.0.0.1
                www A   192.0.2.10
                """);
        closeAfter.add(knot);
        Message knots = new Message(
                new DnsProbe(knot.address()).udpRaw(signed("www.example.com.").toWire(65535)));
        assertThat(knots.getRcode()).isEqualTo(ours.getRcode());
        assertThat(knots.getTSIG().getError()).isEqualTo(tsig.getError());
    }

    @Test
    void forwardedAndCachedAnswers_doNotClaimAuthority() throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        DnsProbe resolver = start(upstream.hostPort());
        Message direct = new DnsProbe(upstream.address()).udp("www.example.com.", Type.A);
        assertThat(direct.getHeader().getFlag(Flags.AA))
                .as("the upstream is authoritative")
                .isTrue();
        Message forwarded = resolver.udp("www.example.com.", Type.A);
        Message cached = resolver.udp("www.example.com.", Type.A);
        for (Message m : List.of(forwarded, cached)) {
            assertThat(DnsProbe.firstAnswer(m)).isEqualTo("192.0.2.10");
            assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
            assertThat(m.getHeader().getFlag(Flags.RA)).isTrue();
        }
        assertThat(upstream.queries()).isEqualTo(1 + 1); // the direct query and one forwarded
    }

    @Test
    void metaTypes_trailingBytes_andOverlongOptions_getFormerr_andNeverReachTheUpstream() throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        DnsProbe resolver = start(upstream.hostPort());
        for (int type : new int[] {Type.OPT, Type.TSIG, Type.TKEY, Type.MAILA, Type.MAILB, 200}) {
            Message m = new Message(resolver.udpRaw(
                    DnsProbe.query("www.example.com.", type, 1232).toWire()));
            assertThat(m.getRcode()).as("type %d", type).isEqualTo(Rcode.FORMERR);
        }
        byte[] query = DnsProbe.query("www.example.com.", Type.A, 0).toWire();
        byte[] trailing = java.util.Arrays.copyOf(query, query.length + 3);
        assertThat(new Message(resolver.udpRaw(trailing)).getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(upstream.queries()).isZero();
    }

    /** An A query for {@code name} over UDP from {@code source} (a 127.x address). */
    private static Message fromSource(DnsProbe server, String source, String name) throws Exception {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(
                new java.net.InetSocketAddress(java.net.InetAddress.getByName(source), 0))) {
            s.setSoTimeout(3000);
            byte[] q = DnsProbe.query(name, Type.A, 1232).toWire();
            s.send(new java.net.DatagramPacket(q, q.length, server.server()));
            byte[] buf = new byte[4096];
            java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
            s.receive(p);
            return new Message(java.util.Arrays.copyOf(buf, p.getLength()));
        }
    }

    /** A query for www.example.com/A padded (RFC 7830) to {@code total} bytes on the wire. */
    private static Message padded(int total) {
        Message probe = DnsProbe.query("www.example.com.", Type.A, 0);
        int bare = probe.toWire().length + 11 + 4; // OPT record, option header
        Message m = DnsProbe.query("www.example.com.", Type.A, 0);
        m.addRecord(
                new OPTRecord(1232, 0, 0, 0, List.of(new GenericEDNSOption(12, new byte[total - bare]))),
                Section.ADDITIONAL);
        assertThat(m.toWire().length).isEqualTo(total);
        return m;
    }

    @Test
    void aQueryOfTheMaximumSizeOrMore_getsFormerrOverUdpAndTcpAlike() throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        DnsProbe resolver = start(upstream.hostPort());
        // Just under the bound: a normal (padded) query, answered over both.
        assertThat(DnsProbe.firstAnswer(resolver.udp(padded(4095)))).isEqualTo("192.0.2.10");
        assertThat(DnsProbe.firstAnswer(resolver.tcp(padded(4095)))).isEqualTo("192.0.2.10");
        // At the bound and past it (over UDP a longer datagram is read cut to the bound): FORMERR
        // with the question echoed, over both transports.
        for (int size : new int[] {4096, 6000}) {
            Message overUdp = resolver.udp(padded(size));
            Message overTcp = resolver.tcp(padded(size));
            for (Message m : List.of(overUdp, overTcp)) {
                assertThat(m.getRcode()).as(size + " bytes").isEqualTo(Rcode.FORMERR);
                assertThat(m.getQuestion().getName().toString()).isEqualTo("www.example.com.");
            }
        }
    }

    @Test
    void aFloodingClientIsLimited_othersAreNot_andItsRetryOverTcpIsAnswered() throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        DnsProbe resolver = start(upstream.hostPort());
        last.limits(new org.safenet.dns.resolver.limit.LimitSettings(50, false, 32, 64));
        // 50 q/s with bursts of 100: the fake clock stands still, so exactly 100 get through.
        int answered = 0;
        int truncated = 0;
        for (int i = 0; i < 130; i++) {
            Message m = fromSource(resolver, "127.0.0.2", "www.example.com.");
            if (m.getHeader().getFlag(Flags.TC)) {
                truncated++;
                assertThat(m.getSectionArray(org.xbill.DNS.Section.ANSWER)).isEmpty();
            } else {
                answered++;
            }
        }
        assertThat(answered).isEqualTo(100);
        assertThat(truncated).isEqualTo(30);
        // Another client, at the same moment, is not limited.
        assertThat(DnsProbe.firstAnswer(fromSource(resolver, "127.0.0.3", "www.example.com.")))
                .isEqualTo("192.0.2.10");
        // The limited client's retry over TCP is answered (a spoofed source could not make it).
        assertThat(DnsProbe.firstAnswer(resolver.tcp("www.example.com.", Type.A)))
                .isEqualTo("192.0.2.10");
        // A second later it has 50 more.
        clock.advance(Duration.ofSeconds(1));
        assertThat(fromSource(resolver, "127.0.0.2", "www.example.com.")
                        .getHeader()
                        .getFlag(Flags.TC))
                .isFalse();
        assertThat(last.metrics()
                        .registry()
                        .find("safenet.limited")
                        .tag("action", "tc")
                        .functionCounter()
                        .count())
                .isEqualTo(30);

        // An exempt client (the machine itself, by default) is never limited.
        last.limits(new org.safenet.dns.resolver.limit.LimitSettings(
                1, false, 32, 64, org.safenet.dns.resolver.acl.ClientAccessList.of("127.0.0.5/32")));
        for (int i = 0; i < 10; i++) {
            assertThat(fromSource(resolver, "127.0.0.5", "www.example.com.")
                            .getHeader()
                            .getFlag(Flags.TC))
                    .isFalse();
        }

        // drop: no answer at all.
        last.limits(new org.safenet.dns.resolver.limit.LimitSettings(1, true, 32, 64));
        fromSource(resolver, "127.0.0.4", "www.example.com.");
        fromSource(resolver, "127.0.0.4", "www.example.com.");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> fromSource(resolver, "127.0.0.4", "www.example.com."))
                .isInstanceOf(java.net.SocketTimeoutException.class);
    }

    @Test
    void aFloodSpreadOverOneNetworkIsLimitedByItsNetworksBucket_anotherNetworkIsNot() throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        DnsProbe resolver = start(upstream.hostPort());
        // Each address far under its own limit; the /24 together at 50 q/s, bursts of 100.
        last.limits(new LimitSettings(
                1000, false, 32, 64, new ClientAccessList(List.of()), 64, Duration.ofSeconds(2), 0, 2, 50, 24, 56));
        int answered = 0;
        int truncated = 0;
        for (int i = 0; i < 120; i++) {
            // Four addresses of 127.0.0.0/24 in turn, 30 queries each: none is over 1,000 q/s.
            Message m = fromSource(resolver, "127.0.0." + (10 + i % 4), "www.example.com.");
            if (m.getHeader().getFlag(Flags.TC)) {
                truncated++;
            } else {
                answered++;
            }
        }
        assertThat(answered).as("the network's burst").isEqualTo(100);
        assertThat(truncated).isEqualTo(20);
        assertThat(fromSource(resolver, "127.0.1.10", "www.example.com.")
                        .getHeader()
                        .getFlag(Flags.TC))
                .as("another /24 has its own bucket")
                .isFalse();
        assertThat(last.metrics()
                        .registry()
                        .find("safenet.limited.network")
                        .functionCounter()
                        .count())
                .isEqualTo(20);

        // A query its own bucket refuses takes nothing from the network's: one flooding address
        // does not use up its neighbours' share.
        clock.advance(Duration.ofSeconds(10));
        last.limits(new LimitSettings(
                5, false, 32, 64, new ClientAccessList(List.of()), 64, Duration.ofSeconds(2), 0, 2, 50, 24, 56));
        for (int i = 0; i < 200; i++) {
            fromSource(resolver, "127.0.2.1", "www.example.com.");
        }
        int neighbours = 0;
        for (int i = 0; i < 90; i++) {
            neighbours += fromSource(resolver, "127.0.2." + (2 + i % 30), "www.example.com.")
                            .getHeader()
                            .getFlag(Flags.TC)
                    ? 0
                    : 1;
        }
        assertThat(neighbours).as("the network's 100 less the flooder's 10").isEqualTo(90);
    }
}
