package org.safenet.dns.resolver.stats;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.net.InetAddress;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.policy.ProfileSlots;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.DnsConstants;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * Counters owned by one event-loop thread: plain fields, written by that thread only, summed by
 * {@link ResolverMetrics} on read. No locks, no CAS, no allocation on the hot path (pdns "per-thread
 * counters"). A reader may see a value a few increments old; counters are monotonic, so that is fine.
 */
public final class LoopCounters {
    long queries;
    long dropped;
    long aclRefused;
    long cacheHits;
    long cacheMisses;
    long staleServed;
    long truncated;
    long coalesced;
    long tcpRejected;
    long shedFailed;
    long rrlSlipped;
    long rrlDropped;
    long shedDropped;
    long tcpClientLimit;
    long tcpEvicted;
    long tcpMessageTimeout;
    long limitedTruncated;
    long limitedDropped;
    long limitedNetwork;
    final long[] answersByRcode = new long[DnsConstants.RCODE_SLOTS];
    final long[] queriesByTransport = new long[QueryTransport.NAMES.size()];
    final long[] policyByAction = new long[PolicyAction.values().length];
    final long[] blockedByCategory = new long[PolicyCategories.SLOTS];
    final long[] blockedByProfile = new long[ProfileSlots.SLOTS];
    long redirected;
    /** This minute's sketches; null when client statistics are off. */
    @Nullable
    StatsWindow window;

    @Nullable
    ClientKeys keys;
    /** The event loop that owns these counters (null on other threads, e.g. in tests). */
    final @Nullable EventExecutor owner = ThreadExecutorMap.currentExecutor();

    public void query() {
        queries++;
    }

    /** A query over {@code transport} ({@link QueryTransport#UDP}, TCP or DOT). */
    public void query(int transport) {
        queries++;
        queriesByTransport[transport]++;
    }

    public void dropped() {
        dropped++;
    }

    public void aclRefused() {
        aclRefused++;
    }

    public void cacheHit() {
        cacheHits++;
    }

    public void cacheMiss() {
        cacheMisses++;
    }

    public void staleServed() {
        staleServed++;
    }

    public void truncated() {
        truncated++;
    }

    public void coalesced() {
        coalesced++;
    }

    public void tcpRejected() {
        tcpRejected++;
    }

    /** A UDP answer over its response rate limit: sent as TC (slipped), or dropped. */
    public void responseLimited(boolean dropped) {
        if (dropped) {
            rrlDropped++;
        } else {
            rrlSlipped++;
        }
    }

    /** A cache miss shed under overload: answered SERVFAIL (or stale), or dropped. */
    public void shed(boolean dropped) {
        if (dropped) {
            shedDropped++;
        } else {
            shedFailed++;
        }
    }

    /** A TCP connection closed at accept: its client already had its share of connections. */
    public void tcpClientLimit() {
        tcpClientLimit++;
    }

    /** An idle TCP connection closed to make room for a new one. */
    public void tcpEvicted() {
        tcpEvicted++;
    }

    /** A TCP connection closed because a query did not arrive whole within its deadline. */
    public void tcpMessageTimeout() {
        tcpMessageTimeout++;
    }

    /**
     * A UDP query over its client's (or its network's) rate limit: answered with TC, or dropped;
     * the client goes into the window's top limited clients.
     */
    public void limited(boolean dropped, boolean byNetwork, InetAddress client) {
        if (dropped) {
            limitedDropped++;
        } else {
            limitedTruncated++;
        }
        if (byNetwork) {
            limitedNetwork++;
        }
        StatsWindow w = window;
        ClientKeys k = keys;
        if (w != null && k != null) {
            w.limited(k.keyOf(client));
        }
    }

    /**
     * A query the policy decided, by action ordinal; a block (any action but passthru) also goes
     * into the window's per-category distinct clients and top blocked names.
     */
    public void policyHit(Verdict verdict, ParsedQuery q, InetAddress client) {
        policyHit(verdict, q, client, 0);
    }

    /** As {@link #policyHit(Verdict, ParsedQuery, InetAddress)}, counted for the client's profile too. */
    public void policyHit(Verdict verdict, ParsedQuery q, InetAddress client, int profileSlot) {
        policyByAction[verdict.action().ordinal()]++;
        if (!verdict.counted()) {
            if (verdict.action() == PolicyAction.CNAME) {
                redirected++;
            }
        } else {
            blockedByCategory[verdict.categorySlot()]++;
            blockedByProfile[profileSlot]++;
            StatsWindow w = window;
            if (w != null) {
                w.blocked(q, verdict.categorySlot(), ClientKeys.hashOf(client));
            }
        }
    }

    /** A query from a client the access list lets in: distinct and top clients. */
    public void client(InetAddress client) {
        StatsWindow w = window;
        ClientKeys k = keys;
        if (w != null && k != null) {
            w.query(k.keyOf(client), ClientKeys.hashOf(client));
        }
    }

    /**
     * Hands out this minute's window and starts a fresh one. Must run on the owning event loop
     * (the recorder submits it there), which is what keeps the hot path lock-free.
     */
    @Nullable
    StatsWindow swapWindow() {
        StatsWindow old = window;
        if (old != null) {
            window = new StatsWindow();
        }
        return old;
    }

    public void answered(int rcode) {
        answersByRcode[Math.min(rcode, DnsConstants.RCODE_SLOTS - 1)]++;
    }
}
