package org.safenet.dns.resolver.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.listen.Transports;
import org.safenet.dns.resolver.upstream.UpstreamSockets.IdTable;
import org.safenet.dns.resolver.upstream.UpstreamSockets.Receiver;

/**
 * The TCP and TLS connections one event loop sends upstream queries on: per upstream, a few
 * connections kept open and shared by every query of the loop, each query written as soon as it
 * comes (pipelining) and its answer matched by ID whatever the order (RFC 7766 §6.2.1.1, RFC 7858
 * §3.4). A connection with nothing outstanding is closed after {@link #IDLE_SECONDS}; an upstream
 * that closes one first costs the queries on it one retry on a fresh connection.
 *
 * <p>For a {@code tls://} upstream a connection is ready only once the handshake has verified the
 * server (chain, name, pins); a failed handshake fails the queries waiting on it, which go to the
 * next upstream or get SERVFAIL. Nothing is ever resent in clear text. The JDK client keeps TLS
 * sessions by server, so a reconnection resumes (one round trip less).
 *
 * <p>Confined to one event loop, as {@link UpstreamSockets}.
 */
final class UpstreamStreams {
    /** Connections per upstream per event loop: a second is opened only when the first is full. */
    static final int MAX_CONNECTIONS_PER_SERVER = 4;
    /** Queries outstanding on one connection (Unbound's default for one TCP stream is 32 to 64K). */
    static final int MAX_PENDING_PER_CONNECTION = 4_096;
    /** A connection with no query outstanding this long is closed (Unbound's tcp-idle-timeout is 30 s). */
    static final int IDLE_SECONDS = 10;

    private final EventLoop loop;
    private final Transports transports;
    private final SplittableRandom random;
    private final Map<UpstreamServer, List<Connection>> pools = new HashMap<>();
    /** Connections open on every loop (shared with the other loops' pools, for the gauge). */
    private final AtomicInteger open;
    /** Connections opened on every loop, for the counter. */
    private final AtomicLong opened;

    UpstreamStreams(EventLoop loop, Transports transports, long seed, AtomicInteger open, AtomicLong opened) {
        this.loop = loop;
        this.transports = transports;
        this.random = new SplittableRandom(seed);
        this.open = open;
        this.opened = opened;
    }

    /**
     * A connection to {@code server} (TLS for a tls:// upstream, else TCP) with a free ID for one
     * query; a new one is opened if none is open with room, up to the limit, after which null (the
     * caller fails the attempt). {@code fresh}: never an already used connection (a retry after
     * one closed under the query).
     */
    @Nullable
    Lease lease(UpstreamServer server, int id, Receiver receiver, long connectTimeoutMillis, boolean fresh) {
        List<Connection> pool = pools.computeIfAbsent(server, s -> new ArrayList<>(1));
        Connection chosen = null;
        if (!fresh) {
            for (Connection c : pool) {
                if (c.channel.isOpen() && c.pending.size() < MAX_PENDING_PER_CONNECTION) {
                    chosen = c;
                    break;
                }
            }
        }
        if (chosen == null) {
            if (pool.size() >= MAX_CONNECTIONS_PER_SERVER) {
                return null;
            }
            chosen = open(server, pool, connectTimeoutMillis);
        }
        int free = id;
        while (chosen.pending.get(free) != null) {
            free = random.nextInt(0x10000);
        }
        chosen.pending.put(free, receiver);
        return new Lease(chosen, free);
    }

    /** Closes every connection (the loop is shutting down). */
    void closeAll() {
        for (List<Connection> pool : pools.values()) {
            for (Connection c : pool) {
                c.channel.close();
            }
        }
        pools.clear();
    }

    /** Opens a connection and adds it to {@code pool}, which it leaves when it closes. */
    private Connection open(UpstreamServer server, List<Connection> pool, long connectTimeoutMillis) {
        Connection conn = new Connection();
        SslContext tls = server.tls;
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(transports.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, connectTimeoutMillis))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            UpstreamAddress a = server.upstream();
                            String peer = a.authName() != null
                                    ? a.authName()
                                    : NetUtil.toAddressString(a.hostPort().address());
                            SslHandler ssl = tls.newHandler(
                                    ch.alloc(), peer, a.hostPort().port());
                            ssl.setHandshakeTimeoutMillis(Math.max(1, connectTimeoutMillis));
                            ch.pipeline().addLast(ssl);
                        }
                        ch.pipeline()
                                .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS))
                                .addLast(new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2))
                                .addLast(conn);
                    }
                });
        ChannelFuture connect = b.connect(server.address());
        conn.channel = connect.channel();
        conn.ready = connect.channel().newPromise();
        ChannelPromise ready = conn.ready;
        connect.addListener(c -> {
            if (!c.isSuccess()) {
                ready.tryFailure(c.cause());
                return;
            }
            SslHandler ssl = connect.channel().pipeline().get(SslHandler.class);
            if (ssl == null) {
                ready.trySuccess();
                return;
            }
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    ready.trySuccess();
                } else {
                    server.tlsFailed(h.cause());
                    ready.tryFailure(new TlsFailure(h.cause()));
                    connect.channel().close();
                }
            });
        });
        pool.add(conn);
        open.incrementAndGet();
        opened.incrementAndGet();
        connect.channel().closeFuture().addListener(f -> {
            open.decrementAndGet();
            ready.tryFailure(new IllegalStateException("connection closed"));
            pool.remove(conn);
            if (pool.isEmpty()) {
                pools.remove(server, pool); // a server dropped by a reload leaves nothing behind
            }
            conn.failAll();
        });
        return conn;
    }

    /** The TLS handshake with an upstream failed: its certificate, name or pin did not verify. */
    static final class TlsFailure extends Exception {
        TlsFailure(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    /** One query's place on a connection: the ID it was given there. */
    record Lease(Connection connection, int id) {
        /** The query is over (answered, timed out, abandoned): its ID is free again. */
        void release(Receiver receiver) {
            connection.pending.remove(id, receiver);
        }
    }

    /** A connection to an upstream and the queries outstanding on it, by ID. */
    static final class Connection extends ChannelInboundHandlerAdapter {
        final IdTable pending = new IdTable();

        @SuppressWarnings("NullAway.Init") // set in open() before anything can use it
        Channel channel;

        /** Done once connected (and, over TLS, the server verified): a query sent before waits for it. */
        @SuppressWarnings("NullAway.Init")
        ChannelPromise ready;

        /** True once an answer came back on it: a failure after that is the server closing a used connection. */
        boolean answered;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            try {
                if (frame.readableBytes() >= 2) {
                    Receiver r = pending.get(frame.getUnsignedShort(frame.readerIndex()));
                    if (r != null) {
                        answered = true;
                        r.received(frame);
                    }
                }
            } finally {
                ReferenceCountUtil.release(frame);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent && pending.isEmpty()) {
                ctx.close();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset, a TLS alert, a frame over 64 KiB: every query on it has failed.
            ctx.close();
        }

        void failAll() {
            if (pending.isEmpty()) {
                return;
            }
            for (Receiver r : pending.drain()) {
                r.socketFailed();
            }
        }
    }
}
