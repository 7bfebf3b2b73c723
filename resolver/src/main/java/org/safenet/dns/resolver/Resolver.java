package org.safenet.dns.resolver;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.resolver.listen.DnsListeners;
import org.safenet.dns.resolver.listen.Transports;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.pipeline.ZoneService;
import org.safenet.dns.resolver.policy.ClientGroups;
import org.safenet.dns.resolver.policy.Policy;
import org.safenet.dns.resolver.policy.PolicyAnswers;
import org.safenet.dns.resolver.policy.Profile;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.tap.QueryTap;
import org.safenet.dns.resolver.upstream.Forwarder;
import org.safenet.dns.resolver.upstream.MissResolver;
import org.safenet.dns.resolver.upstream.UpstreamRouter;
import org.safenet.dns.resolver.upstream.UpstreamSettings;

/**
 * The resolver engine, wired: event loops, listeners, pipeline, cache, forwarder. The one entry
 * point the appliance (and component tests) use.
 */
public final class Resolver implements AutoCloseable {
    private final ResolverSettings settings;
    private final Transports transports;
    private final MultiThreadIoEventLoopGroup group;
    private final PacketCache cache;
    private final ResolverMetrics metrics;
    private final DnsListeners listeners;
    private final Forwarder forwarder;
    private final QueryPipeline pipeline;
    private List<InetSocketAddress> bound = List.of();

    public Resolver(ResolverSettings settings, MeterRegistry registry, LongSupplier clockMillis) {
        this(settings, registry, clockMillis, Transports.best());
    }

    public Resolver(
            ResolverSettings settings, MeterRegistry registry, LongSupplier clockMillis, Transports transports) {
        this(settings, registry, clockMillis, transports, Policy.NONE, SinkholeSettings.defaults());
    }

    /**
     * @param policy the blocklist decision for every query ({@link Policy#NONE}: none)
     * @param sinkhole how blocked names are answered
     */
    public Resolver(
            ResolverSettings settings,
            MeterRegistry registry,
            LongSupplier clockMillis,
            Transports transports,
            Policy policy,
            SinkholeSettings sinkhole) {
        this.settings = settings;
        this.transports = transports;
        this.metrics = new ResolverMetrics(registry);
        this.cache = new PacketCache(settings.cache());
        registry.gauge("safenet.cache.entries", cache, PacketCache::size);
        int edns = settings.server().ednsUdpSize();
        UpstreamRouter router = new UpstreamRouter(settings.upstream(), metrics);
        this.forwarder = new Forwarder(
                router,
                settings.upstream(),
                cache,
                transports,
                metrics,
                clockMillis,
                edns,
                settings.server().effectiveThreads());
        registry.gauge("safenet.upstream.pending", forwarder, Forwarder::pending);
        registry.gauge("safenet.upstream.connections", forwarder, Forwarder::upstreamConnections);
        FunctionCounter.builder("safenet.upstream.connections.opened", forwarder, Forwarder::upstreamConnectionsOpened)
                .description("TCP and TLS connections to upstreams opened")
                .register(registry);
        ClientAccessList acl = new ClientAccessList(settings.access().allow());
        this.pipeline = new QueryPipeline(
                acl, policy, new PolicyAnswers(sinkhole, edns), cache, forwarder, metrics, clockMillis, edns);
        this.group = transports.newGroup(settings.server().effectiveThreads());
        this.listeners = new DnsListeners(transports, group, pipeline, settings.server(), metrics);
    }

    /** Reads the encrypted listeners' certificate files again if they changed; whether any did. */
    public boolean reloadCertificates() {
        return listeners.reloadCertificates();
    }

    /** Binds the listeners; returns the addresses actually bound (port 0 resolved). */
    public List<InetSocketAddress> start() throws InterruptedException {
        try {
            bound = listeners.bind();
        } catch (InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
        return bound;
    }

    public List<InetSocketAddress> boundAddresses() {
        return bound;
    }

    /** Where DNS over TLS listens (empty without {@code server.dotListen}). */
    public List<InetSocketAddress> boundTlsAddresses() {
        return listeners.boundTlsAddresses();
    }

    /** Where DNS over HTTPS listens (empty without {@code server.dohListen}). */
    public List<InetSocketAddress> boundHttpsAddresses() {
        return listeners.boundHttpsAddresses();
    }

    /**
     * A graceful stop's first half: stops reading queries, then waits until no upstream exchange
     * is in flight on any event loop (each loop counts its own, asked on that loop), or until
     * {@code deadline}. Returns the exchanges still in flight (0: every query read was answered).
     */
    public int drain(Duration deadline) throws InterruptedException {
        listeners.stopAccepting();
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            int inFlight = 0;
            for (EventExecutor loop : group) {
                try {
                    inFlight += loop.submit(forwarder::inFlightOnThisLoop).get(1, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    inFlight++; // a loop that cannot answer counts as busy
                }
            }
            if (inFlight == 0 || System.nanoTime() >= end) {
                return inFlight;
            }
            Thread.sleep(20);
        }
    }

    /**
     * Applies what a config reload may change while queries flow: upstreams, timeouts, forward
     * zones, the access list, and the sinkhole answers. Each is swapped in as one reference, so a
     * query sees either the old settings or the new ones, never a mix, and none is dropped.
     */
    public void reconfigure(
            UpstreamSettings upstream, ResolverSettings.AccessSettings access, SinkholeSettings sinkhole) {
        forwarder.reconfigure(new UpstreamRouter(upstream, metrics), upstream);
        pipeline.reconfigure(
                new ClientAccessList(access.allow()),
                new PolicyAnswers(sinkhole, settings.server().ednsUdpSize()));
    }

    /**
     * Client groups and profiles from now on (live: the next query sees them), their schedules
     * read in {@code zone}; each profile's blocks are exported as a metric.
     */
    public void profiles(ClientGroups groups, ZoneId zone) {
        for (Profile p : groups.profiles()) {
            metrics.profile(p.slot(), p.name());
        }
        pipeline.profiles(groups, zone);
    }

    /**
     * Per-client rate limits from now on (live: the next query sees them). Each event loop keeps
     * its own buckets, and the kernel spreads a client's queries over the loops by source port
     * (a stub resolver picks a new port per query), so each loop allows its share of the rate.
     */
    public void limits(LimitSettings settings) {
        int loops = settings().server().effectiveThreads();
        pipeline.limits(settings.perLoop(loops));
        listeners.limits(settings);
    }

    /** The client groups and profiles in force. */
    public ClientGroups clientGroups() {
        return pipeline.clientGroups();
    }

    /** The minute of the week (0 = Monday 00:00) in the schedules' time zone, now. */
    public int minuteOfWeek() {
        return pipeline.minuteOfWeek();
    }

    /** Whether every event loop runs a task within {@code timeout} (the watchdog's health check). */
    public boolean loopsResponsive(Duration timeout) {
        try {
            for (EventExecutor loop : group) {
                loop.submit(() -> {}).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            return false;
        }
    }

    public PacketCache cache() {
        return cache;
    }

    /** Hands zone transfers and NOTIFY messages to {@code service} (the appliance's RPZ primary and secondaries). */
    public void zoneService(ZoneService service) {
        pipeline.zoneService(service);
    }

    /** Misses outside the forward zones go to {@code resolver} (recursion, validation); null: to the upstreams. */
    public void missResolver(@Nullable MissResolver resolver) {
        forwarder.missResolver(resolver);
    }

    /** dnstap of client and forwarder messages from now on; null: none. The caller closes the tap. */
    public void tap(@Nullable QueryTap tap) {
        pipeline.tap(tap);
        forwarder.tap(tap);
    }

    public ResolverMetrics metrics() {
        return metrics;
    }

    public ResolverSettings settings() {
        return settings;
    }

    public String transportName() {
        return transports.name();
    }

    /**
     * Stops accepting queries, lets the event loops finish what they hold (up to the quiet period),
     * then stops them.
     */
    @Override
    public void close() {
        listeners.close();
        group.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
