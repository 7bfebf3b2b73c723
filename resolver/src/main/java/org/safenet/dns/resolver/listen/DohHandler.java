package org.safenet.dns.resolver.listen;

import static io.netty.handler.codec.http.HttpResponseStatus.BAD_REQUEST;
import static io.netty.handler.codec.http.HttpResponseStatus.METHOD_NOT_ALLOWED;
import static io.netty.handler.codec.http.HttpResponseStatus.NOT_FOUND;
import static io.netty.handler.codec.http.HttpResponseStatus.OK;
import static io.netty.handler.codec.http.HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
import static io.netty.handler.codec.http.HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE;

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
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.pipeline.ClientChannel;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.stats.QueryTransport;
import org.safenet.dns.resolver.wire.DnsConstants;
import org.safenet.dns.resolver.wire.EdnsPadding;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over HTTPS (RFC 8484) on one HTTP/1.1 connection or one HTTP/2 stream: {@code GET
 * /dns-query?dns=<base64url>} and {@code POST /dns-query} with {@code application/dns-message},
 * answered through the same pipeline as every other transport, with {@code Cache-Control:
 * max-age} from the answer's smallest TTL (RFC 8484 §5.1) and EDNS padding (RFC 8467). Bad
 * requests get 400, a wrong media type 415, a body over 65,535 octets 413, another path 404,
 * another method 405: never a 500. Over HTTP/1.1 one request is answered before the next is read,
 * so answers keep the order of the requests (RFC 9112 §9.3.2).
 */
final class DohHandler extends SimpleChannelInboundHandler<FullHttpRequest> implements ClientChannel, ReplySink {
    private static final Logger log = LoggerFactory.getLogger(DohHandler.class);
    /** RFC 8484 §6. */
    static final String MEDIA_TYPE = "application/dns-message";

    static final String PATH = "/dns-query";

    private final QueryPipeline pipeline;
    private final ParsedQuery query = new ParsedQuery();
    /** The connection (HTTP/1.1) or the stream's parent (HTTP/2): where the client's address is. */
    private final Channel connection;
    /** HTTP/1.1: one request at a time, so answers keep their order; HTTP/2 streams are independent. */
    private final boolean http1;

    private @Nullable ChannelHandlerContext ctx;
    private boolean keepAlive;
    private boolean waiting;

    DohHandler(QueryPipeline pipeline, Channel connection, boolean http1) {
        this.pipeline = pipeline;
        this.connection = connection;
        this.http1 = http1;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            error(BAD_REQUEST, "malformed HTTP request");
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        if (!uri.path().equals(PATH)) {
            error(NOT_FOUND, "DNS over HTTPS is at " + PATH);
            return;
        }
        ByteBuf message;
        if (request.method().equals(HttpMethod.GET)) {
            List<String> dns = uri.parameters().get("dns");
            if (dns == null || dns.size() != 1) {
                error(BAD_REQUEST, "GET needs one dns parameter (the query, base64url)");
                return;
            }
            try {
                message = Unpooled.wrappedBuffer(Base64.getUrlDecoder().decode(dns.getFirst()));
            } catch (IllegalArgumentException e) {
                error(BAD_REQUEST, "the dns parameter is not base64url");
                return;
            }
        } else if (request.method().equals(HttpMethod.POST)) {
            String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
            if (type == null || !type.split(";")[0].trim().equalsIgnoreCase(MEDIA_TYPE)) {
                error(UNSUPPORTED_MEDIA_TYPE, "POST needs Content-Type: " + MEDIA_TYPE);
                return;
            }
            message = request.content().retain();
        } else {
            error(METHOD_NOT_ALLOWED, "GET or POST");
            return;
        }
        try {
            if (message.readableBytes() < DnsConstants.HEADER_LENGTH) {
                error(BAD_REQUEST, "not a DNS message");
                return;
            }
            if (message.readableBytes() > 65_535) {
                error(REQUEST_ENTITY_TOO_LARGE, "a DNS message is at most 65,535 octets");
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
                    if (http1) {
                        waiting = true;
                        connection.config().setAutoRead(false); // answers in request order
                    }
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
        long maxAge = minTtl(answer);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, OK, answer);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, MEDIA_TYPE)
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
            waiting = false;
            connection.config().setAutoRead(true);
            connection.read();
        }
    }

    private void error(HttpResponseStatus status, String why) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        ByteBuf body = Unpooled.copiedBuffer(why + "\n", StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
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
        if (!http1) {
            // A stream's DATA waits in the connection's flow controller until the connection is
            // flushed; a stream's flush does not reach it while the connection is mid-read, which
            // held answers back until the client's next frame (seen with dnsperf's 100 streams).
            connection.flush();
        }
    }

    /**
     * The smallest TTL of the answer's records (answer and authority sections; the OPT is not a
     * record), for {@code Cache-Control: max-age}; 0 when there is none.
     */
    static long minTtl(ByteBuf m) {
        int start = m.readerIndex();
        int end = m.writerIndex();
        if (end - start < DnsConstants.HEADER_LENGTH) {
            return 0;
        }
        int at = start + DnsConstants.HEADER_LENGTH;
        int questions = m.getUnsignedShort(start + 4);
        int records = m.getUnsignedShort(start + 6) + m.getUnsignedShort(start + 8);
        for (int i = 0; i < questions; i++) {
            at = EdnsPadding.skipName(m, at, end) + 4;
        }
        long min = Long.MAX_VALUE;
        for (int i = 0; i < records && at + 10 <= end; i++) {
            at = EdnsPadding.skipName(m, at, end);
            if (at + 10 > end) {
                break;
            }
            min = Math.min(min, m.getUnsignedInt(at + 4));
            at += 10 + m.getUnsignedShort(at + 8);
        }
        return min == Long.MAX_VALUE ? 0 : min;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("DNS over HTTPS: {} closed after an error", connection.remoteAddress(), cause);
        ctx.close();
    }

    // ClientChannel

    @Override
    public int maxAnswerSize(int udpLimit) {
        return 65_535;
    }

    @Override
    public int transport() {
        return QueryTransport.DOH;
    }

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
