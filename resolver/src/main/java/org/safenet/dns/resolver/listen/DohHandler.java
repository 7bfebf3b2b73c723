package org.safenet.dns.resolver.listen;

import static io.netty.handler.codec.http.HttpResponseStatus.OK;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.wire.EdnsPadding;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over HTTPS (RFC 8484) on one HTTP/1.1 connection ({@link DohRequests} says what is
 * accepted), answered through the same pipeline as every other transport, with {@code
 * Cache-Control: max-age} from the answer's smallest TTL (RFC 8484 §5.1) and EDNS padding (RFC
 * 8467). One request is answered before the next is read, so answers keep the order of the
 * requests (RFC 9112 §9.3.2). HTTP/2 connections go to {@link DohHttp2Handler}.
 */
final class DohHandler extends SimpleChannelInboundHandler<FullHttpRequest> implements DohClientChannel, ReplySink {
    private static final Logger log = LoggerFactory.getLogger(DohHandler.class);

    private final QueryPipeline pipeline;
    private final ParsedQuery query = new ParsedQuery();
    private final Channel connection;

    private @Nullable ChannelHandlerContext ctx;
    private boolean keepAlive;
    private boolean waiting;

    /** The connection's slot: a query waiting for upstream makes it busy, so it is not closed to make room. */
    private final TcpGuard guard;

    DohHandler(QueryPipeline pipeline, Channel connection, TcpGuard guard) {
        this.pipeline = pipeline;
        this.connection = connection;
        this.guard = guard;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            error(DohRequests.MALFORMED);
            return;
        }
        DohRequests.Refusal refusal = DohRequests.check(
                request.method().name(), request.uri(), request.headers().get(HttpHeaderNames.CONTENT_TYPE), -1);
        if (refusal != null) {
            error(refusal);
            return;
        }
        ByteBuf message;
        if (request.method().equals(HttpMethod.GET)) {
            message = connection.alloc().buffer(request.uri().length());
            DohRequests.Refusal why = DohRequests.getQuery(request.uri(), message);
            if (why != null) {
                message.release();
                error(why);
                return;
            }
        } else {
            message = request.content().retain();
        }
        try {
            refusal = DohRequests.checkMessage(message);
            if (refusal != null) {
                error(refusal);
                return;
            }
            ByteBuf out = newAnswerBuffer();
            QueryPipeline.Outcome outcome;
            try {
                outcome = pipeline.handle(message, client(), query, out, this);
            } catch (RuntimeException e) {
                out.release();
                throw e;
            }
            switch (outcome) {
                case ANSWERED -> send(out);
                case FORWARDED -> {
                    out.release();
                    guard.owed();
                    waiting = true;
                    connection.config().setAutoRead(false); // answers in request order
                }
                default -> {
                    // DROP (rpz-drop, or a packet we never answer): the client hears nothing.
                    out.release();
                    ctx.close();
                }
            }
        } finally {
            message.release();
        }
    }

    private InetSocketAddress client() {
        return (InetSocketAddress) connection.remoteAddress();
    }

    @Override
    public ByteBuf newAnswerBuffer() {
        return connection.alloc().directBuffer(512);
    }

    @Override
    public void send(ByteBuf answer) {
        ChannelHandlerContext c = ctx;
        resume();
        if (c == null || !c.channel().isActive()) {
            answer.release();
            return;
        }
        EdnsPadding.pad(answer, answer.readerIndex(), EdnsPadding.RESPONSE_BLOCK);
        long maxAge = DohRequests.minTtl(answer);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, OK, answer);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, DohRequests.MEDIA_TYPE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, answer.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, "max-age=" + maxAge);
        write(c, response);
    }

    @Override
    public void dropped() {
        resume();
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.close();
        }
    }

    private void resume() {
        if (waiting) {
            guard.paid();
            waiting = false;
            connection.config().setAutoRead(true);
            connection.read();
        }
    }

    private void error(DohRequests.Refusal refusal) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        ByteBuf body = Unpooled.copiedBuffer(refusal.why() + "\n", StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, refusal.status(), body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        write(c, response);
    }

    private void write(ChannelHandlerContext c, FullHttpResponse response) {
        if (keepAlive) {
            HttpUtil.setKeepAlive(response, true);
            c.writeAndFlush(response, c.voidPromise());
        } else {
            c.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
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
        log.debug("DNS over HTTPS: {} closed after an error", connection.remoteAddress(), cause);
        ctx.close();
    }

    // ClientChannel (maxAnswerSize and transport from DohClientChannel)

    @Override
    public @Nullable InetSocketAddress localAddress() {
        return (InetSocketAddress) connection.localAddress();
    }

    @Override
    public ReplySink sinkFor(InetSocketAddress client) {
        return this;
    }

    @Override
    public EventLoop eventLoop() {
        return connection.eventLoop();
    }

    @Override
    public boolean open() {
        ChannelHandlerContext c = ctx;
        return c != null && c.channel().isActive();
    }
}
