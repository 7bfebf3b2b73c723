package org.safenet.dns.admin.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.listen.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's HTTP/1.1 server (optionally HTTPS): decodes requests on its event loop and runs
 * each on a virtual thread, since handlers write to RocksDB and wait for syncs; the answer goes
 * back on the event loop. Bodies over {@link #MAX_BODY_BYTES} get a JSON 413 and the connection
 * closes. Keep-alive is honoured.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    /** Largest request body: room for a bulk request of 100,000 names. */
    public static final int MAX_BODY_BYTES = 16 << 20;

    private final AdminApi api;
    private final Channel channel;
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
        this.channel = new ServerBootstrap()
                .group(group)
                .channel(transports.serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline()
                                .addLast(new ReadTimeoutHandler(60))
                                .addLast(new HttpServerCodec(8192, 16384, 16384))
                                .addLast(new HttpObjectAggregator(MAX_BODY_BYTES) {
                                    @Override
                                    protected void handleOversizedMessage(
                                            ChannelHandlerContext ctx, HttpMessage oversized) {
                                        FullHttpResponse tooLarge = response(AdminApi.error(
                                                413,
                                                "body_too_large",
                                                "the request body is over " + (MAX_BODY_BYTES >> 20)
                                                        + " MiB; send bulk changes in parts of at most "
                                                        + AdminApi.MAX_BULK + " names"));
                                        tooLarge.headers().set(HttpHeaderNames.CONNECTION, "close");
                                        ctx.writeAndFlush(tooLarge).addListener(ChannelFutureListener.CLOSE);
                                    }
                                })
                                .addLast(new Handler());
                    }
                })
                .bind(listen)
                .sync()
                .channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            boolean head = req.method().equals(io.netty.handler.codec.http.HttpMethod.HEAD);
            if (!req.decoderResult().isSuccess()) {
                send(ctx, AdminApi.error(400, "bad_request", "the request is not valid HTTP/1.1"), false);
                return;
            }
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
                    io.netty.util.NetUtil.toAddressString(
                            ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress()));
            try {
                handlers.execute(() -> {
                    AdminApi.Reply handled = api.handle(call);
                    AdminApi.Reply reply = head ? withoutBody(handled) : handled;
                    if (reply.delayMillis() > 0) {
                        ctx.executor()
                                .schedule(
                                        () -> send(ctx, reply.answer(), keepAlive),
                                        reply.delayMillis(),
                                        TimeUnit.MILLISECONDS);
                    } else {
                        ctx.executor().execute(() -> send(ctx, reply.answer(), keepAlive));
                    }
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
    private static AdminApi.Reply withoutBody(AdminApi.Reply r) {
        Map<String, String> headers = new java.util.LinkedHashMap<>(r.answer().headers());
        headers.put("Content-Length", Integer.toString(r.answer().body().length));
        return new AdminApi.Reply(
                new HttpCall.Answer(r.answer().status(), r.answer().contentType(), new byte[0], headers),
                r.delayMillis());
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
        channel.close().syncUninterruptibly();
        handlers.shutdown();
    }
}
