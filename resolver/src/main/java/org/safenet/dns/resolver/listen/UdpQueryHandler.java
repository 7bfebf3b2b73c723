package org.safenet.dns.resolver.listen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.pipeline.ClientChannel;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads queries from one UDP socket and answers them on the same event loop.
 *
 * <p>Deliberately not {@code @Sharable}: each {@code SO_REUSEPORT} socket has its own event loop
 * and its own handler, which owns the reusable {@link ParsedQuery}. Answers are written in {@code
 * channelRead} and flushed in {@code channelReadComplete}, so a batch read by {@code recvmmsg}
 * goes out in one {@code sendmmsg}.
 */
final class UdpQueryHandler extends ChannelInboundHandlerAdapter implements ClientChannel {
    private static final Logger log = LoggerFactory.getLogger(UdpQueryHandler.class);

    private final QueryPipeline pipeline;
    private final ParsedQuery query = new ParsedQuery();
    private @Nullable Channel channel;

    UdpQueryHandler(QueryPipeline pipeline) {
        this.pipeline = pipeline;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        ByteBuf out = ctx.alloc().directBuffer(512);
        try {
            QueryPipeline.Outcome outcome = pipeline.handle(packet.content(), packet.sender(), query, out, this);
            if (outcome == QueryPipeline.Outcome.ANSWERED
                    && pipeline.mayAnswerOverUdp(out, packet.sender().getAddress())) {
                ctx.write(new DatagramPacket(out, packet.sender()), ctx.voidPromise());
                out = null;
            }
        } finally {
            packet.release();
            if (out != null) {
                out.release();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A UDP socket error (e.g. ICMP unreachable reported on a later read) must not close it.
        log.debug("UDP listener error", cause);
    }

    @Override
    public @Nullable InetSocketAddress localAddress() {
        Channel ch = channel;
        return ch == null ? null : (InetSocketAddress) ch.localAddress(); // cached by the channel
    }

    @Override
    public int maxAnswerSize(int udpLimit) {
        return udpLimit;
    }

    @Override
    public ReplySink sinkFor(InetSocketAddress client) {
        Channel ch = channel;
        if (ch == null) {
            throw new IllegalStateException("handler not attached to a channel");
        }
        return new ReplySink() {
            @Override
            public ByteBuf newAnswerBuffer() {
                return ch.alloc().directBuffer(512);
            }

            @Override
            public void send(ByteBuf answer) {
                if (!pipeline.mayAnswerOverUdp(answer, client.getAddress())) {
                    answer.release();
                    return;
                }
                ch.writeAndFlush(new DatagramPacket(answer, client), ch.voidPromise());
            }

            @Override
            public EventLoop eventLoop() {
                return ch.eventLoop();
            }
        };
    }
}
