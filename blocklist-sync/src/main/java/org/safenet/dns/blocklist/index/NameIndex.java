package org.safenet.dns.blocklist.index;

import java.util.Arrays;

/**
 * An immutable set of names, each with an exact-match and a subtree-match verdict id, in
 * compact primitive arrays: no object per entry; about 16 bytes of table per entry plus the name.
 *
 * <p>Layout. Open addressing with linear probing over {@code slots}: each {@code long} packs a
 * {@value #FINGERPRINT_BITS}-bit fingerprint of the name (top bits; never all zero, so 0 marks an
 * empty slot) and a {@value #OFFSET_BITS}-bit offset into {@code arena}, where the name is kept in
 * lowercase wire form. {@code verdicts} holds {@code exactId << 16 | subtreeId} per slot (0 = none),
 * ids into the policy's table of shared verdicts. A fingerprint match is always confirmed against
 * the arena bytes (pdns "Hash Collisions"), so a collision costs a compare, never a wrong answer.
 * Load factor 3/4 (the table is sized to its entries, not to a power of two): a miss, the common
 * case for a blocklist, probes about 2.5 slots on average.
 */
final class NameIndex {
    static final int FINGERPRINT_BITS = 34;
    static final int OFFSET_BITS = 30;
    static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;
    /** Final tables are built at this load: a miss probes about 2.5 slots on average. */
    static final double LOAD_FACTOR = 0.75;

    /** Largest arena the packed offset can address: 1 GiB of names (about 50 million). */
    static final long MAX_ARENA = 1L << OFFSET_BITS;

    private final long[] slots;
    private final int[] verdicts;
    private final byte[] arena;
    private final int size;

    NameIndex(long[] slots, int[] verdicts, byte[] arena, int size) {
        this.slots = slots;
        this.verdicts = verdicts;
        this.arena = arena;
        this.size = size;
    }

    static NameIndex empty() {
        return new NameIndex(new long[2], new int[2], new byte[0], 0);
    }

    /** The fingerprint bits as stored in a slot (high bits), never zero. */
    static long storedFingerprint(long hash) {
        long fp = hash & ~OFFSET_MASK;
        return fp == 0 ? 1L << OFFSET_BITS : fp;
    }

    /**
     * The verdict word ({@code exactId << 16 | subtreeId}) of the suffix of {@code name} that
     * starts at {@code from} and whose suffix hash is {@code hash}, or 0 if the index does not
     * hold it.
     */
    int lookup(long hash, byte[] name, int from, int nameEnd) {
        long fp = storedFingerprint(hash);
        int capacity = slots.length;
        int i = slotFor(fp, capacity);
        while (true) {
            long slot = slots[i];
            if (slot == 0) {
                return 0;
            }
            if ((slot & ~OFFSET_MASK) == fp && sameName(arena, (int) (slot & OFFSET_MASK), name, from, nameEnd)) {
                return verdicts[i];
            }
            i = ++i == capacity ? 0 : i;
        }
    }

    private static boolean sameName(byte[] arena, int at, byte[] name, int from, int end) {
        int len = end - from;
        if (at + len > arena.length) {
            return false;
        }
        return Arrays.equals(arena, at, at + len, name, from, end);
    }

    int size() {
        return size;
    }

    /** The arrays as they are, for {@link IndexFile}; do not modify. */
    long[] slots() {
        return slots;
    }

    int[] verdicts() {
        return verdicts;
    }

    byte[] arena() {
        return arena;
    }

    /** Heap bytes held by the arrays (object headers aside): what the index costs. */
    long heapBytes() {
        return 8L * slots.length + 4L * verdicts.length + arena.length;
    }

    /**
     * The home slot of a stored fingerprint in a table of {@code capacity} slots. Derived from the
     * stored bits alone, so that a table can be rebuilt without the names; multiply-shift rather
     * than a mask, so that the final table can be sized to its entries instead of to a power of
     * two (which would waste up to half the slots).
     */
    static int slotFor(long storedFingerprint, int capacity) {
        long h = SuffixHash.mix(storedFingerprint >>> OFFSET_BITS) >>> 32;
        return (int) ((h * capacity) >>> 32);
    }
}
