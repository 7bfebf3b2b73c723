package org.safenet.dns.resolver.stats;

import com.dynatrace.hash4j.distinctcount.UltraLogLog;
import org.apache.datasketches.frequencies.FrequentLongsSketch;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.wire.Hashing;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * One event loop's client and name sketches for the current minute: distinct clients
 * (UltraLogLog, constant memory), top clients and top blocked names (frequent-items sketches of
 * bounded size). Written by its event loop only; the statistics recorder swaps a fresh window in
 * on that loop once a minute and merges the old ones ({@link #merge}), so nothing here needs a
 * lock. The counters (queries, answers, blocks) are not here: the recorder takes differences of
 * the loops' cumulative {@link LoopCounters}.
 *
 * <p>Memory is fixed: about 2 KiB per distinct counter (one for all clients, one for blocked
 * clients, one per category seen), {@value #TOP_MAP_SIZE} slots per top sketch, and a name table
 * of {@value #NAME_SLOTS} entries.
 */
public final class StatsWindow {
    /** UltraLogLog precision: 2^11 one-byte registers, a relative standard error of about 1.2%. */
    public static final int DISTINCT_PRECISION = 11;
    /** Frequent-items map size; an item's count is off by at most 3.5/256 of the window's total. */
    public static final int TOP_MAP_SIZE = 256;
    /** Direct-mapped table from a blocked name's hash to its text (filled when a slot changes). */
    static final int NAME_SLOTS = 2048;

    final UltraLogLog clients = UltraLogLog.create(DISTINCT_PRECISION);
    final UltraLogLog blockedClients = UltraLogLog.create(DISTINCT_PRECISION);
    final UltraLogLog blockedNames = UltraLogLog.create(DISTINCT_PRECISION);
    final @Nullable UltraLogLog[] blockedClientsByCategory = new UltraLogLog[PolicyCategories.SLOTS];
    final FrequentLongsSketch topClients = new FrequentLongsSketch(TOP_MAP_SIZE);
    final FrequentLongsSketch topBlockedNames = new FrequentLongsSketch(TOP_MAP_SIZE);
    private final long[] nameHashes = new long[NAME_SLOTS];
    private final @Nullable String[] names = new String[NAME_SLOTS];

    /** A query from a client allowed to ask. */
    void query(long clientKey, long clientHash) {
        clients.add(clientHash);
        topClients.update(clientKey);
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
        int slot = (int) (h & (NAME_SLOTS - 1));
        if (nameHashes[slot] != h) {
            nameHashes[slot] = h;
            names[slot] = q.nameText(); // only when the slot changes hands: heavy hitters stay
        }
        topBlockedNames.update(h);
        blockedNames.add(h);
    }

    static long nameHash(byte[] wire, int length) {
        long h = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < length; i++) {
            h = (h ^ wire[i]) * 0x100000001B3L;
        }
        h = Hashing.fmix64(h);
        return h == 0 ? 1 : h;
    }

    /** The name behind a blocked-name hash, or null if its slot was taken over since. */
    public @Nullable String nameOf(long hash) {
        int slot = (int) (hash & (NAME_SLOTS - 1));
        return nameHashes[slot] == hash ? names[slot] : null;
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

    public FrequentLongsSketch topClients() {
        return topClients;
    }

    public FrequentLongsSketch topBlockedNames() {
        return topBlockedNames;
    }
}
