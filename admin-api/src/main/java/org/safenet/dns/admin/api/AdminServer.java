package org.safenet.dns.admin.api;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.http.HttpLimits;
import org.safenet.dns.admin.http.HttpServer;
import org.safenet.dns.resolver.listen.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's HTTP/1.1 server (optionally HTTPS) on the shared {@link HttpServer}: a request's
 * route and token are checked on its headers ({@link AdminApi#admit}), so an unauthenticated
 * body is never read; bodies are bounded each ({@link #MAX_BODY_BYTES}) and together ({@link
 * #MAX_PENDING_BODY_BYTES}). Each admitted request runs on a virtual thread, since handlers write
 * to RocksDB and wait for syncs, with no deadline while it runs; the answer goes back on the event
 * loop. Keep-alive is honoured.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    /** Largest request body: room for a bulk request of 100,000 names. */
    public static final int MAX_BODY_BYTES = 16 << 20;

    /** Request bodies in progress at once over all connections: four of the largest. */
    public static final long MAX_PENDING_BODY_BYTES = 4L * MAX_BODY_BYTES;

    static final HttpLimits LIMITS = new HttpLimits(MAX_BODY_BYTES, MAX_PENDING_BODY_BYTES, 60, 60);

    private final AdminApi api;
    private final HttpServer server;
    private final ExecutorService handlers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("admin-api-", 0).factory());

    public AdminServer(
            InetSocketAddress listen,
            EventLoopGroup group,
            Transports transports,
            @Nullable SslContext tls,
            AdminApi api)
            throws InterruptedException {
        this.api = api;
        this.server = new HttpServer(
                listen,
                group,
                transports,
                tls,
                LIMITS,
                this::admit,
                (status, code, message) -> response(AdminApi.error(
                        status,
                        code,
                        code.equals("body_too_large")
                                ? message + "; send bulk changes in parts of at most " + AdminApi.MAX_BULK + " names"
                                : message)),
                Handler::new);
    }

    public InetSocketAddress address() {
        return server.address();
    }

    private @Nullable FullHttpResponse admit(ChannelHandlerContext ctx, HttpRequest head) {
        HttpCall.Answer refused = api.admit(
                head.method().name(),
                new QueryStringDecoder(head.uri()).path(),
                head.headers().get(HttpHeaderNames.AUTHORIZATION),
                clientOf(ctx));
        if (refused == null) {
            return null;
        }
        return response(head.method().equals(HttpMethod.HEAD) ? withoutBody(refused) : refused);
    }

    private static String clientOf(ChannelHandlerContext ctx) {
        return NetUtil.toAddressString(((InetSocketAddress) ctx.channel().remoteAddress()).getAddress());
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            boolean head = req.method().equals(HttpMethod.HEAD);
            QueryStringDecoder uri = new QueryStringDecoder(req.uri());
            byte[] body = new byte[req.content().readableBytes()];
            req.content().readBytes(body);
            HttpCall call = new HttpCall(
                    req.method().name(),
                    uri.path(),
                    uri.parameters(),
                    req.headers().get(HttpHeaderNames.AUTHORIZATION),
                    req.headers().get(HttpHeaderNames.CONTENT_TYPE),
                    body,
                    clientOf(ctx));
            try {
                handlers.execute(() -> {
                    HttpCall.Answer answer;
                    try {
                        answer = api.handle(call);
                    } catch (Throwable t) { // handle() answers every failure; this is the last resort
                        log.error("admin API: {} {} failed", call.method(), call.path(), t);
                        answer = AdminApi.error(500, "internal", "the appliance failed to handle this request");
                    }
                    HttpCall.Answer reply = head ? withoutBody(answer) : answer;
                    ctx.executor().execute(() -> send(ctx, reply, keepAlive));
                });
            } catch (RejectedExecutionException e) {
                send(ctx, AdminApi.error(503, "shutting_down", "the appliance is stopping"), false);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("admin API connection closed after an error", cause);
            ctx.close();
        }
    }

    /** A HEAD answer: the GET's headers (and Content-Length), no body. */
    private static HttpCall.Answer withoutBody(HttpCall.Answer a) {
        Map<String, String> headers = new LinkedHashMap<>(a.headers());
        headers.put("Content-Length", Integer.toString(a.body().length));
        return new HttpCall.Answer(a.status(), a.contentType(), new byte[0], headers);
    }

    private static void send(ChannelHandlerContext ctx, HttpCall.Answer answer, boolean keepAlive) {
        FullHttpResponse r = response(answer);
        if (keepAlive) {
            HttpUtil.setKeepAlive(r, true);
            ctx.writeAndFlush(r);
        } else {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    static FullHttpResponse response(HttpCall.Answer answer) {
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(answer.status()),
                Unpooled.wrappedBuffer(answer.body()));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        r.headers().set("X-Content-Type-Options", "nosniff");
        r.headers().set("Referrer-Policy", "no-referrer");
        r.headers().set("X-Frame-Options", "DENY");
        r.headers()
                .set(
                        "Content-Security-Policy",
                        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        for (Map.Entry<String, String> h : answer.headers().entrySet()) {
            r.headers().set(h.getKey(), h.getValue());
        }
        return r;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.close();
        handlers.shutdown();
    }
}
