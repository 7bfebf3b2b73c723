package org.safenet.dns.resolver.cache;

import org.safenet.dns.resolver.wire.Hashing;
import org.safenet.dns.resolver.wire.ParsedQuery;

/** The cache key's hash: lowercased name, type, class and the DO/CD bits, seeded per process. */
final class CacheKeys {
    private CacheKeys() {}

    static final int KEY_DO = 1;
    static final int KEY_CD = 2;

    static int keyFlags(ParsedQuery q) {
        return (q.dnssecOk() ? KEY_DO : 0) | (q.checkingDisabled() ? KEY_CD : 0);
    }

    /**
     * FNV-1a over the key then a murmur3 finaliser. The seed is random per process so that nobody
     * can choose names that all fall into one bucket and flush it (hash flooding); every hit is
     * still confirmed against the stored name.
     */
    static long hash(long seed, byte[] name, int nameLength, int type, int qclass, int keyFlags) {
        long h = 0xcbf29ce484222325L ^ seed;
        for (int i = 0; i < nameLength; i++) {
            h ^= name[i];
            h *= 0x100000001b3L;
        }
        h ^= ((long) type << 24) | ((long) qclass << 8) | keyFlags;
        h *= 0x100000001b3L;
        return Hashing.fmix64(h);
    }
}
