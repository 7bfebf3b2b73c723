package org.safenet.dns.blocklist.index;

import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.policy.Policy;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * The resolver's {@link Policy} backed by immutable name indexes, swapped atomically when a new
 * list is built (a volatile read per query, nothing else shared).
 *
 * <p>The lookup walks the query name's suffixes once, right to left ({@code com}, {@code
 * example.com}, {@code www.example.com}), extending one running hash per label, and probes the
 * allow index and the block index at each step:
 *
 * <ul>
 *   <li>an allow entry that covers the name (a subtree entry at any level, or an exact entry for
 *       the whole name) wins over every block entry: the name resolves normally;
 *   <li>otherwise the most specific block entry decides: a subtree entry matches its name and
 *       every name below it, a descendants-only entry (RPZ {@code *.name}) only the names below
 *       it, an exact entry only its name, and a deeper match replaces a
 *       shallower one (so an RPZ passthru for {@code ok.example.com} beats a block of {@code
 *       example.com}).
 * </ul>
 *
 * Nothing here allocates; case-insensitivity comes from the parser's lowercased name.
 */
public final class BlocklistPolicy implements Policy {

    /** One consistent generation of the lists: both indexes, the verdict table and the seed. */
    public record Snapshot(
            NameIndex block,
            NameIndex allow,
            Verdict[] verdicts,
            Verdict allowed,
            long seed,
            long version,
            AddressIndex addresses,
            AddressIndex clients,
            NameIndex overlayBlock,
            NameIndex overlayAllow) {
        /** The same lists with a live-edit overlay on top (see {@link LiveEdits}). */
        Snapshot withOverlay(NameIndex block, NameIndex allow, Verdict[] verdicts, long version) {
            return new Snapshot(
                    this.block, this.allow, verdicts, allowed, seed, version, addresses, clients, block, allow);
        }

        /** Heap bytes of both indexes' arrays: the figure behind "bytes per entry". */
        public long heapBytes() {
            return block.heapBytes() + allow.heapBytes();
        }

        public int blockedNames() {
            return block.size();
        }
    }

    /** Flag in a subtree verdict id: the entry covers the names below it, not the name itself. */
    static final int DESCENDANTS_ONLY = 0x8000;

    /** Verdict id in an overlay meaning "removed since the base index was built". */
    static final int TOMBSTONE = 0x7FFF;

    /**
     * An overlay word over a base word, per half: an overlay id replaces the base's (a tombstone
     * removes it), an empty overlay half leaves the base's. Usually the overlay is empty and this
     * returns {@code base} after one compare.
     */
    static int overlaid(int over, int base) {
        if (over == 0) {
            return base;
        }
        int exact = over >>> 16;
        int subtree = over & 0xFFFF;
        int e = exact == 0 ? base >>> 16 : exact == TOMBSTONE ? 0 : exact;
        int t = subtree == 0 ? base & 0xFFFF : (subtree & ~DESCENDANTS_ONLY) == TOMBSTONE ? 0 : subtree;
        return e << 16 | t;
    }

    private volatile Snapshot snapshot;

    public BlocklistPolicy(Snapshot initial) {
        this.snapshot = initial;
    }

    /** Makes {@code next} live for every query that starts after this returns. */
    public void swap(Snapshot next) {
        this.snapshot = next;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    @Override
    public @Nullable Verdict decideAddress(byte[] address) {
        return snapshot.addresses().decide(address);
    }

    @Override
    public @Nullable Verdict decideAddress(byte[] address, int categoryMask) {
        Verdict v = snapshot.addresses().decide(address);
        return v == null || enforced(v, categoryMask) ? v : null;
    }

    @Override
    public boolean hasAddressRules() {
        return snapshot.addresses().size() > 0;
    }

    @Override
    public @Nullable Verdict decideClient(byte[] address, int categoryMask) {
        Verdict v = snapshot.clients().decide(address);
        return v == null || enforced(v, categoryMask) ? v : null;
    }

    @Override
    public boolean hasClientRules() {
        return snapshot.clients().size() > 0;
    }

    @Override
    public long version() {
        return snapshot.version();
    }

    /** Every entry in the index, whatever its category: what {@code explain} shows. */
    @Override
    public @Nullable Verdict decide(ParsedQuery q) {
        return decide(q, -1);
    }

    /** Allow entries and RPZ passthru apply whatever the mask; a block only if its category is in it. */
    private static boolean enforced(Verdict v, int categoryMask) {
        return (categoryMask >>> v.categorySlot() & 1) != 0
                || v.action() == org.safenet.dns.resolver.policy.PolicyAction.PASSTHRU;
    }

    @Override
    public @Nullable Verdict decide(ParsedQuery q, int categoryMask) {
        Snapshot s = snapshot;
        byte[] name = q.name();
        int end = q.nameLength();
        long h = SuffixHash.root(s.seed());
        int best = 0;
        for (int i = q.labelCount() - 1; i >= 0; i--) {
            int at = q.labelOffset(i);
            h = SuffixHash.extend(h, name, at);
            boolean whole = i == 0;
            int allow = overlaid(
                    s.overlayAllow().lookup(h, name, at, end), s.allow().lookup(h, name, at, end));
            if ((allow & 0xFFFF) != 0 || (whole && (allow >>> 16) != 0)) {
                return s.allowed();
            }
            int block = overlaid(
                    s.overlayBlock().lookup(h, name, at, end), s.block().lookup(h, name, at, end));
            if (block != 0) {
                int subtree = block & 0xFFFF;
                if (whole && (subtree & DESCENDANTS_ONLY) != 0) {
                    subtree = 0; // RPZ "*.name" covers what is below the name, not the name
                }
                int id = whole && (block >>> 16) != 0 ? block >>> 16 : subtree & ~DESCENDANTS_ONLY;
                if (id != 0 && (categoryMask == -1 || enforced(s.verdicts()[id], categoryMask))) {
                    best = id;
                }
            }
        }
        return best == 0 ? null : s.verdicts()[best];
    }
}
