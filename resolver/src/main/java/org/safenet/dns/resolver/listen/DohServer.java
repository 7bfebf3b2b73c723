package org.safenet.dns.resolver.listen;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import org.safenet.dns.resolver.pipeline.QueryPipeline;

/**
 * The DNS over HTTPS listener (RFC 8484): TLS, then HTTP/2 ({@link DohHttp2Handler}, frames) or
 * HTTP/1.1 ({@link DohHandler}, one request at a time) as the client's ALPN chooses. The idle timeout is {@code server.tcpIdleTimeout}.
 */
final class DohServer {
    private DohServer() {}

    /** Streams a client may have open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS), as Unbound's default. */
    static final int MAX_STREAMS = 100;

    static ServerBootstrap bootstrap(DnsListeners listeners, TlsMaterial tls) {
        QueryPipeline pipeline = listeners.pipeline();
        long idleMillis = listeners.settings().tcpIdleTimeout().toMillis();
        return listeners.serverBootstrap().childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                // The guard first, as on plain TCP and DoT: a connection takes its slot (or is
                // closed) before its handshake costs anything.
                TcpGuard guard = listeners.newGuard();
                ch.pipeline()
                        .addLast(guard)
                        // Below TLS: an answer's flush makes its TLS record, the socket write
                        // waits for the end of the read (DohHttp2Handler says why).
                        .addLast(new FlushConsolidationHandler(256, false))
                        .addLast(tls.context().newHandler(ch.alloc()))
                        .addLast(TcpGuard.idleTimer(idleMillis))
                        .addLast(new Negotiation(pipeline, guard));
            }
        });
    }

    /** After the handshake: HTTP/2 streams, or one HTTP/1.1 connection. */
    private static final class Negotiation extends ApplicationProtocolNegotiationHandler {
        private final QueryPipeline pipeline;
        private final TcpGuard guard;

        Negotiation(QueryPipeline pipeline, TcpGuard guard) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.pipeline = pipeline;
            this.guard = guard;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                ctx.pipeline()
                        .addLast(Http2FrameCodecBuilder.forServer()
                                .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(MAX_STREAMS))
                                .build())
                        .addLast(new DohHttp2Handler(pipeline, guard));
            } else {
                ctx.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(DohRequests.MAX_BODY))
                        .addLast(new DohHandler(pipeline, ctx.channel(), guard));
            }
        }
    }
}
