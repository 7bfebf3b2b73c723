package org.safenet.dns.blocklist.index;

import java.util.Arrays;

/**
 * Builds a {@link NameIndex} one name at a time, growing its arrays as it goes, with no object
 * per entry, so building ten million entries needs little more memory than the result. Adding a
 * name twice merges: a non-zero exact or subtree id replaces the earlier one.
 */
final class NameIndexBuilder {
    private final long seed;
    private long[] slots = new long[1024];
    private int[] verdicts = new int[1024];
    private byte[] arena = new byte[16 * 1024];
    private int arenaSize;
    private int size;
    private final int[] labelStarts = new int[128];

    NameIndexBuilder(long seed) {
        this.seed = seed;
    }

    /**
     * Adds {@code wire} (lowercase uncompressed wire form) with the given verdict ids (0 = none)
     * for exact and subtree matches.
     */
    void add(byte[] wire, int exactId, int subtreeId) {
        if (exactId > 0xFFFF || subtreeId > 0xFFFF) {
            throw new IllegalArgumentException("verdict id over 65535");
        }
        if ((size + 1) * 4L > slots.length * 3L) {
            grow();
        }
        long fp = NameIndex.storedFingerprint(hashOf(wire));
        int capacity = slots.length;
        int i = NameIndex.slotFor(fp, capacity);
        while (slots[i] != 0) {
            if ((slots[i] & ~NameIndex.OFFSET_MASK) == fp && sameName((int) (slots[i] & NameIndex.OFFSET_MASK), wire)) {
                int old = verdicts[i];
                int exact = exactId != 0 ? exactId : old >>> 16;
                int subtree = subtreeId != 0 ? subtreeId : old & 0xFFFF;
                verdicts[i] = exact << 16 | subtree;
                return;
            }
            i = ++i == capacity ? 0 : i;
        }
        int at = appendToArena(wire);
        slots[i] = fp | at;
        verdicts[i] = exactId << 16 | subtreeId;
        size++;
    }

    /** The suffix-chain hash of the whole name, as the policy computes it for a query. */
    long hashOf(byte[] wire) {
        int labels = 0;
        int pos = 0;
        while (wire[pos] != 0) {
            labelStarts[labels++] = pos;
            pos += wire[pos] + 1;
        }
        long h = SuffixHash.root(seed);
        for (int l = labels - 1; l >= 0; l--) {
            h = SuffixHash.extend(h, wire, labelStarts[l]);
        }
        return h;
    }

    private boolean sameName(int at, byte[] wire) {
        return at + wire.length <= arenaSize && Arrays.equals(arena, at, at + wire.length, wire, 0, wire.length);
    }

    private int appendToArena(byte[] wire) {
        if (arenaSize + (long) wire.length > NameIndex.MAX_ARENA) {
            throw new IllegalStateException("blocklist index full: more than 1 GiB of names");
        }
        if (arenaSize + wire.length > arena.length) {
            long bigger =
                    Math.min(NameIndex.MAX_ARENA, Math.max(arena.length * 3L / 2, arenaSize + (long) wire.length));
            arena = Arrays.copyOf(arena, (int) Math.min(bigger, Integer.MAX_VALUE - 16));
        }
        int at = arenaSize;
        System.arraycopy(wire, 0, arena, at, wire.length);
        arenaSize += wire.length;
        return at;
    }

    private void grow() {
        long[][] s = {slots};
        int[][] v = {verdicts};
        rehash(slots.length * 2, s, v);
        slots = s[0];
        verdicts = v[0];
    }

    /** Re-inserts every entry into fresh arrays of {@code capacity} slots (returned through the holders). */
    private void rehash(int capacity, long[][] slotsOut, int[][] verdictsOut) {
        long[] newSlots = new long[capacity];
        int[] newVerdicts = new int[capacity];
        for (int j = 0; j < slots.length; j++) {
            long s = slots[j];
            if (s == 0) {
                continue;
            }
            int i = NameIndex.slotFor(s & ~NameIndex.OFFSET_MASK, capacity);
            while (newSlots[i] != 0) {
                i = ++i == capacity ? 0 : i;
            }
            newSlots[i] = s;
            newVerdicts[i] = verdicts[j];
        }
        slotsOut[0] = newSlots;
        verdictsOut[0] = newVerdicts;
    }

    int size() {
        return size;
    }

    /** The finished index, its table sized to the entries (load {@value NameIndex#LOAD_FACTOR}) and its arena trimmed. */
    NameIndex build() {
        int capacity = (int) Math.max(2, Math.ceil(size / NameIndex.LOAD_FACTOR) + 1);
        long[][] s = {slots};
        int[][] v = {verdicts};
        rehash(capacity, s, v);
        return new NameIndex(s[0], v[0], Arrays.copyOf(arena, arenaSize), size);
    }
}
