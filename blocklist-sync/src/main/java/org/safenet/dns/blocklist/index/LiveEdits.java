package org.safenet.dns.blocklist.index;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.ReversedName;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;

/**
 * Changes made since the base index was built, kept as a small overlay index so that an edit is
 * live in milliseconds instead of after a full rebuild (seconds at millions of entries). The
 * overlay holds the changed names only: an added or changed entry with its verdict, a removed
 * one as a tombstone. When it grows past {@link #MAX_PENDING} the caller rebuilds from the store
 * and starts a fresh {@code LiveEdits}. Used from one thread (the control channel).
 */
public final class LiveEdits {
    /** Beyond this many pending changes a full rebuild is cheaper than a big overlay. */
    public static final int MAX_PENDING = 100_000;

    private record Key(boolean allowSide, String reversedName, Match match) {}

    /** Pending changes; a null entry is a removal. */
    private final Map<Key, @Nullable StoredEntry> pending = new LinkedHashMap<>();

    /** True if {@code changes} fit in the overlay (names only, and not too many). */
    public boolean canTake(BlocklistStore.Changes changes) {
        return !changes.touchesIps() && pending.size() + changes.size() <= MAX_PENDING;
    }

    public void record(BlocklistStore.Changes changes) {
        for (StoredEntry e : changes.blockPuts()) {
            pending.put(new Key(false, e.reversedName(), e.match()), e);
        }
        for (StoredEntry e : changes.allowPuts()) {
            pending.put(new Key(true, e.reversedName(), e.match()), e);
        }
        for (BlocklistStore.Changes.Removal r : changes.blockRemovals()) {
            pending.put(new Key(false, r.reversedName(), r.match()), null);
        }
        for (BlocklistStore.Changes.Removal r : changes.allowRemovals()) {
            pending.put(new Key(true, r.reversedName(), r.match()), null);
        }
    }

    public int size() {
        return pending.size();
    }

    /**
     * The base snapshot with every pending change overlaid, at {@code version}. Verdicts of new
     * entries are appended to the base's verdict table, so base ids stay valid.
     *
     * @param categoryAction the action of BLOCK entries by category (null: not enforced)
     */
    public BlocklistPolicy.Snapshot apply(
            BlocklistPolicy.Snapshot base, Function<String, @Nullable PolicyAction> categoryAction, long version) {
        List<Verdict> verdicts = new ArrayList<>(Arrays.asList(base.verdicts()));
        Map<Verdict, Integer> ids = new HashMap<>();
        for (int i = 1; i < verdicts.size(); i++) {
            ids.putIfAbsent(verdicts.get(i), i);
        }
        NameIndexBuilder block = new NameIndexBuilder(base.seed());
        NameIndexBuilder allow = new NameIndexBuilder(base.seed());
        Map<String, Verdict> made = new HashMap<>();
        for (Map.Entry<Key, @Nullable StoredEntry> e : pending.entrySet()) {
            Key k = e.getKey();
            byte[] wire = ReversedName.toWire(k.reversedName());
            StoredEntry entry = e.getValue();
            if (k.allowSide()) {
                int id = entry == null ? BlocklistPolicy.TOMBSTONE : 1;
                add(allow, wire, k.match(), id);
                continue;
            }
            int id = BlocklistPolicy.TOMBSTONE;
            if (entry != null) {
                Verdict v = IndexLoader.verdictFor(entry, made, categoryAction, version);
                if (v != null) {
                    Integer known = ids.get(v);
                    if (known == null) {
                        if (verdicts.size() >= BlocklistPolicy.TOMBSTONE) {
                            throw new IllegalStateException("too many distinct verdicts for the overlay; rebuild");
                        }
                        known = verdicts.size();
                        verdicts.add(v);
                        ids.put(v, known);
                    }
                    id = known;
                }
            }
            add(block, wire, k.match(), id);
        }
        return base.withOverlay(block.build(), allow.build(), verdicts.toArray(Verdict[]::new), version);
    }

    private static void add(NameIndexBuilder index, byte[] wire, Match match, int id) {
        switch (match) {
            case EXACT -> index.add(wire, id, 0);
            case SUBTREE -> index.add(wire, 0, id);
            case DESCENDANTS -> index.add(wire, 0, id | BlocklistPolicy.DESCENDANTS_ONLY);
        }
    }
}
