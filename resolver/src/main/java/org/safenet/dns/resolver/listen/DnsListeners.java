package org.safenet.dns.resolver.listen;

import io.micrometer.core.instrument.Gauge;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.ResolverSettings.ServerSettings;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.wire.EdnsPadding;
import org.safenet.dns.resolver.wire.QueryParser;

/**
 * Binds the UDP and TCP listeners. With native epoll each listen address gets one UDP socket per
 * event loop, all bound to the same port with {@code SO_REUSEPORT}, so the kernel spreads queries
 * over the loops and no packet changes thread. UDP reads use {@code recvmmsg} (up to {@value
 * #DATAGRAMS_PER_READ} datagrams per system call).
 */
public final class DnsListeners {
    /**
     * Largest query we read over UDP: a longer datagram is cut to it, and a query of this length
     * gets FORMERR over UDP and TCP alike ({@link QueryParser#MAX_QUERY_BYTES}).
     */
    static final int MAX_QUERY_DATAGRAM = QueryParser.MAX_QUERY_BYTES;

    static final int DATAGRAMS_PER_READ = 16;

    private final Transports transports;
    private final EventLoopGroup group;
    private final QueryPipeline pipeline;
    private final ServerSettings settings;
    private final ResolverMetrics metrics;
    private final List<Channel> channels = new ArrayList<>();
    private final List<InetSocketAddress> bound = new ArrayList<>();
    private final List<InetSocketAddress> boundTls = new ArrayList<>();
    private final List<InetSocketAddress> boundHttps = new ArrayList<>();
    private @Nullable TlsMaterial tlsMaterial;
    /** Every listener's certificate (one per kind of listener: DoT, DoH), for {@link #reloadCertificates}. */
    private final List<TlsMaterial> certificates = new CopyOnWriteArrayList<>();

    private final TcpConnections tcpConnections;

    public DnsListeners(
            Transports transports,
            EventLoopGroup group,
            QueryPipeline pipeline,
            ServerSettings settings,
            ResolverMetrics metrics) {
        this.transports = transports;
        this.group = group;
        this.pipeline = pipeline;
        this.settings = settings;
        this.metrics = metrics;
        this.tcpConnections = new TcpConnections(settings.tcpMaxConnections(), LimitSettings.OFF, metrics);
        String connections = "open client TCP connections: busy (a query arriving or waiting for its answer) or idle";
        Gauge.builder("safenet.tcp.connections", tcpConnections, TcpConnections::busy)
                .description(connections)
                .tag("state", "busy")
                .register(metrics.registry());
        Gauge.builder("safenet.tcp.connections", tcpConnections, c -> c.size() - c.busy())
                .description(connections)
                .tag("state", "idle")
                .register(metrics.registry());
    }

    /** Binds every listen address; a port of 0 picks one free port shared by UDP and TCP. */
    public List<InetSocketAddress> bind() throws InterruptedException {
        for (HostPort hp : settings.listen()) {
            bindOne(hp);
        }
        if (!settings.dotListen().isEmpty()) {
            TlsMaterial material = tls("dot");
            for (HostPort hp : settings.dotListen()) {
                boundTls.add(bindEncrypted(tcpBootstrap(material), hp, "DNS over TLS"));
            }
        }
        if (!settings.dohListen().isEmpty()) {
            TlsMaterial material = tls("h2", "http/1.1");
            for (HostPort hp : settings.dohListen()) {
                boundHttps.add(bindEncrypted(DohServer.bootstrap(this, material), hp, "DNS over HTTPS"));
            }
        }
        return List.copyOf(bound);
    }

    /**
     * Reads the certificate files again if they changed (a reload, SIGHUP): the next handshake
     * presents the new certificate; they are also checked at most once a second by handshakes.
     * Returns whether any listener's certificate changed; files that do not load keep the old one.
     */
    public boolean reloadCertificates() {
        boolean any = false;
        for (TlsMaterial m : certificates) {
            any |= m.reloadIfChanged();
        }
        return any;
    }

    private InetSocketAddress bindEncrypted(ServerBootstrap b, HostPort hp, String what) throws InterruptedException {
        Channel ch;
        try {
            ch = b.bind(hp.toSocketAddress()).sync().channel();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) { // Netty rethrows bind failures (IOException) undeclared
            throw new IllegalStateException("cannot listen for " + what + " on " + hp + ": " + e.getMessage(), e);
        }
        channels.add(ch);
        return (InetSocketAddress) ch.localAddress();
    }

    /** A server bootstrap on the resolver's loops and transport: plain TCP and the encrypted listeners. */
    ServerBootstrap serverBootstrap() {
        return new ServerBootstrap()
                .group(group)
                .channel(transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true);
    }

    QueryPipeline pipeline() {
        return pipeline;
    }

    ServerSettings settings() {
        return settings;
    }

    /**
     * The certificate an encrypted listener presents with {@code alpn}, read from {@code
     * server.tls}; the first one's expiry is the metric (every one reads the same files).
     */
    private TlsMaterial tls(String... alpn) {
        TlsMaterial m;
        try {
            m = new TlsMaterial(settings.tls(), alpn);
        } catch (IOException e) {
            throw new IllegalStateException("server.tls: " + e.getMessage(), e);
        }
        certificates.add(m);
        if (tlsMaterial == null) {
            tlsMaterial = m;
            Gauge.builder(
                            "safenet.tls.certificate.expiry",
                            m,
                            t -> Duration.between(Instant.now(), t.notAfter()).toSeconds())
                    .description(
                            "seconds until the certificate the encrypted listeners present expires (negative: expired)")
                    .baseUnit("seconds")
                    .register(metrics.registry());
        }
        return m;
    }

    /** Where DNS over HTTPS listens (after {@link #bind()}). */
    public List<InetSocketAddress> boundHttpsAddresses() {
        return List.copyOf(boundHttps);
    }

    /** Where DNS over TLS listens (after {@link #bind()}). */
    public List<InetSocketAddress> boundTlsAddresses() {
        return List.copyOf(boundTls);
    }

    public List<InetSocketAddress> boundAddresses() {
        return List.copyOf(bound);
    }

    private void bindOne(HostPort hp) throws InterruptedException {
        // With port 0 the kernel picks a port free for UDP, which TCP may hold (an outgoing
        // connection's ephemeral port): then try another. A fixed port gets one try.
        int tries = hp.port() == 0 ? 20 : 1;
        for (int attempt = 1; ; attempt++) {
            List<Channel> these = new ArrayList<>();
            try {
                bindAll(hp, these);
                channels.addAll(these);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) { // Netty rethrows bind failures (IOException) undeclared
                for (Channel ch : these) {
                    ch.close().syncUninterruptibly();
                }
                if (attempt >= tries) {
                    throw new IllegalStateException("cannot listen on " + hp + ": " + e.getMessage(), e);
                }
            }
        }
    }

    private void bindAll(HostPort hp, List<Channel> these) throws InterruptedException {
        int sockets = transports.nativeEpoll() ? settings.effectiveThreads() : 1;
        InetSocketAddress requested = hp.toSocketAddress();
        boolean ipv4 = requested.getAddress() instanceof java.net.Inet4Address;
        Channel first = udpBootstrap(ipv4).bind(requested).sync().channel();
        these.add(first);
        InetSocketAddress actual = (InetSocketAddress) first.localAddress();
        for (int i = 1; i < sockets; i++) {
            these.add(udpBootstrap(ipv4).bind(actual).sync().channel());
        }
        these.add(tcpBootstrap(null).bind(actual).sync().channel());
        bound.add(actual);
    }

    private Bootstrap udpBootstrap(boolean ipv4) {
        Bootstrap b = new Bootstrap()
                .group(group)
                .channelFactory(() -> transports.newDatagramChannel(ipv4))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new UdpQueryHandler(pipeline));
                    }
                });
        if (transports.nativeEpoll()) {
            b.option(EpollChannelOption.SO_REUSEPORT, true)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_QUERY_DATAGRAM)
                    .option(
                            ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(MAX_QUERY_DATAGRAM * DATAGRAMS_PER_READ));
        } else {
            b.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_QUERY_DATAGRAM));
        }
        return b;
    }

    /**
     * DNS over TCP (RFC 7766), or with {@code tls} DNS over TLS (RFC 7858): the same handlers
     * behind a TLS handler, so the same connection limits, pipelining, out-of-order answers and
     * idle timeout. The guard comes first: a connection takes its slot before its handshake.
     */
    private ServerBootstrap tcpBootstrap(@Nullable TlsMaterial tls) {
        long idleMillis = settings.tcpIdleTimeout().toMillis();
        return serverBootstrap().childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                TcpGuard guard = newGuard();
                ch.pipeline().addLast(guard);
                if (tls != null) {
                    ch.pipeline().addLast(tls.context().newHandler(ch.alloc()));
                }
                ch.pipeline()
                        .addLast(TcpGuard.idleTimer(idleMillis))
                        .addLast(new TcpGuard.Frames(guard))
                        .addLast(
                                new TcpQueryHandler(pipeline, ch, guard, tls == null ? 0 : EdnsPadding.RESPONSE_BLOCK));
            }
        });
    }

    /**
     * The first handler of a client connection on any stream listener (TCP, DoT, DoH): one table
     * of connections, one limit, per client and in all.
     */
    TcpGuard newGuard() {
        return new TcpGuard(tcpConnections, metrics);
    }

    /** Per-client TCP limits from now on (new connections and new queries see them). */
    public void limits(LimitSettings limits) {
        tcpConnections.limits(limits);
    }

    /** Client TCP connections open now. */
    public int tcpConnections() {
        return tcpConnections.size();
    }

    /**
     * Stops reading new queries but keeps the sockets open, so answers to queries already in
     * flight still go out (a graceful stop drains before {@link #close}).
     */
    public void stopAccepting() {
        for (Channel ch : channels) {
            ch.config().setAutoRead(false);
        }
    }

    /** Stops accepting: closes every listening socket (in-flight work on the loops carries on). */
    public void close() {
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        channels.clear();
    }
}
