package org.safenet.dns.resolver.policy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.Hashing;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * A small immutable set of domains, each covering itself and every name below it (or, added with
 * {@link Builder#addExact}, only itself), with an int
 * value per domain: a profile's own entries, a blocked service's domains, the SafeSearch names.
 * Hundreds to a few thousand names, not the national list (that is the blocklist's index).
 *
 * <p>{@link #lookup} walks the query's suffixes from the longest ({@code www.example.com}) to the
 * shortest ({@code com}), hashing each one's wire bytes and probing an open-addressing table, so
 * the most specific domain wins. It allocates nothing; the bytes are compared on a hash match.
 */
public final class DomainSet {
    /** The value {@link #lookup} returns when no domain covers the name. */
    public static final int NONE = -1;

    public static final DomainSet EMPTY = new Builder().build();

    private final long[] hashes;
    private final byte[][] names;
    private final int[] values;
    private final boolean[] exact;
    private final int mask;
    private final int size;

    private DomainSet(Map<String, Integer> entries, Map<String, Boolean> exactness) {
        int capacity = Integer.highestOneBit(Math.max(4, entries.size() * 2 - 1)) << 1;
        hashes = new long[capacity];
        names = new byte[capacity][];
        values = new int[capacity];
        exact = new boolean[capacity];
        mask = capacity - 1;
        for (Map.Entry<String, Integer> e : entries.entrySet()) {
            byte[] wire = DnsNames.toWire(e.getKey());
            long h = hash(wire, 0, wire.length);
            int i = (int) h & mask;
            while (names[i] != null) {
                i = (i + 1) & mask;
            }
            hashes[i] = h;
            names[i] = wire;
            values[i] = e.getValue();
            exact[i] = exactness.get(e.getKey());
        }
        size = entries.size();
    }

    /** Collects domains (presentation form, validated) and their values; a later add of a name replaces its value. */
    public static final class Builder {
        private final Map<String, Integer> entries = new LinkedHashMap<>();
        private final Map<String, Boolean> exactness = new LinkedHashMap<>();

        /**
         * Adds {@code domain} and every name below it.
         *
         * @throws IllegalArgumentException if {@code domain} is not a valid name or is the root
         */
        public Builder add(String domain, int value) {
            return put(domain, value, false);
        }

        /** Adds {@code domain} alone, not the names below it. */
        public Builder addExact(String domain, int value) {
            return put(domain, value, true);
        }

        private Builder put(String domain, int value, boolean exactOnly) {
            byte[] wire = DnsNames.toWire(domain);
            String key = DnsNames.toText(wire, 0, wire.length);
            if (key.equals(".")) {
                throw new IllegalArgumentException("the root cannot be listed: it would cover every name");
            }
            if (value < 0) {
                throw new IllegalArgumentException("values are not negative");
            }
            entries.put(key, value);
            exactness.put(key, exactOnly);
            return this;
        }

        public DomainSet build() {
            return new DomainSet(entries, exactness);
        }
    }

    /** {@code domain} in canonical presentation form (lowercase, trailing dot); validates it. */
    public static String canonical(String domain) {
        byte[] wire = DnsNames.toWire(domain);
        return DnsNames.toText(wire, 0, wire.length);
    }

    public int size() {
        return size;
    }

    /** The value of the most specific domain at or above {@code q}'s name, or {@link #NONE}. */
    public int lookup(ParsedQuery q) {
        long m = match(q, 0);
        return m == -1 ? NONE : (int) m;
    }

    /**
     * The most specific domain covering {@code q}'s name from label {@code fromLabel} on (0: the
     * whole name), as {@code label << 32 | value}, or -1: call again from {@code label + 1} to
     * walk every covering domain, most specific first, hashing each suffix once.
     */
    public long match(ParsedQuery q, int fromLabel) {
        if (size == 0) {
            return -1;
        }
        byte[] name = q.name();
        int end = q.nameLength();
        for (int label = fromLabel, n = q.labelCount(); label < n; label++) {
            int at = q.labelOffset(label);
            long h = hash(name, at, end);
            for (int i = (int) h & mask; names[i] != null; i = (i + 1) & mask) {
                byte[] candidate = names[i];
                if (hashes[i] == h
                        && (label == 0 || !exact[i])
                        && Arrays.equals(candidate, 0, candidate.length, name, at, end)) {
                    return (long) label << 32 | values[i];
                }
            }
        }
        return -1;
    }

    /** The value for exactly {@code domain} (cold path: admin API, tests), or {@link #NONE}. */
    public int valueOf(String domain) {
        byte[] wire = DnsNames.toWire(domain);
        long h = hash(wire, 0, wire.length);
        for (int i = (int) h & mask; names[i] != null; i = (i + 1) & mask) {
            if (hashes[i] == h && Arrays.equals(names[i], wire)) {
                return values[i];
            }
        }
        return NONE;
    }

    private static long hash(byte[] b, int from, int to) {
        long h = 0x9E3779B97F4A7C15L;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long w = (b[i] & 0xFFL)
                    | (b[i + 1] & 0xFFL) << 8
                    | (b[i + 2] & 0xFFL) << 16
                    | (b[i + 3] & 0xFFL) << 24
                    | (b[i + 4] & 0xFFL) << 32
                    | (b[i + 5] & 0xFFL) << 40
                    | (b[i + 6] & 0xFFL) << 48
                    | (b[i + 7] & 0xFFL) << 56;
            h = Hashing.fmix64(h ^ w);
        }
        for (; i < to; i++) {
            h = (h ^ (b[i] & 0xFF)) * 0x100000001B3L;
        }
        return Hashing.fmix64(h ^ (to - from));
    }
}
