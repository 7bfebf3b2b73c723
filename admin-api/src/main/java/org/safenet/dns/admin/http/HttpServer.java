package org.safenet.dns.admin.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.listen.Transports;

/**
 * The HTTP/1.1 server the admin API and the block page share: the codec, a deadline per request
 * and for idle connections ({@link MessageDeadline}), a gate that can refuse a request on its
 * headers before its body is read ({@link BodyGate}: the caller's check, such as the token, the
 * body size, and the bytes of bodies in progress over all connections), the aggregator, and the
 * caller's handler of whole requests. Buffers come from an unpooled heap allocator, so what a
 * client sends here never takes from the direct memory the DNS path uses.
 */
public final class HttpServer implements AutoCloseable {
    /** Decides on a request's headers, before any of its body is read: a refusal, or null to go on. */
    @FunctionalInterface
    public interface Gate {
        @Nullable
        FullHttpResponse admit(ChannelHandlerContext ctx, HttpRequest head);
    }

    /** Builds the responses the server itself gives: (status, code, message) → response. */
    @FunctionalInterface
    public interface Refusals {
        FullHttpResponse refusal(int status, String code, String message);
    }

    private final Channel channel;
    /** Bytes of request bodies announced and not yet answered, over all connections. */
    private final AtomicLong pendingBodyBytes = new AtomicLong();

    /**
     * @param handler makes the handler of whole requests ({@code FullHttpRequest}) for a new connection
     */
    public HttpServer(
            InetSocketAddress listen,
            EventLoopGroup group,
            Transports transports,
            @Nullable SslContext tls,
            HttpLimits limits,
            Gate gate,
            Refusals refusals,
            Supplier<ChannelHandler> handler)
            throws InterruptedException {
        UnpooledByteBufAllocator heap = new UnpooledByteBufAllocator(false);
        this.channel = new ServerBootstrap()
                .group(group)
                .channel(transports.serverChannel())
                .childOption(ChannelOption.ALLOCATOR, heap)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        MessageDeadline deadline = new MessageDeadline(limits.idleSeconds(), limits.requestSeconds());
                        ch.pipeline()
                                .addLast(deadline)
                                .addLast(new HttpServerCodec(8192, 16384, 16384))
                                .addLast(new BodyGate(limits, pendingBodyBytes, gate, refusals, deadline))
                                .addLast(new HttpObjectAggregator(limits.maxBodyBytes()) {
                                    @Override
                                    protected void handleOversizedMessage(
                                            ChannelHandlerContext ctx, HttpMessage oversized) {
                                        // A chunked body that grew past the limit: the rest is still coming.
                                        FullHttpResponse tooLarge =
                                                refusals.refusal(413, "body_too_large", BodyGate.tooLarge(limits));
                                        tooLarge.headers().set(HttpHeaderNames.CONNECTION, "close");
                                        ctx.writeAndFlush(tooLarge).addListener(ChannelFutureListener.CLOSE);
                                    }
                                })
                                .addLast(handler.get());
                    }
                })
                .bind(listen)
                .sync()
                .channel();
    }

    /** Bytes of request bodies announced and not yet answered (bounded by {@link HttpLimits}). */
    public long pendingBodyBytes() {
        return pendingBodyBytes.get();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
