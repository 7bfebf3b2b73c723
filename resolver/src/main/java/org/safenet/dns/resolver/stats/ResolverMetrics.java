package org.safenet.dns.resolver.stats;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToLongFunction;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.policy.ProfileSlots;
import org.safenet.dns.resolver.wire.DnsConstants;

/**
 * The resolver's meters. Hot-path counts live in one {@link LoopCounters} per event-loop thread
 * and are exposed as Micrometer function counters summed on read; miss-path meters (upstream
 * latency and failures) are ordinary Micrometer meters. Names follow {@code safenet.<area>.<what>},
 * which the Prometheus registry renders as {@code safenet_<area>_<what>_total}.
 */
public final class ResolverMetrics {
    private static final String[] RCODE_NAMES = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
        "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15", "BADVERS", "BADKEY",
        "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "OTHER"
    };

    /** The name of an rcode counter slot, as in the {@code safenet_answers} meter's tag. */
    public static String rcodeName(int slot) {
        return RCODE_NAMES[slot];
    }

    private final MeterRegistry registry;
    private final List<LoopCounters> all = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<LoopCounters> perThread = new FastThreadLocal<>() {
        @Override
        protected LoopCounters initialValue() {
            LoopCounters c = new LoopCounters();
            ClientKeys k = clientKeys;
            if (k != null) {
                c.keys = k;
                c.window = new StatsWindow();
            }
            all.add(c);
            return c;
        }
    };

    private volatile @org.jspecify.annotations.Nullable ClientKeys clientKeys;

    /**
     * Turns on the per-minute client and name sketches ({@link StatsWindow}), keyed as {@code
     * keys} says. Call before the listeners start; without it only the counters are kept.
     */
    public void enableClientStats(ClientKeys keys) {
        this.clientKeys = keys;
        for (LoopCounters c : all) {
            c.keys = keys;
            c.window = new StatsWindow();
        }
    }

    public @org.jspecify.annotations.Nullable ClientKeys clientKeys() {
        return clientKeys;
    }

    /**
     * Ends every event loop's current window and returns them (a fresh one starts on each loop).
     * The swap runs on each owning loop, so the hot path never takes a lock; a loop that has shut
     * down is read directly.
     */
    public List<StatsWindow> takeWindows() {
        List<Future<StatsWindow>> pending = new ArrayList<>();
        List<StatsWindow> out = new ArrayList<>();
        for (LoopCounters c : all) {
            EventExecutor owner = c.owner;
            if (owner != null && !owner.isShuttingDown()) {
                try {
                    pending.add(owner.submit(c::swapWindow));
                    continue;
                } catch (RejectedExecutionException e) {
                    // shut down in between: fall through and read it here
                }
            }
            StatsWindow w = c.swapWindow();
            if (w != null) {
                out.add(w);
            }
        }
        for (Future<StatsWindow> f : pending) {
            try {
                StatsWindow w = f.get(5, TimeUnit.SECONDS);
                if (w != null) {
                    out.add(w);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | TimeoutException e) {
                // a stuck or dying loop: its window is counted next time
            }
        }
        return out;
    }

    /** Cumulative totals since start, summed over the loops (each a few increments old at most). */
    public CounterTotals totals() {
        long[] rcodes = new long[DnsConstants.RCODE_SLOTS];
        long[] actions = new long[PolicyAction.values().length];
        long[] categories = new long[PolicyCategories.SLOTS];
        long queries = 0;
        long cacheHits = 0;
        long refused = 0;
        long limited = 0;
        for (LoopCounters c : all) {
            queries += c.queries;
            limited += c.limitedTruncated + c.limitedDropped;
            cacheHits += c.cacheHits;
            refused += c.aclRefused;
            for (int i = 0; i < rcodes.length; i++) {
                rcodes[i] += c.answersByRcode[i];
            }
            for (int i = 0; i < actions.length; i++) {
                actions[i] += c.policyByAction[i];
            }
            for (int i = 0; i < categories.length; i++) {
                categories[i] += c.blockedByCategory[i];
            }
        }
        double upstreamFailures = registry.find("safenet.upstream.failures").counters().stream()
                .mapToDouble(Counter::count)
                .sum();
        return new CounterTotals(
                queries,
                cacheHits,
                refused,
                (long) upstreamFailures,
                limited,
                rcodes,
                actions,
                categories,
                blockedByProfile());
    }

    public ResolverMetrics(MeterRegistry registry) {
        this.registry = registry;
        sum("safenet.queries", "queries received", c -> c.queries);
        for (int t = 0; t < QueryTransport.NAMES.size(); t++) {
            int transport = t;
            FunctionCounter.builder(
                            "safenet.queries.by.transport", all, l -> sumOf(l, c -> c.queriesByTransport[transport]))
                    .description("queries received, by transport (udp, tcp, dot)")
                    .tag("transport", QueryTransport.NAMES.get(t))
                    .register(registry);
        }
        sum("safenet.queries.dropped", "packets dropped without an answer (no header, or a response)", c -> c.dropped);
        sum("safenet.acl.refused", "queries refused because the client is not allowed", c -> c.aclRefused);
        sum("safenet.cache.hits", "answers served from the cache", c -> c.cacheHits);
        sum("safenet.cache.misses", "queries the cache could not answer", c -> c.cacheMisses);
        sum(
                "safenet.cache.stale.served",
                "stale answers served because upstreams failed (RFC 8767)",
                c -> c.staleServed);
        sum("safenet.answers.truncated", "UDP answers sent with TC because they did not fit", c -> c.truncated);
        sum(
                "safenet.upstream.coalesced",
                "queries that joined an identical in-flight upstream query",
                c -> c.coalesced);
        sum(
                "safenet.tcp.rejected",
                "TCP connections closed at accept because of the connection limit, with none idle to close instead",
                c -> c.tcpRejected);
        String shed = "cache misses shed under overload (upstream.maxPending reached), by what the client got";
        tagged("safenet.shed", shed, "action", "servfail", c -> c.shedFailed);
        tagged("safenet.shed", shed, "action", "drop", c -> c.shedDropped);
        String rrl = "UDP answers over the response rate limit (reflection), by what went out";
        tagged("safenet.rrl", rrl, "action", "slip", c -> c.rrlSlipped);
        tagged("safenet.rrl", rrl, "action", "drop", c -> c.rrlDropped);
        String tcpClosed = "TCP connections the appliance closed to protect the others, by reason: client_limit"
                + " (its client had its share), evicted (idle longest, for a new one), message_timeout (a query"
                + " did not arrive whole in time)";
        tagged("safenet.tcp.closed", tcpClosed, "reason", "client_limit", c -> c.tcpClientLimit);
        tagged("safenet.tcp.closed", tcpClosed, "reason", "evicted", c -> c.tcpEvicted);
        tagged("safenet.tcp.closed", tcpClosed, "reason", "message_timeout", c -> c.tcpMessageTimeout);
        for (PolicyAction action : PolicyAction.values()) {
            FunctionCounter.builder("safenet.policy.hits", all, l -> sumOf(l, c -> c.policyByAction[action.ordinal()]))
                    .description("queries decided by the blocklist policy, by action (passthru: an exception matched)")
                    .tag("action", action.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        List<String> categories = PolicyCategories.names();
        for (int slot = 0; slot < categories.size(); slot++) {
            int index = slot == categories.size() - 1 ? PolicyCategories.SLOTS - 1 : slot;
            FunctionCounter.builder("safenet.blocked", all, l -> sumOf(l, c -> c.blockedByCategory[index]))
                    .description("queries blocked (any action but passthru), by list category")
                    .tag("category", categories.get(slot))
                    .register(registry);
        }
        String limited =
                "UDP queries over their client's or network's rate limit (limits.clientQps, limits.networkQps), by what they got";
        tagged("safenet.limited", limited, "action", "tc", c -> c.limitedTruncated);
        tagged("safenet.limited", limited, "action", "drop", c -> c.limitedDropped);
        sum(
                "safenet.limited.network",
                "of those, the queries their own client's limit let through but their network's did not (limits.networkQps)",
                c -> c.limitedNetwork);
        sum(
                "safenet.policy.redirected",
                "queries answered with a redirect that is not a block (SafeSearch)",
                c -> c.redirected);
        profile(0, "default");
        for (int r = 0; r < DnsConstants.RCODE_SLOTS; r++) {
            int rcode = r;
            FunctionCounter.builder("safenet.answers", all, l -> sumOf(l, c -> c.answersByRcode[rcode]))
                    .description("answers sent, by rcode")
                    .tag("rcode", RCODE_NAMES[r])
                    .register(registry);
        }
    }

    private final Set<String> profilesExported = ConcurrentHashMap.newKeySet();

    /**
     * Exports the blocks counted for profile {@code slot} as {@code safenet_blocked_profile_total{profile=NAME}};
     * idempotent, called for every profile a configuration names.
     */
    public void profile(int slot, String name) {
        if (!profilesExported.add(slot + "/" + name)) {
            return; // Micrometer would ignore it too, but warn
        }
        FunctionCounter.builder("safenet.blocked.profile", all, l -> sumOf(l, c -> c.blockedByProfile[slot]))
                .description("queries blocked (any action but passthru and SafeSearch), by the client's profile")
                .tag("profile", name)
                .register(registry);
    }

    /** Blocks per profile slot since start ({@link ProfileSlots}). */
    public long[] blockedByProfile() {
        long[] out = new long[ProfileSlots.SLOTS];
        for (LoopCounters c : all) {
            for (int i = 0; i < out.length; i++) {
                out[i] += c.blockedByProfile[i];
            }
        }
        return out;
    }

    /** A counter summed over the loops, with one tag. */
    private void tagged(String name, String description, String tag, String value, ToLongFunction<LoopCounters> field) {
        FunctionCounter.builder(name, all, l -> sumOf(l, field))
                .description(description)
                .tag(tag, value)
                .register(registry);
    }

    private void sum(String name, String description, ToLongFunction<LoopCounters> field) {
        FunctionCounter.builder(name, all, l -> sumOf(l, field))
                .description(description)
                .register(registry);
    }

    private static double sumOf(List<LoopCounters> list, ToLongFunction<LoopCounters> field) {
        long total = 0;
        for (LoopCounters c : list) {
            total += field.applyAsLong(c);
        }
        return total;
    }

    /** The calling thread's counters; on an event loop this is an array index, not a map lookup. */
    public LoopCounters counters() {
        return perThread.get();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Upstream round-trip time, per upstream. */
    public Timer upstreamLatency(String upstream) {
        return Timer.builder("safenet.upstream.latency")
                .description("time from sending a query upstream to its answer")
                .tag("upstream", upstream)
                .publishPercentileHistogram(false)
                .register(registry);
    }

    /** Upstream failures, per upstream and reason (timeout, servfail, malformed, network). */
    public Counter upstreamFailure(String upstream, String reason) {
        return Counter.builder("safenet.upstream.failures")
                .description("upstream attempts that failed, by reason")
                .tag("upstream", upstream)
                .tag("reason", reason)
                .register(registry);
    }

    /** Queries answered from the failure cache instead of being sent upstream again (RFC 9520). */
    public Counter upstreamFailureCached() {
        return Counter.builder("safenet.upstream.failures.cached")
                .description("queries not sent upstream because the same question failed moments ago")
                .register(registry);
    }

    /** Queries sent upstream, per upstream and transport. */
    public Counter upstreamQuery(String upstream, String transport) {
        return Counter.builder("safenet.upstream.queries")
                .description("queries sent to upstreams")
                .tag("upstream", upstream)
                .tag("transport", transport)
                .register(registry);
    }

    /** Total of one rcode over all loops (for tests and the start-up summary). */
    public long answers(int rcode) {
        return (long) sumOf(all, c -> c.answersByRcode[rcode]);
    }

    public long cacheHits() {
        return (long) sumOf(all, c -> c.cacheHits);
    }
}
