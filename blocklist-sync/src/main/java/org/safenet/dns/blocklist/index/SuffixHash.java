package org.safenet.dns.blocklist.index;

import org.safenet.dns.resolver.wire.Hashing;

/**
 * The fingerprint of a name suffix, computed right to left one label at a time, so that one pass
 * over a query name yields the fingerprint of every suffix ({@code com}, {@code example.com},
 * {@code www.example.com}) in the order the policy probes them.
 */
final class SuffixHash {
    private SuffixHash() {}

    /** Fingerprint of the root, from which every name's chain starts. */
    static long root(long seed) {
        return mix(seed ^ 0x9E3779B97F4A7C15L);
    }

    /**
     * Extends the fingerprint of the suffix to the right of the label at {@code labelAt} (its
     * length octet) by that label. Lowercase wire form is assumed.
     */
    static long extend(long suffixHash, byte[] name, int labelAt) {
        int len = name[labelAt];
        long h = suffixHash ^ (len * 0xC2B2AE3D27D4EB4FL);
        int i = labelAt + 1;
        int end = i + len;
        for (; i + 8 <= end; i += 8) {
            h = (h ^ readLong(name, i)) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 29;
        }
        long tail = 0;
        for (int shift = 0; i < end; i++, shift += 8) {
            tail |= (name[i] & 0xFFL) << shift;
        }
        return mix(h ^ tail);
    }

    private static long readLong(byte[] b, int i) {
        return (b[i] & 0xFFL)
                | (b[i + 1] & 0xFFL) << 8
                | (b[i + 2] & 0xFFL) << 16
                | (b[i + 3] & 0xFFL) << 24
                | (b[i + 4] & 0xFFL) << 32
                | (b[i + 5] & 0xFFL) << 40
                | (b[i + 6] & 0xFFL) << 48
                | (b[i + 7] & 0xFFL) << 56;
    }

    static long mix(long h) {
        return Hashing.fmix64(h);
    }
}
