package org.safenet.dns.resolver.stats;

import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.wire.Hashing;

/**
 * Counts the heaviest 64-bit keys one event loop sees in a window, in fixed arrays and without
 * allocating: a hash table of two-slot buckets, each bucket a Misra-Gries summary with two
 * counters. A key arriving at a bucket whose slots both hold other keys decrements the smaller
 * count (and takes the slot if it reaches zero), so a key's count is never over its true count
 * and under it by at most a third of the arrivals its bucket saw from other keys. Heavy hitters
 * keep their slots; a flood of one-off keys only churns the light ones.
 *
 * <p>The statistics recorder folds the slots into the stored frequent-items sketch once a minute
 * ({@code update(key, count)}), off the hot path; DataSketches' own sketch allocates when it
 * purges, which on the hot path cost 40 to 80 bytes per query under many distinct keys.
 *
 * <p>Optionally each slot keeps a text (a blocked name), made only on the key's second hit in
 * its slot, so one-off names cost no allocation.
 */
public final class TopCounter {
    private final long[] keys;
    private final long[] counts;
    private final @Nullable String @Nullable [] texts;
    private final int bucketMask;

    /** @param buckets a power of two; twice as many keys fit */
    public TopCounter(int buckets, boolean withTexts) {
        if (Integer.bitCount(buckets) != 1) {
            throw new IllegalArgumentException("buckets must be a power of two");
        }
        keys = new long[buckets * 2];
        counts = new long[buckets * 2];
        texts = withTexts ? new String[buckets * 2] : null;
        bucketMask = buckets - 1;
    }

    /** Counts one arrival of {@code key}; returns its slot, or -1 if this arrival only decremented another key. */
    public int add(long key) {
        int a = (int) (Hashing.fmix64(key) & bucketMask) << 1;
        int b = a + 1;
        if (counts[a] > 0 && keys[a] == key) {
            counts[a]++;
            return a;
        }
        if (counts[b] > 0 && keys[b] == key) {
            counts[b]++;
            return b;
        }
        int victim = counts[a] == 0 ? a : counts[b] == 0 ? b : counts[a] <= counts[b] ? a : b;
        if (counts[victim] > 0 && --counts[victim] > 0) {
            return -1;
        }
        keys[victim] = key;
        counts[victim] = 1;
        if (texts != null) {
            texts[victim] = null;
        }
        return victim;
    }

    /** Whether slot {@code slot} (from {@link #add}) wants its text: counted twice, none kept yet. */
    public boolean needsText(int slot) {
        return texts != null && slot >= 0 && texts[slot] == null && counts[slot] >= 2;
    }

    public void text(int slot, String text) {
        if (texts != null) {
            texts[slot] = text;
        }
    }

    /** Visits every counted key with its count (and text, or null). */
    public void forEach(Visitor v) {
        for (int i = 0; i < keys.length; i++) {
            if (counts[i] > 0) {
                v.visit(keys[i], counts[i], texts == null ? null : texts[i]);
            }
        }
    }

    /** Receives {@link #forEach}'s slots. */
    @FunctionalInterface
    public interface Visitor {
        void visit(long key, long count, @Nullable String text);
    }
}
