package org.safenet.dns.resolver.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyAnswers;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.upstream.Forwarder;
import org.safenet.dns.resolver.upstream.UpstreamRouter;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.testkit.DnsProbe;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The UDP and TCP query handlers in an {@link EmbeddedChannel}, fed every kind of query that is
 * answered on the spot (blocked, refused, a meta-type, trailing bytes, too short, empty, a frame
 * split anywhere): every buffer that went in or came out is released at the end ({@code refCnt()
 * == 0}) and the channel finishes clean. (The build's tests also run Netty's leak detector at
 * {@code paranoid}, and {@code LeakWatch} fails a class on any report.)
 */
class HandlerBuffersTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress OUTSIDER = new InetSocketAddress("198.51.100.9", 40000);
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 53);

    private final List<ByteBuf> given = new ArrayList<>();

    @AfterEach
    void everyBufferGivenIsReleased() {
        for (ByteBuf b : given) {
            assertThat(b.refCnt()).as("a query buffer the handler was given").isZero();
        }
    }

    /** A pipeline whose policy sinkholes every name containing "blocked"; its forwarder is never used here. */
    private static QueryPipeline pipeline() {
        ResolverMetrics metrics = new ResolverMetrics(new SimpleMeterRegistry());
        PacketCache cache = new PacketCache(CacheSettings.defaults());
        UpstreamSettings upstream = new UpstreamSettings(
                List.of(HostPort.parse("127.0.0.1:9", 53)), Duration.ofSeconds(1), 1, Duration.ofSeconds(5), List.of());
        Forwarder forwarder = new Forwarder(
                new UpstreamRouter(upstream, metrics), upstream, cache, Transports.nio(), metrics, () -> 0L, 1232, 1);
        return new QueryPipeline(
                ClientAccessList.of("127.0.0.0/8"),
                q -> new String(q.name(), 0, q.nameLength(), StandardCharsets.ISO_8859_1).contains("blocked")
                        ? new Verdict(PolicyAction.SINKHOLE, "scam", "test", Verdict.EDE_BLOCKED, null)
                        : null,
                new PolicyAnswers(SinkholeSettings.defaults(), 1232),
                cache,
                forwarder,
                metrics,
                () -> 0L,
                1232);
    }

    private ByteBuf given(byte[] bytes) {
        ByteBuf b = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        given.add(b);
        return b;
    }

    @Test
    void udp_everyQueryAndAnswerBufferIsReleased() throws Exception {
        EmbeddedChannel ch = withAddresses();
        ch.pipeline().addLast(new UdpQueryHandler(pipeline()));
        byte[] trailing = DnsProbe.query("www.blocked.example.", Type.A, 0).toWire();
        List<byte[]> queries = List.of(
                DnsProbe.query("www.blocked.example.", Type.A, 1232).toWire(), // sinkholed
                DnsProbe.query("www.blocked.example.", Type.AAAA, 0).toWire(),
                DnsProbe.query("x.example.", Type.OPT, 1232).toWire(), // a meta-type: FORMERR
                Arrays.copyOf(trailing, trailing.length + 3), // bytes after the last record: FORMERR
                new byte[] {1, 2, 3}, // shorter than a header: dropped
                new byte[0]);
        for (byte[] q : queries) {
            ch.writeInbound(new DatagramPacket(given(q), SERVER, CLIENT));
        }
        ch.writeInbound(new DatagramPacket(
                given(DnsProbe.query("www.example.com.", Type.A, 0).toWire()), SERVER, OUTSIDER)); // REFUSED
        ch.flushOutbound();
        int answers = 0;
        DatagramPacket a;
        while ((a = ch.readOutbound()) != null) {
            ByteBuf content = a.content();
            Message m = new Message(ByteBufUtil.getBytes(content));
            assertThat(m.getRcode()).isIn(Rcode.NOERROR, Rcode.FORMERR, Rcode.REFUSED);
            assertThat(a.release()).as("the answer's last reference").isTrue();
            assertThat(content.refCnt()).isZero();
            answers++;
        }
        assertThat(answers).as("all but the two too short to answer").isEqualTo(5);
        assertThat(ch.finish()).as("nothing left inside the channel").isFalse();
    }

    /** An embedded channel with real addresses, as a socket has. */
    private static EmbeddedChannel withAddresses() {
        return new EmbeddedChannel() {
            @Override
            protected SocketAddress remoteAddress0() {
                return CLIENT;
            }

            @Override
            protected SocketAddress localAddress0() {
                return SERVER;
            }
        };
    }

    private static byte[] frame(byte[] q) {
        byte[] f = new byte[q.length + 2];
        f[0] = (byte) (q.length >> 8);
        f[1] = (byte) q.length;
        System.arraycopy(q, 0, f, 2, q.length);
        return f;
    }

    @Test
    void tcp_framesSplitAnywhere_everyBufferIsReleasedAndTheSlotFreed() throws Exception {
        EmbeddedChannel ch = withAddresses();
        ResolverMetrics metrics = new ResolverMetrics(new SimpleMeterRegistry());
        TcpConnections table = new TcpConnections(10, LimitSettings.OFF, metrics);
        TcpGuard guard = new TcpGuard(table, metrics);
        ch.pipeline().addLast(guard, new TcpGuard.Frames(guard), new TcpQueryHandler(pipeline(), ch, guard, 0));
        ch.pipeline().fireChannelActive();
        assertThat(table.size()).isEqualTo(1);
        // Two whole queries in one read, then one split across three reads.
        byte[] one = frame(DnsProbe.query("a.blocked.example.", Type.A, 0).toWire());
        byte[] two = frame(DnsProbe.query("b.blocked.example.", Type.AAAA, 1232).toWire());
        byte[] three = frame(DnsProbe.query("c.blocked.example.", Type.A, 0).toWire());
        byte[] both = Arrays.copyOf(one, one.length + two.length);
        System.arraycopy(two, 0, both, one.length, two.length);
        ch.writeInbound(given(both));
        ch.writeInbound(given(Arrays.copyOfRange(three, 0, 1)));
        ch.writeInbound(given(Arrays.copyOfRange(three, 1, 10)));
        ch.writeInbound(given(Arrays.copyOfRange(three, 10, three.length)));
        ch.flushOutbound();
        int answers = 0;
        ByteBuf a;
        while ((a = ch.readOutbound()) != null) {
            int length = a.readUnsignedShort();
            assertThat(length).isEqualTo(a.readableBytes());
            assertThat(new Message(ByteBufUtil.getBytes(a)).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(a.release()).isTrue();
            answers++;
        }
        assertThat(answers).isEqualTo(3);
        // Half a frame, then the connection closes: the partial bytes are released with it.
        ch.writeInbound(given(new byte[] {0, 40, 1, 2, 3}));
        ch.close().sync();
        assertThat(table.size())
                .as("the slot is free once the connection closed")
                .isZero();
        assertThat(ch.finish()).isFalse();
    }
}
