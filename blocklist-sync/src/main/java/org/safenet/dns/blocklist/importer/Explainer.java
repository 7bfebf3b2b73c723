package org.safenet.dns.blocklist.importer;

import java.net.IDN;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.ReversedName;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * Answers "why is this name blocked (or not)?" from the store, with the same rules as the hot
 * path's index: an allow entry covering the name wins, else the most specific block entry of an
 * enforced category decides.
 */
public final class Explainer {
    private Explainer() {}

    /**
     * @param blocked whether the name is blocked
     * @param action what it is answered with, when blocked
     * @param entry the deciding entry (block or allow), if any
     * @param notes entries that matched but did not decide (category off, shadowed)
     */
    public record Explanation(
            String name,
            boolean blocked,
            @Nullable PolicyAction action,
            @Nullable StoredEntry entry,
            long version,
            List<String> notes) {}

    public static Explanation explain(BlocklistStore store, Categories categories, String name)
            throws BlocklistStore.StoreException {
        return explain(store, categories, source -> 0, name);
    }

    /**
     * As the index decides: per name and match kind, the entry of the highest-precedence source;
     * the others are noted.
     */
    public static Explanation explain(
            BlocklistStore store,
            Categories categories,
            java.util.function.ToIntFunction<String> precedence,
            String name)
            throws BlocklistStore.StoreException {
        String ascii = name.chars().allMatch(c -> c < 0x80) ? name : IDN.toASCII(name, IDN.ALLOW_UNASSIGNED);
        String full = ReversedName.fromWire(DnsNames.toWire(ascii));
        String[] labels = full.split("\\.");
        List<String> notes = new ArrayList<>();
        StoredEntry decidingBlock = null;
        PolicyAction decidingAction = null;
        StringBuilder suffix = new StringBuilder();
        for (int i = 0; i < labels.length; i++) {
            if (i > 0) {
                suffix.append('.');
            }
            suffix.append(labels[i]);
            boolean whole = i == labels.length - 1;
            for (StoredEntry a : store.allowEntriesFor(suffix.toString())) {
                if (covers(a.match(), whole)) {
                    return new Explanation(ascii, false, null, a, store.listVersion(), notes);
                }
            }
            List<StoredEntry> here = new ArrayList<>(store.blockEntriesFor(suffix.toString()));
            // Highest precedence last, so it is the one that decides at this level.
            here.sort(java.util.Comparator.comparingInt(e -> precedence.applyAsInt(e.source())));
            for (StoredEntry b : here) {
                if (!covers(b.match(), whole)) {
                    continue;
                }
                PolicyAction action = actionOf(b, categories);
                if (action == null) {
                    notes.add("listed by " + describe(b) + ", but category " + b.category() + " is off");
                    continue;
                }
                if (decidingBlock != null) {
                    boolean sameName = decidingBlock.reversedName().equals(b.reversedName());
                    notes.add("also listed by " + describe(decidingBlock)
                            + (sameName ? " (a source of lower or equal precedence)" : " (less specific)"));
                }
                decidingBlock = b;
                decidingAction = action;
            }
        }
        boolean blocked = decidingAction != null && decidingAction != PolicyAction.PASSTHRU;
        return new Explanation(ascii, blocked, decidingAction, decidingBlock, store.listVersion(), notes);
    }

    private static boolean covers(Match match, boolean whole) {
        return switch (match) {
            case EXACT -> whole;
            case SUBTREE -> true;
            case DESCENDANTS -> !whole;
        };
    }

    static @Nullable PolicyAction actionOf(StoredEntry e, Categories categories) {
        if (e.action() == Action.BLOCK) {
            return categories.actionFor(e.category());
        }
        return switch (e.action()) {
            case NXDOMAIN -> PolicyAction.NXDOMAIN;
            case NODATA -> PolicyAction.NODATA;
            case DROP -> PolicyAction.DROP;
            case CNAME -> PolicyAction.CNAME;
            case TCP_ONLY -> PolicyAction.TCP_ONLY;
            case ALLOW, PASSTHRU -> PolicyAction.PASSTHRU;
            default -> PolicyAction.SINKHOLE;
        };
    }

    /** "example.com (and everything below it), category scam, source national, from list.txt:12" */
    public static String describe(StoredEntry e) {
        String name = String.join(".", reverse(e.reversedName().split("\\.")));
        String scope = switch (e.match()) {
            case EXACT -> "";
            case SUBTREE -> " and everything below it";
            case DESCENDANTS -> " (everything below it)";
        };
        return name + scope + ", category " + e.category() + ", source " + e.source()
                + (e.origin().isEmpty() ? "" : " (" + e.origin() + " on its RPZ primary)")
                + (e.reason().isEmpty() ? "" : ", from " + e.reason());
    }

    private static String[] reverse(String[] a) {
        String[] out = new String[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[a.length - 1 - i];
        }
        return out;
    }
}
