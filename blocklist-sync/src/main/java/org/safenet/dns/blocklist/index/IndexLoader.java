package org.safenet.dns.blocklist.index;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListEntry;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.format.LocalData;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.ReversedName;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.policy.LocalRecord;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;

/**
 * Builds a {@link BlocklistPolicy.Snapshot} from the store: every unexpired entry of an enforced
 * category, BLOCK entries taking their category's configured action, explicit RPZ actions kept.
 * Runs off the event loops; the result is swapped in with {@link BlocklistPolicy#swap}.
 */
public final class IndexLoader {
    private final Function<String, @Nullable PolicyAction> categoryAction;
    private final LongSupplier clockMillis;
    private final ToIntFunction<String> precedence;

    /**
     * @param categoryAction the action for BLOCK entries of a category, or null if the category
     *     is not enforced (its entries are skipped)
     */
    public IndexLoader(Function<String, @Nullable PolicyAction> categoryAction, LongSupplier clockMillis) {
        this(categoryAction, clockMillis, source -> 0);
    }

    /**
     * @param precedence of a source: when sources list the same name (and match kind), the entry
     *     of the higher one decides, as RPZ orders policy zones; an allow entry loses to a block
     *     entry of a strictly higher source
     */
    public IndexLoader(
            Function<String, @Nullable PolicyAction> categoryAction,
            LongSupplier clockMillis,
            ToIntFunction<String> precedence) {
        this.categoryAction = categoryAction;
        this.clockMillis = clockMillis;
        this.precedence = precedence;
    }

    /** Counts from one load, for the start-up log and the explain API, and what the build depended on. */
    public record LoadResult(BlocklistPolicy.Snapshot snapshot, int blocked, int allowed, int skipped, Inputs inputs) {}

    /**
     * Everything besides the store's contents that a build's result depends on, so a saved index
     * ({@link IndexFile}) can tell whether it is still the one a build would make: the action of
     * every category and the precedence of every source that any stored entry names, and the time
     * the first indexed entry expires.
     *
     * @param categoryActions category to its action's name, or "off"
     * @param validUntilMillis when the earliest expiring entry expires (Long.MAX_VALUE: none does)
     */
    public record Inputs(
            SortedMap<String, String> categoryActions, SortedMap<String, Integer> precedences, long validUntilMillis) {

        /** Whether the same store contents would build the same index under these functions now. */
        boolean stillHold(
                Function<String, @Nullable PolicyAction> categoryAction, ToIntFunction<String> precedence, long now) {
            if (now >= validUntilMillis) {
                return false;
            }
            for (Map.Entry<String, String> e : categoryActions.entrySet()) {
                if (!actionName(categoryAction.apply(e.getKey())).equals(e.getValue())) {
                    return false;
                }
            }
            for (Map.Entry<String, Integer> e : precedences.entrySet()) {
                if (precedence.applyAsInt(e.getKey()) != e.getValue()) {
                    return false;
                }
            }
            return true;
        }

        static String actionName(@Nullable PolicyAction action) {
            return action == null ? "off" : action.name();
        }
    }

    public LoadResult load(BlocklistStore store) throws BlocklistStore.StoreException {
        long version = store.listVersion();
        long now = clockMillis.getAsLong();
        BlocklistIndexBuilder builder = new BlocklistIndexBuilder();
        Map<String, Verdict> verdicts = new HashMap<>();
        int[] counts = new int[3];
        SortedMap<String, String> categories = new TreeMap<>();
        SortedMap<String, Integer> sources = new TreeMap<>();
        long[] validUntil = {Long.MAX_VALUE};
        Consumer<StoredEntry> note = e -> {
            categories.computeIfAbsent(e.category(), c -> Inputs.actionName(categoryAction.apply(c)));
            sources.computeIfAbsent(e.source(), precedence::applyAsInt);
            if (e.expiresMillis() > now) {
                validUntil[0] = Math.min(validUntil[0], e.expiresMillis());
            }
        };
        Map<String, StoredEntry> allows = new HashMap<>();
        List<StoredEntry> group = new ArrayList<>();
        store.forEachAllow(e -> {
            note.accept(e);
            if (!applies(e, now)) {
                counts[2]++;
                return;
            }
            allows.merge(
                    groupKey(e),
                    e,
                    (a, b) -> precedence.applyAsInt(b.source()) > precedence.applyAsInt(a.source()) ? b : a);
        });
        Consumer<List<StoredEntry>> emitBlock = entries -> {
            StoredEntry winner =
                    winner(entries, precedence, e -> verdictFor(e, verdicts, categoryAction, version) != null);
            counts[2] += entries.size() - (winner == null ? 0 : 1);
            if (winner == null) {
                return;
            }
            StoredEntry allowed = allows.get(groupKey(winner));
            if (allowed != null && precedence.applyAsInt(allowed.source()) < precedence.applyAsInt(winner.source())) {
                allows.remove(groupKey(winner)); // a higher-precedence source blocks what a lower one passes
                counts[2]++;
            } else if (allowed != null) {
                return; // the allow entry wins; no need to index the block
            }
            Verdict v = verdictFor(winner, verdicts, categoryAction, version);
            byte[] wire = ReversedName.toWire(winner.reversedName());
            switch (winner.match()) {
                case EXACT -> builder.blockWire(wire, false, v);
                case SUBTREE -> builder.blockWire(wire, true, v);
                case DESCENDANTS -> builder.blockDescendants(wire, v);
            }
            counts[0]++;
        };
        store.forEachBlock(e -> {
            note.accept(e);
            if (!group.isEmpty() && !sameGroup(group.get(0), e)) {
                emitBlock.accept(group);
                group.clear();
            }
            if (applies(e, now)) {
                group.add(e);
            } else {
                counts[2]++;
            }
        });
        if (!group.isEmpty()) {
            emitBlock.accept(group);
        }
        for (StoredEntry e : allows.values()) {
            // An allow entry for "*.name" also lets the name through: allowing more is the safe side.
            builder.allow(dotted(e.reversedName()), e.match() != Match.EXACT);
            counts[1]++;
        }
        store.forEachIp(e -> {
            note.accept(e);
            Verdict v = verdictFor(e, verdicts, categoryAction, version);
            if (v == null || !applies(e, now)) {
                counts[2]++;
                return;
            }
            CidrPrefix prefix = ListEntry.ipKeyPrefix(e.reversedName());
            if (ListEntry.isClientIpKey(e.reversedName())) {
                builder.blockClients(prefix, v);
            } else {
                builder.blockAddresses(prefix, v);
            }
            counts[0]++;
        });
        return new LoadResult(
                builder.build(version),
                counts[0],
                counts[1],
                counts[2],
                new Inputs(categories, sources, validUntil[0]));
    }

    private static boolean applies(StoredEntry e, long now) {
        return e.expiresMillis() == 0 || e.expiresMillis() > now;
    }

    private static String groupKey(StoredEntry e) {
        return e.reversedName() + "/" + e.match();
    }

    private static boolean sameGroup(StoredEntry a, StoredEntry b) {
        return a.match() == b.match() && a.reversedName().equals(b.reversedName());
    }

    /**
     * Of several sources' entries for one name and match kind, the one that decides: the highest
     * precedence among those {@code usable}; on a tie, the first (stable: key order).
     */
    public static @Nullable StoredEntry winner(
            List<StoredEntry> entries,
            ToIntFunction<String> precedence,
            java.util.function.Predicate<StoredEntry> usable) {
        StoredEntry best = null;
        int bestRank = Integer.MIN_VALUE;
        for (StoredEntry e : entries) {
            int rank = precedence.applyAsInt(e.source());
            if (rank > bestRank && usable.test(e)) {
                best = e;
                bestRank = rank;
            }
        }
        return best;
    }

    private static String dotted(String reversed) {
        String[] labels = reversed.split("\\.");
        StringBuilder sb = new StringBuilder(reversed.length());
        for (int i = labels.length - 1; i >= 0; i--) {
            sb.append(labels[i]).append('.');
        }
        return sb.toString();
    }

    /** The shared verdict for an entry (interned in {@code cache}), or null if its category is off. */
    static @Nullable Verdict verdictFor(
            StoredEntry e,
            Map<String, Verdict> cache,
            Function<String, @Nullable PolicyAction> categoryAction,
            long version) {
        PolicyAction action = switch (e.action()) {
            case BLOCK -> categoryAction.apply(e.category());
            case ALLOW, PASSTHRU -> PolicyAction.PASSTHRU;
            case NXDOMAIN -> PolicyAction.NXDOMAIN;
            case NODATA -> PolicyAction.NODATA;
            case DROP -> PolicyAction.DROP;
            case CNAME -> PolicyAction.CNAME;
            case TCP_ONLY -> PolicyAction.TCP_ONLY;
            case LOCAL_A, LOCAL_AAAA, LOCAL_DATA -> PolicyAction.SINKHOLE;
        };
        if (action == null) {
            return null;
        }
        String target = action == PolicyAction.CNAME ? e.data() : null;
        boolean localData = e.action() == ListEntry.Action.LOCAL_A
                || e.action() == ListEntry.Action.LOCAL_AAAA
                || e.action() == ListEntry.Action.LOCAL_DATA;
        String local = localData ? e.action() + ":" + e.data() : "";
        // The source text carries the list version: the EDE text then names a decision that
        // `safenet lookup` (and the explain API) can reproduce.
        String source = e.shownSource() + ", list v" + version;
        String key = action + "|" + e.category() + "|" + source + "|" + target + "|" + local;
        boolean byCategory = e.action() == ListEntry.Action.BLOCK;
        return cache.computeIfAbsent(key + (byCategory ? "|category" : ""), k -> {
            if (byCategory) {
                return Verdict.ofCategory(action, e.category(), source, Verdict.EDE_BLOCKED);
            }
            if (!localData) {
                return new Verdict(action, e.category(), source, Verdict.EDE_BLOCKED, target);
            }
            return Verdict.withLocalData(action, e.category(), source, Verdict.EDE_BLOCKED, localRecords(e));
        });
    }

    /**
     * RPZ local data: {@code TYPE rdata} lines ({@link LocalData}), or in a store written before
     * they existed, a comma-separated address list.
     */
    private static List<LocalRecord> localRecords(StoredEntry e) {
        String data = String.valueOf(e.data());
        if (e.action() == ListEntry.Action.LOCAL_DATA) {
            return LocalData.records(data);
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (String a : data.split(",")) {
            String t = a.trim();
            if (!t.isEmpty()) {
                addresses.add(HostPort.parse(t.indexOf(':') >= 0 ? "[" + t + "]" : t, 0)
                        .address());
            }
        }
        return LocalRecord.addresses(addresses);
    }
}
