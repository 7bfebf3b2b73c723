package org.safenet.dns.resolver.upstream;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.cache.CachedResponse;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.cache.UpstreamResponses;
import org.safenet.dns.resolver.listen.Transports;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.tap.QueryTap;
import org.safenet.dns.resolver.wire.AnswerWriter;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends cache misses upstream and hands the answer (or the failure) to every query waiting on it.
 *
 * <p>Each exchange runs on the event loop of the query that started it: its upstream sockets are
 * registered on that loop, so no state here is shared between threads except upstream health.
 * Identical questions in flight on one loop share one upstream query (coalescing, CoreDNS
 * singleflight). A UDP upstream query goes out on a pooled socket (a kernel-chosen random port,
 * connected so that the kernel drops datagrams from other addresses; see {@link UpstreamSockets})
 * with an ID from a CSPRNG, which together give the entropy against spoofing that RFC 5452 asks
 * for. A truncated answer is asked again over TCP. A {@code tcp://} or {@code tls://} upstream is
 * asked over a kept, pipelined connection ({@link UpstreamStreams}); a {@code tls://} one never in
 * clear text.
 */
public final class Forwarder {
    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);

    /** What a waiting query is told. Called on the exchange's event loop. */
    public interface Callback {
        /**
         * The upstream's answer (stored in the cache if cacheable). Where it leads (CNAME targets,
         * addresses) is not yet checked against the policy: the caller does that for its client's
         * profile, as it does for a cache hit.
         */
        void answered(CachedResponse response);

        void failed();

        /**
         * No answer can be given, for a reason RFC 8914 names: {@code infoCode} (e.g. 6, DNSSEC
         * Bogus) and {@code text} go into the SERVFAIL's Extended DNS Error.
         */
        default void failed(int infoCode, String text) {
            failed();
        }

        /** Shed under overload with {@code upstream.overload: drop}: no answer is sent. */
        void dropped();
    }

    /** Swapped together by {@link #reconfigure} (a config reload); an exchange keeps the settings it began with. */
    private volatile UpstreamRouter router;

    private volatile UpstreamSettings settings;
    /** dnstap of forwarder queries and responses, or null. */
    private volatile @Nullable QueryTap tap;
    /** Where misses outside the forward zones go instead of the upstreams (recursion, validation), or null. */
    private volatile @Nullable MissResolver missResolver;

    private final PacketCache cache;
    private final Transports transports;
    private final ResolverMetrics metrics;
    private final LongSupplier clockMillis;
    private final int ednsUdpSize;
    private final FixedRecvByteBufAllocator upstreamReceiveBuffers;
    /** Event loops sharing {@link UpstreamSettings#maxPending()}. */
    private final int loops;
    /**
     * New upstreams, timeouts and forward zones (a config reload): queries from now on use them;
     * exchanges already in flight finish with what they began with.
     */
    public void reconfigure(UpstreamRouter router, UpstreamSettings settings) {
        this.settings = settings;
        this.router = router;
    }

    /** Upstream exchanges waiting for an answer, on every loop (a gauge; bounded by the socket pools). */
    public int pending() {
        MissResolver other = missResolver;
        return exchangesPending.get() + (other == null ? 0 : other.pending());
    }

    private final AtomicInteger exchangesPending = new AtomicInteger();

    /** TCP and TLS connections to upstreams open now, on every loop (a gauge). */
    public int upstreamConnections() {
        return streamConnections.get();
    }

    private final AtomicInteger streamConnections = new AtomicInteger();

    /** TCP and TLS connections to upstreams opened so far (a counter). */
    public long upstreamConnectionsOpened() {
        return streamConnectionsOpened.get();
    }

    private final AtomicLong streamConnectionsOpened = new AtomicLong();

    /** Upstream exchanges waiting for an answer on the calling event loop (call it on that loop). */
    public int inFlightOnThisLoop() {
        return inFlight.get().size();
    }

    private final FastThreadLocal<Map<String, Exchange>> inFlight = new FastThreadLocal<>() {
        @Override
        protected Map<String, Exchange> initialValue() {
            return new HashMap<>();
        }
    };
    /** Per loop: questions whose upstreams all failed recently, with when to try again (RFC 9520). */
    private final FastThreadLocal<FailureMemo> recentFailures = new FastThreadLocal<>() {
        @Override
        protected FailureMemo initialValue() {
            return new FailureMemo(MAX_RECENT_FAILURES);
        }
    };

    /** Bound on {@link #recentFailures} per loop; past it, the oldest is forgotten. */
    static final int MAX_RECENT_FAILURES = 10_000;

    /** Per loop: the UDP sockets upstream queries go out on. */
    private final FastThreadLocal<UpstreamSockets> sockets = new FastThreadLocal<>() {
        @Override
        protected void onRemoval(UpstreamSockets value) {
            value.closeAll();
        }
    };

    /** Per loop: the TCP and TLS connections upstream queries go out on. */
    private final FastThreadLocal<UpstreamStreams> streams = new FastThreadLocal<>() {
        @Override
        protected void onRemoval(UpstreamStreams value) {
            value.closeAll();
        }
    };

    /** This loop's connections, made on first use. Call on {@code loop}. */
    private UpstreamStreams streamsOf(EventLoop loop) {
        UpstreamStreams s = streams.getIfExists();
        if (s == null) {
            s = new UpstreamStreams(
                    loop, transports, random.get().nextLong(), streamConnections, streamConnectionsOpened);
            streams.set(s);
        }
        return s;
    }

    /** This loop's sockets, made on first use. Call on {@code loop}. */
    private UpstreamSockets socketsOf(EventLoop loop) {
        UpstreamSockets s = sockets.getIfExists();
        if (s == null) {
            s = new UpstreamSockets(
                    loop, transports, upstreamReceiveBuffers, random.get().nextLong());
            sockets.set(s);
        }
        return s;
    }

    private final FastThreadLocal<SecureRandom> random = new FastThreadLocal<>() {
        @Override
        protected SecureRandom initialValue() {
            return new SecureRandom();
        }
    };

    public Forwarder(
            UpstreamRouter router,
            UpstreamSettings settings,
            PacketCache cache,
            Transports transports,
            ResolverMetrics metrics,
            LongSupplier clockMillis,
            int ednsUdpSize,
            int loops) {
        this.loops = Math.max(1, loops);
        this.router = router;
        this.settings = settings;
        this.cache = cache;
        this.transports = transports;
        this.metrics = metrics;
        this.clockMillis = clockMillis;
        this.ednsUdpSize = ednsUdpSize;
        // Upstreams answer within the EDNS size we advertise; 4096 at least, so a server that
        // ignores it is still read whole up to the common maximum (larger would be truncated).
        this.upstreamReceiveBuffers = new FixedRecvByteBufAllocator(Math.max(4096, ednsUdpSize));
    }

    /**
     * Resolves {@code q} upstream; {@code callback} hears the outcome on {@code loop}. Must be
     * called on {@code loop}. {@code q} must be a detached copy: it is kept until the answer.
     */
    /** dnstap from now on (it writes FORWARDER_QUERY/RESPONSE if its settings ask for them); null: none. */
    public void tap(@Nullable QueryTap tap) {
        this.tap = tap;
    }

    /** Misses outside the forward zones go to {@code resolver} from now on; null: to the upstreams. */
    public void missResolver(@Nullable MissResolver resolver) {
        this.missResolver = resolver;
    }

    public void forward(ParsedQuery q, EventLoop loop, Callback callback) {
        MissResolver other = missResolver;
        if (other != null && !router.inForwardZone(q)) {
            other.resolve(q, loop, callback);
            return;
        }
        String key = q.questionKey();
        if (recentFailures.get().failedRecently(key, clockMillis.getAsLong())) {
            metrics.upstreamFailureCached().increment();
            callback.failed();
            return;
        }
        Map<String, Exchange> pending = inFlight.get();
        Exchange existing = pending.get(key);
        if (existing != null) {
            existing.callbacks.add(callback);
            metrics.counters().coalesced();
            return;
        }
        UpstreamSettings now = settings;
        if (pending.size() >= Math.max(1, now.maxPending() / loops)) {
            // Overloaded: this loop's share of pending queries is taken. Shed the new miss, so the
            // loop's time and memory stay with cached and blocked answers and the queries in flight.
            metrics.counters().shed(now.shedDrop());
            if (now.shedDrop()) {
                callback.dropped();
            } else {
                callback.failed();
            }
            return;
        }
        Exchange ex = new Exchange(q, key, loop, router.candidates(q, System.nanoTime()));
        ex.callbacks.add(callback);
        pending.put(key, ex);
        exchangesPending.incrementAndGet();
        ex.nextAttempt();
    }

    private void rememberFailure(String key) {
        long ttl = settings.failureCacheTtl().toMillis();
        if (ttl > 0) {
            recentFailures.get().remember(key, clockMillis.getAsLong(), ttl);
        }
    }

    /** Writes the query we send upstream: RD, the client's CD, lowercased question, OPT with DO. */
    static void encodeQuery(ByteBuf out, int id, ParsedQuery q, int udpSize) {
        int flags = FLAG_RD | (q.checkingDisabled() ? FLAG_CD : 0);
        AnswerWriter.writeHeader(out, id, flags, 1, 0, 0, 1);
        out.writeBytes(q.name(), 0, q.nameLength());
        out.writeShort(q.type());
        out.writeShort(q.qclass());
        AnswerWriter.writeOpt(out, udpSize, 0, q.dnssecOk());
    }

    /** One question's journey through its candidate upstreams. Confined to {@link #loop}. */
    private final class Exchange implements UpstreamSockets.Receiver {
        final ParsedQuery q;
        final String key;
        final EventLoop loop;
        final List<UpstreamServer> candidates;
        final List<Callback> callbacks = new ArrayList<>(1);
        final int maxAttempts;
        int attempts;
        /** Bumped per attempt; a late event from an older attempt sees a different value and is ignored. */
        int generation;

        @Nullable
        UpstreamServer current;

        /** The pooled UDP socket and ID of the current attempt. */
        UpstreamSockets.@Nullable Lease lease;

        /** The TCP or TLS connection and ID of the current attempt. */
        UpstreamStreams.@Nullable Lease streamLease;

        /** This attempt already moved to a fresh connection once, after a used one closed under it. */
        boolean reconnected;

        @Nullable
        ScheduledFuture<?> timeout;

        int queryId;
        long sentNanos;
        /** When the current attempt was sent, for dnstap (set only with dnstap on). */
        long sentMillis;

        boolean finished;

        /** The upstream settings this exchange began with (a reload does not change it midway). */
        private final UpstreamSettings settings = Forwarder.this.settings;

        Exchange(ParsedQuery q, String key, EventLoop loop, List<UpstreamServer> candidates) {
            this.q = q;
            this.key = key;
            this.loop = loop;
            this.candidates = candidates;
            this.maxAttempts = Math.min(settings.attempts(), candidates.size());
        }

        void nextAttempt() {
            if (attempts >= maxAttempts) {
                finish(null);
                return;
            }
            UpstreamServer server = candidates.get(attempts++);
            current = server;
            ++generation;
            if (server.transport() != UpstreamAddress.Transport.UDP) {
                reconnected = false;
                sendOverStream(server, false);
                return;
            }
            server.udpQueries.increment();
            // A pooled socket of this loop (a random port, retired over time) and a CSPRNG ID
            // that is free on it; see UpstreamSockets for the entropy this leaves an attacker.
            UpstreamSockets.Lease l = socketsOf(loop)
                    .lease(server.address(), System.nanoTime(), random.get().nextInt(0x10000), this);
            if (l == null) {
                attemptFailed("overload");
                return;
            }
            lease = l;
            queryId = l.id();
            armTimeout(generation);
            int gen = generation;
            ChannelFuture ready = l.socket().ready;
            if (ready.isDone()) {
                sendPooled(l, gen);
            } else {
                ready.addListener(done -> sendPooled(l, gen));
            }
        }

        private void sendPooled(UpstreamSockets.Lease l, int gen) {
            if (gen != generation) {
                return;
            }
            if (!l.socket().ready.isSuccess()) {
                attemptFailed("network");
                return;
            }
            sendQuery(l.socket().channel, false, gen);
        }

        @Override
        public void received(ByteBuf answer) {
            onResponse(answer, streamLease != null);
        }

        @Override
        public void socketFailed() {
            UpstreamStreams.Lease s = streamLease;
            lease = null; // the socket or connection dropped it already
            streamLease = null;
            UpstreamServer server = current;
            if (s != null && s.connection().answered && !reconnected && server != null && !finished) {
                // The upstream closed a connection it had answered on (its idle timeout, a restart)
                // while this query was on it: one more try on a fresh connection, as RFC 7766 §6.2.1
                // expects of a client, before it counts as the server's failure.
                reconnected = true;
                sendOverStream(server, true);
                return;
            }
            attemptFailed("network");
        }

        void retryOverTcp() {
            UpstreamServer server = current;
            if (server != null) {
                sendOverStream(server, false);
            }
        }

        /**
         * This attempt over a kept connection: TCP for a UDP upstream's truncated answer and for a
         * tcp:// upstream, TLS for a tls:// one. {@code fresh}: on a new connection.
         */
        private void sendOverStream(UpstreamServer server, boolean fresh) {
            closeChannel();
            int gen = ++generation;
            (server.transport() == UpstreamAddress.Transport.TLS ? server.tlsQueries : server.tcpQueries).increment();
            UpstreamStreams.Lease l = streamsOf(loop)
                    .lease(
                            server,
                            random.get().nextInt(0x10000),
                            this,
                            settings.timeout().toMillis(),
                            fresh);
            if (l == null) {
                attemptFailed("overload");
                return;
            }
            streamLease = l;
            queryId = l.id();
            armTimeout(gen);
            ChannelFuture ready = l.connection().ready;
            if (ready.isDone()) {
                sendStream(l, gen);
            } else {
                ready.addListener(done -> sendStream(l, gen));
            }
        }

        private void sendStream(UpstreamStreams.Lease l, int gen) {
            if (gen != generation) {
                return;
            }
            ChannelFuture ready = l.connection().ready;
            if (!ready.isSuccess()) {
                attemptFailed(ready.cause() instanceof UpstreamStreams.TlsFailure ? "tls" : "network");
                return;
            }
            sendQuery(l.connection().channel, true, gen);
        }

        private void sendQuery(Channel ch, boolean tcp, int gen) {
            ByteBufAllocator alloc = ch.alloc();
            ByteBuf out = alloc.buffer(q.nameLength() + 40);
            if (tcp) {
                out.writeShort(0);
            }
            encodeQuery(out, queryId, q, ednsUdpSize);
            if (tcp) {
                out.setShort(0, out.readableBytes() - 2);
            }
            sentNanos = System.nanoTime();
            QueryTap t = tap;
            UpstreamServer server = current;
            if (t != null && t.forwarderQueries() && server != null) {
                int offset = tcp ? 2 : 0;
                sentMillis = clockMillis.getAsLong();
                t.forwarderQuery(out, offset, out.readableBytes() - offset, server.address(), tcp, sentMillis);
            }
            ch.writeAndFlush(out).addListener(w -> {
                if (!w.isSuccess() && gen == generation) {
                    attemptFailed("network");
                }
            });
        }

        private void armTimeout(int gen) {
            cancelTimeout();
            timeout = loop.schedule(
                    () -> {
                        if (gen == generation && !finished) {
                            attemptFailed("timeout");
                        }
                    },
                    settings.timeout().toNanos(),
                    TimeUnit.NANOSECONDS);
        }

        void onResponse(ByteBuf content, boolean overTcp) {
            UpstreamServer server = current;
            if (finished || server == null) {
                return;
            }
            QueryTap t = tap;
            if (t != null && t.forwarderResponses()) {
                long now = clockMillis.getAsLong();
                t.forwarderResponse(
                        content,
                        content.readerIndex(),
                        content.readableBytes(),
                        server.address(),
                        overTcp,
                        sentMillis > 0 ? sentMillis : now,
                        now);
            }
            UpstreamResponses.Decoded d = UpstreamResponses.decode(
                    content, queryId, q, cache.seed(), cache.settings(), clockMillis.getAsLong());
            switch (d.status()) {
                case MISMATCH -> {
                    // Not our answer (late, spoofed, or for another ID): keep waiting for the real one.
                    metrics.upstreamFailure(server.toString(), "mismatch").increment();
                    if (overTcp) {
                        attemptFailed("mismatch");
                    }
                }
                case MALFORMED -> attemptFailed("malformed");
                case TRUNCATED -> {
                    if (overTcp) {
                        attemptFailed("malformed");
                    } else {
                        retryOverTcp();
                    }
                }
                case OK -> {
                    CachedResponse entry = d.entry();
                    if (entry == null) {
                        attemptFailed("malformed");
                        return;
                    }
                    int rcode = entry.rcode();
                    if (rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN) {
                        // SERVFAIL, REFUSED, ...: another upstream may do better (Unbound does the same).
                        attemptFailed("rcode");
                        return;
                    }
                    server.latency.record(System.nanoTime() - sentNanos, TimeUnit.NANOSECONDS);
                    server.succeeded();
                    if (d.cacheable()) {
                        cache.store(entry);
                    }
                    finish(entry);
                }
            }
        }

        void attemptFailed(String reason) {
            UpstreamServer server = current;
            if (finished) {
                return;
            }
            generation++;
            closeChannel();
            cancelTimeout();
            if (server != null) {
                server.failed(reason, System.nanoTime());
                log.debug("upstream {} failed for {}: {}", server, q, reason);
            }
            nextAttempt();
        }

        void finish(@Nullable CachedResponse entry) {
            if (!end()) {
                return;
            }
            if (entry == null) {
                rememberFailure(key);
                tell(Callback::failed);
            } else {
                tell(cb -> cb.answered(entry));
            }
        }

        /** Ends the exchange once: stops its timer and socket, leaves the in-flight map. */
        private boolean end() {
            if (finished) {
                return false;
            }
            finished = true;
            generation++;
            cancelTimeout();
            closeChannel();
            inFlight.get().remove(key, this);
            exchangesPending.decrementAndGet();
            return true;
        }

        /** Tells every waiting query; one failing waiter does not stop the others. */
        private void tell(Consumer<Callback> outcome) {
            for (Callback cb : callbacks) {
                try {
                    outcome.accept(cb);
                } catch (RuntimeException e) {
                    log.warn("answering a waiting query failed", e);
                }
            }
        }

        /** Gives back the attempt's socket or connection ID (the socket or connection stays). */
        private void closeChannel() {
            UpstreamSockets.Lease l = lease;
            lease = null;
            if (l != null) {
                l.release(this);
            }
            UpstreamStreams.Lease s = streamLease;
            streamLease = null;
            if (s != null) {
                s.release(this);
            }
        }

        private void cancelTimeout() {
            ScheduledFuture<?> t = timeout;
            timeout = null;
            if (t != null) {
                t.cancel(false);
            }
        }
    }
}
