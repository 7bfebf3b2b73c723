package org.safenet.dns.resolver.listen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import org.safenet.dns.resolver.pipeline.ClientChannel;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.stats.QueryTransport;
import org.safenet.dns.resolver.wire.EdnsPadding;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the length-framed queries of one TCP connection (RFC 7766). Queries are handled as they
 * arrive; cached answers go out at once and forwarded ones when their upstream answers, so answers
 * may come out of order, which RFC 7766 §6.2.1.1 allows. One instance per connection.
 */
final class TcpQueryHandler extends ChannelInboundHandlerAdapter implements ClientChannel, ReplySink {
    private static final Logger log = LoggerFactory.getLogger(TcpQueryHandler.class);

    private final QueryPipeline pipeline;
    private final ParsedQuery query = new ParsedQuery();
    private final Channel channel;
    private final TcpGuard guard;
    /** Over TLS: answers padded to this block (RFC 8467); 0 over plain TCP. */
    private final int padBlock;

    TcpQueryHandler(QueryPipeline pipeline, Channel channel, TcpGuard guard, int padBlock) {
        this.pipeline = pipeline;
        this.channel = channel;
        this.guard = guard;
        this.padBlock = padBlock;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        ByteBuf out = newAnswerBuffer();
        try {
            QueryPipeline.Outcome outcome =
                    pipeline.handle(frame, (InetSocketAddress) ctx.channel().remoteAddress(), query, out, this);
            if (outcome == QueryPipeline.Outcome.ANSWERED) {
                frame(out);
                ctx.write(out, ctx.voidPromise());
                out = null;
            } else if (outcome == QueryPipeline.Outcome.FORWARDED) {
                guard.owed();
            } else if (outcome == QueryPipeline.Outcome.DROPPED) {
                // Over TCP a query we will not answer means a broken peer: stop reading from it.
                ctx.close();
            }
        } finally {
            frame.release();
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            if (!guard.owesAnswers()) {
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("TCP connection from {} closed after an error", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public int maxAnswerSize(int udpLimit) {
        return 65535;
    }

    @Override
    public int transport() {
        return padBlock > 0 ? QueryTransport.DOT : QueryTransport.TCP;
    }

    @Override
    public ReplySink sinkFor(InetSocketAddress client) {
        return this;
    }

    @Override
    public int answerOffset() {
        return 2;
    }

    @Override
    public ByteBuf newAnswerBuffer() {
        ByteBuf out = channel.alloc().directBuffer(514);
        out.writeShort(0); // length prefix, filled in when the answer is complete
        return out;
    }

    @Override
    public void send(ByteBuf answer) {
        guard.paid();
        if (!channel.isActive()) {
            answer.release();
            return;
        }
        frame(answer);
        channel.writeAndFlush(answer, channel.voidPromise());
    }

    @Override
    public void dropped() {
        guard.paid();
    }

    @Override
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    @Override
    public boolean writable() {
        return channel.isWritable();
    }

    @Override
    public boolean open() {
        return channel.isActive();
    }

    /** Pads an answer that goes over TLS, then fills in the length prefix. */
    private void frame(ByteBuf answer) {
        if (padBlock > 0) {
            EdnsPadding.pad(answer, answer.readerIndex() + 2, padBlock);
        }
        answer.setShort(answer.readerIndex(), answer.readableBytes() - 2);
    }
}
