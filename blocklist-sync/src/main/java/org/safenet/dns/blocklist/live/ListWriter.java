package org.safenet.dns.blocklist.live;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.distribution.RpzRecords;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.index.IndexLoader;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;

/**
 * Writes one change to the store together with its journal record: what the change did to the
 * merged list (the deciding entry per name and match kind, see {@link IndexLoader#winner}) as RPZ
 * record lines, {@code -owner TYPE rdata} and {@code +owner TYPE rdata}, which IXFR serves. Also
 * returns that effect as winner-level changes for the live overlay. Used by {@link LiveList} in a
 * running appliance and directly by offline imports, so every version has its journal record.
 */
public final class ListWriter {
    /** Beyond this many changed names the journal records a reset (IXFR falls back to AXFR). */
    public static final int MAX_JOURNALED_NAMES = 100_000;

    /** The journal record of a change too big to journal. */
    public static final String RESET = "reset";

    private final BlocklistStore store;
    private final ToIntFunction<String> precedence;
    private final LongSupplier clockMillis;
    private final int keepJournal;
    private final java.util.function.Predicate<StoredEntry> enforced;

    public ListWriter(
            BlocklistStore store, ToIntFunction<String> precedence, LongSupplier clockMillis, int keepJournal) {
        this(store, precedence, clockMillis, keepJournal, e -> true);
    }

    /**
     * @param enforced whether an entry takes effect (its category is on): the live overlay picks
     *     winners among those only, as {@link IndexLoader} does; the journal describes the list
     *     itself, every entry
     */
    public ListWriter(
            BlocklistStore store,
            ToIntFunction<String> precedence,
            LongSupplier clockMillis,
            int keepJournal,
            java.util.function.Predicate<StoredEntry> enforced) {
        this.store = store;
        this.precedence = precedence;
        this.clockMillis = clockMillis;
        this.keepJournal = keepJournal;
        this.enforced = enforced;
    }

    /**
     * What a write did.
     *
     * @param effective the change in winners (for the overlay), or null if too big to compute
     */
    public record Written(long version, BlocklistStore.@Nullable Changes effective) {}

    /** Applies {@code changes} (entries, source records, journal) in one atomic batch. */
    public Written write(BlocklistStore.Changes changes) throws BlocklistStore.StoreException {
        synchronized (store) {
            if (changes.size() == 0) {
                if (changes.hasSourceRecords()) {
                    store.writeSourceRecords(changes); // feed state only: no new list version
                }
                return new Written(store.listVersion(), null);
            }
            Set<String> touched = touchedNames(changes);
            Set<String> touchedIps = new LinkedHashSet<>();
            changes.ipPuts().forEach(e -> touchedIps.add(e.reversedName()));
            changes.ipRemovals().forEach(r -> touchedIps.add(r.reversedName()));
            Effect effect = touched.size() + touchedIps.size() <= MAX_JOURNALED_NAMES
                    ? effect(changes, touched, touchedIps)
                    : null;
            changes.journal((effect == null ? RESET : effect.journal()).getBytes(StandardCharsets.UTF_8));
            long version = store.apply(changes, keepJournal);
            return new Written(version, effect == null ? null : effect.overlay());
        }
    }

    private static Set<String> touchedNames(BlocklistStore.Changes c) {
        Set<String> names = new LinkedHashSet<>();
        c.blockPuts().forEach(e -> names.add(e.reversedName()));
        c.allowPuts().forEach(e -> names.add(e.reversedName()));
        c.blockRemovals().forEach(r -> names.add(r.reversedName()));
        c.allowRemovals().forEach(r -> names.add(r.reversedName()));
        return names;
    }

    /** The change seen from outside: overlay changes (winners) and the journal's record lines. */
    private record Effect(BlocklistStore.Changes overlay, String journal) {}

    private Effect effect(BlocklistStore.Changes changes, Set<String> touched, Set<String> touchedIps) {
        Map<String, Map<String, StoredEntry>> block = new HashMap<>();
        Map<String, Map<String, StoredEntry>> allow = new HashMap<>();
        for (String name : touched) {
            block.put(name, bySourceKey(store.blockEntriesFor(name)));
            allow.put(name, bySourceKey(store.allowEntriesFor(name)));
        }
        Map<String, Map<String, StoredEntry>> blockAfter = deepCopy(block);
        Map<String, Map<String, StoredEntry>> allowAfter = deepCopy(allow);
        changes.blockPuts().forEach(e -> blockAfter.get(e.reversedName()).put(sourceKey(e.match(), e.source()), e));
        changes.allowPuts().forEach(e -> allowAfter.get(e.reversedName()).put(sourceKey(e.match(), e.source()), e));
        changes.blockRemovals().forEach(r -> blockAfter.get(r.reversedName()).remove(sourceKey(r.match(), r.source())));
        changes.allowRemovals().forEach(r -> allowAfter.get(r.reversedName()).remove(sourceKey(r.match(), r.source())));
        BlocklistStore.Changes overlay = new BlocklistStore.Changes();
        StringBuilder journal = new StringBuilder();
        long now = clockMillis.getAsLong();
        for (String name : touched) {
            List<String> before = new ArrayList<>();
            List<String> after = new ArrayList<>();
            for (Match m : Match.values()) {
                winners(block.get(name), allow.get(name), m, e -> applies(e, now))
                        .records(before);
                winners(blockAfter.get(name), allowAfter.get(name), m, e -> applies(e, now))
                        .records(after);
                Winners w0 = winners(block.get(name), allow.get(name), m, e -> applies(e, now) && enforced.test(e));
                Winners w1 = winners(
                        blockAfter.get(name), allowAfter.get(name), m, e -> applies(e, now) && enforced.test(e));
                if (w1.block() != null) {
                    overlay.block(w1.block());
                } else if (w0.block() != null) {
                    overlay.removeBlock(name, m, w0.block().source());
                }
                if (w1.allow() != null) {
                    overlay.allow(w1.allow());
                } else if (w0.allow() != null) {
                    overlay.removeAllow(name, m, w0.allow().source());
                }
            }
            for (String r : before) {
                if (!after.contains(r)) {
                    journal.append('-').append(r).append('\n');
                }
            }
            for (String r : after) {
                if (!before.contains(r)) {
                    journal.append('+').append(r).append('\n');
                }
            }
        }
        ipJournal(changes, touchedIps, now, journal);
        return new Effect(overlay, journal.toString());
    }

    /** Journal lines for RPZ-IP triggers: per prefix, the deciding source's records before and after. */
    private void ipJournal(BlocklistStore.Changes changes, Set<String> prefixes, long now, StringBuilder journal) {
        for (String prefix : prefixes) {
            Map<String, StoredEntry> before = bySourceKey(store.ipEntriesFor(prefix));
            Map<String, StoredEntry> after = new LinkedHashMap<>(before);
            changes.ipPuts().stream()
                    .filter(e -> e.reversedName().equals(prefix))
                    .forEach(e -> after.put(sourceKey(e.match(), e.source()), e));
            changes.ipRemovals().stream()
                    .filter(r -> r.reversedName().equals(prefix))
                    .forEach(r -> after.remove(sourceKey(r.match(), r.source())));
            StoredEntry w0 = IndexLoader.winner(List.copyOf(before.values()), precedence, e -> applies(e, now));
            StoredEntry w1 = IndexLoader.winner(List.copyOf(after.values()), precedence, e -> applies(e, now));
            List<String> r0 = w0 == null ? List.of() : RpzRecords.ofIp(w0);
            List<String> r1 = w1 == null ? List.of() : RpzRecords.ofIp(w1);
            r0.stream()
                    .filter(r -> !r1.contains(r))
                    .forEach(r -> journal.append('-').append(r).append('\n'));
            r1.stream()
                    .filter(r -> !r0.contains(r))
                    .forEach(r -> journal.append('+').append(r).append('\n'));
        }
    }

    /** For one name and match kind: the deciding block entry and allow entry, if any. */
    private record Winners(
            @Nullable StoredEntry block, @Nullable StoredEntry allow) {
        void records(List<String> out) {
            if (allow != null) {
                out.addAll(RpzRecords.of(allow, true));
            } else if (block != null) {
                out.addAll(RpzRecords.of(block, false));
            }
        }
    }

    private Winners winners(
            Map<String, StoredEntry> blocks,
            Map<String, StoredEntry> allows,
            Match m,
            java.util.function.Predicate<StoredEntry> usable) {
        StoredEntry b = IndexLoader.winner(of(blocks, m), precedence, usable);
        StoredEntry a = IndexLoader.winner(of(allows, m), precedence, usable);
        if (a != null && b != null && precedence.applyAsInt(a.source()) < precedence.applyAsInt(b.source())) {
            a = null; // a higher-precedence source blocks what a lower one passes
        }
        return new Winners(b, a);
    }

    private static boolean applies(StoredEntry e, long now) {
        return e.expiresMillis() == 0 || e.expiresMillis() > now;
    }

    private static List<StoredEntry> of(Map<String, StoredEntry> entries, Match m) {
        List<StoredEntry> out = new ArrayList<>();
        for (StoredEntry e : entries.values()) {
            if (e.match() == m) {
                out.add(e);
            }
        }
        return out;
    }

    private static Map<String, StoredEntry> bySourceKey(List<StoredEntry> entries) {
        Map<String, StoredEntry> out = new LinkedHashMap<>();
        entries.forEach(e -> out.put(sourceKey(e.match(), e.source()), e));
        return out;
    }

    private static String sourceKey(Match m, String source) {
        return m + "/" + source;
    }

    private static Map<String, Map<String, StoredEntry>> deepCopy(Map<String, Map<String, StoredEntry>> m) {
        Map<String, Map<String, StoredEntry>> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, new LinkedHashMap<>(v)));
        return out;
    }
}
