package org.safenet.dns.resolver.listen;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.limit.ClientLimiter;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.resolver.stats.ResolverMetrics;

/**
 * Every open client TCP connection, over all event loops, so that no client can take every slot
 * (RFC 7766 §6.2.2 spirit, and the slow-connection attack: 1,000 connections from one address,
 * each sending a byte every few seconds). A client (its prefix, as the rate limits count it) may
 * hold {@link LimitSettings#tcpConnectionsPerClient()} connections; when all {@code
 * tcpMaxConnections} are taken, the connection idle longest (no query arriving or waiting for its
 * answer) is closed to make room, and only when none is idle is the new one refused. Accepting
 * and closing are rare next to queries: one lock is enough.
 */
final class TcpConnections {
    /** One connection: its client's key and whether it is idle, and since when. */
    static final class Connection {
        final Channel channel;
        final long client;
        /** 0 while a query arrives or waits for its answer (written on the connection's loop). */
        volatile long idleSinceNanos;

        Connection(Channel channel, long client, long nowNanos) {
            this.channel = channel;
            this.client = client;
            this.idleSinceNanos = nowNanos;
        }
    }

    private final int maxConnections;
    private final ResolverMetrics metrics;
    private volatile LimitSettings limits;
    /** Oldest first. Guarded by {@code this}. */
    private final Set<Connection> open = new LinkedHashSet<>();

    private final Map<Long, Integer> perClient = new HashMap<>();

    TcpConnections(int maxConnections, LimitSettings limits, ResolverMetrics metrics) {
        this.maxConnections = maxConnections;
        this.limits = limits;
        this.metrics = metrics;
    }

    void limits(LimitSettings limits) {
        this.limits = limits;
    }

    LimitSettings limits() {
        return limits;
    }

    /**
     * Admits a new connection (call on its event loop), closing an idle one to make room if need
     * be; null if it must be closed: its client has its share, or every slot is busy.
     */
    @Nullable
    Connection admit(Channel ch, long nowNanos) {
        LimitSettings l = limits;
        InetAddress address = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        boolean exempt = l.exempt().allows(address);
        long client = ClientLimiter.key(address, l);
        Connection victim = null;
        Connection admitted;
        synchronized (this) {
            int mine = perClient.getOrDefault(client, 0);
            if (!exempt && l.tcpConnectionsPerClient() > 0 && mine >= l.tcpConnectionsPerClient()) {
                metrics.counters().tcpClientLimit();
                return null;
            }
            if (open.size() >= maxConnections) {
                victim = longestIdle();
                if (victim == null) {
                    metrics.counters().tcpRejected();
                    return null;
                }
                remove(victim);
            }
            admitted = new Connection(ch, client, nowNanos);
            open.add(admitted);
            perClient.put(client, mine + 1);
        }
        if (victim != null) {
            metrics.counters().tcpEvicted();
            victim.channel.close();
        }
        return admitted;
    }

    private @Nullable Connection longestIdle() {
        Connection best = null;
        for (Connection c : open) {
            if (c.idleSinceNanos != 0 && (best == null || c.idleSinceNanos - best.idleSinceNanos < 0)) {
                best = c;
            }
        }
        return best;
    }

    /** The connection closed (or was closed): its slot is free. Idempotent. */
    synchronized void closed(Connection c) {
        if (open.contains(c)) {
            remove(c);
        }
    }

    private void remove(Connection c) {
        open.remove(c);
        perClient.computeIfPresent(c.client, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** A query started arriving on {@code c}, or one waits for its answer: not idle. */
    static void busy(Connection c) {
        c.idleSinceNanos = 0;
    }

    /** Nothing arrives on {@code c} and nothing waits: idle from now. */
    static void idle(Connection c, long nowNanos) {
        c.idleSinceNanos = nowNanos == 0 ? 1 : nowNanos;
    }

    synchronized int size() {
        return open.size();
    }

    /** Open connections on which a query is arriving or waits for its answer. */
    synchronized int busy() {
        int n = 0;
        for (Connection c : open) {
            if (c.idleSinceNanos == 0) {
                n++;
            }
        }
        return n;
    }
}
