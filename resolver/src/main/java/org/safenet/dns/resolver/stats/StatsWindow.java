package org.safenet.dns.resolver.stats;

import com.dynatrace.hash4j.distinctcount.UltraLogLog;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.wire.Hashing;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * One event loop's client and name sketches for the current minute: distinct clients
 * (UltraLogLog, constant memory), top clients and top blocked names ({@link TopCounter}s of fixed
 * size). Written by its event loop only; the statistics recorder swaps a fresh window in on that
 * loop once a minute and folds the old ones into its stored buckets, so nothing here needs a
 * lock. The counters (queries, answers, blocks) are not here: the recorder takes differences of
 * the loops' cumulative {@link LoopCounters}.
 *
 * <p>Memory is fixed: 2 KiB per distinct counter (all clients, blocked clients, blocked names,
 * one per category seen), 64 KiB per {@link TopCounter} of clients and blocked names and 8 KiB for
 * the limited clients'. Nothing on the hot path allocates,
 * but for a blocked name's text once per name that stays in its top counter.
 */
public final class StatsWindow {
    /** UltraLogLog precision: 2^11 one-byte registers, a relative standard error of about 1.2%. */
    public static final int DISTINCT_PRECISION = 11;
    /** Frequent-items map size of the stored sketches; an item's count is off by at most 3.5/256 of the period's total. */
    public static final int TOP_MAP_SIZE = 256;
    /** Buckets of the per-loop {@link TopCounter}s (two keys each). */
    static final int TOP_BUCKETS = 2048;

    final UltraLogLog clients = UltraLogLog.create(DISTINCT_PRECISION);
    final UltraLogLog blockedClients = UltraLogLog.create(DISTINCT_PRECISION);
    final UltraLogLog blockedNames = UltraLogLog.create(DISTINCT_PRECISION);
    final @Nullable UltraLogLog[] blockedClientsByCategory = new UltraLogLog[PolicyCategories.SLOTS];
    final TopCounter topClients = new TopCounter(TOP_BUCKETS, false);
    final TopCounter topBlockedNames = new TopCounter(TOP_BUCKETS, true);
    /** Fewer clients are limited than ask: a smaller counter (8 KiB). */
    final TopCounter topLimited = new TopCounter(TOP_BUCKETS / 8, false);

    /** A query from a client allowed to ask. */
    void query(long clientKey, long clientHash) {
        clients.add(clientHash);
        topClients.add(clientKey);
    }

    /** A query over its client's or its network's rate limit. */
    void limited(long clientKey) {
        topLimited.add(clientKey);
    }

    /** A query the policy blocked (any action but passthru). */
    void blocked(ParsedQuery q, int categorySlot, long clientHash) {
        blockedClients.add(clientHash);
        UltraLogLog perCategory = blockedClientsByCategory[categorySlot];
        if (perCategory == null) {
            perCategory = UltraLogLog.create(DISTINCT_PRECISION); // once per category and minute
            blockedClientsByCategory[categorySlot] = perCategory;
        }
        perCategory.add(clientHash);
        long h = nameHash(q.name(), q.nameLength());
        blockedNames.add(h);
        int slot = topBlockedNames.add(h);
        if (topBlockedNames.needsText(slot)) {
            topBlockedNames.text(slot, q.nameText()); // once per name that stays: the one allocation here
        }
    }

    static long nameHash(byte[] wire, int length) {
        long h = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < length; i++) {
            h = (h ^ wire[i]) * 0x100000001B3L;
        }
        h = Hashing.fmix64(h);
        return h == 0 ? 1 : h;
    }

    public UltraLogLog clients() {
        return clients;
    }

    public UltraLogLog blockedClients() {
        return blockedClients;
    }

    /** Distinct names blocked (as asked, so a.scam.example and b.scam.example are two). */
    public UltraLogLog blockedNames() {
        return blockedNames;
    }

    /** The distinct-client counter of a category slot, or null if nothing was blocked in it. */
    public @Nullable UltraLogLog blockedClients(int categorySlot) {
        return blockedClientsByCategory[categorySlot];
    }

    /** The heaviest client keys of this window. */
    public TopCounter topClients() {
        return topClients;
    }

    /** The clients limited most often in this window. */
    public TopCounter topLimited() {
        return topLimited;
    }

    /** The heaviest blocked names of this window, by name hash, with their texts. */
    public TopCounter topBlockedNames() {
        return topBlockedNames;
    }
}
