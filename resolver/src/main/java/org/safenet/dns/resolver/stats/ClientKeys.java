package org.safenet.dns.resolver.stats;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.Locale;
import org.safenet.dns.resolver.wire.Hashing;

/**
 * How a client address becomes the 64-bit key the statistics keep (in top-client lists) and the
 * hash the distinct-client counters see. Distinct counts always hash the whole address (a
 * HyperLogLog register cannot be turned back into an address); what {@link Mode} changes is what
 * an operator can read back from the top-clients list and the stored minute buckets.
 *
 * <p>Keys: an IPv4 address is {@code 0x0000_FFFF_xxxx_xxxx} (its IPv4-mapped IPv6 form's low 64
 * bits), an IPv6 client is its first 64 bits (one subscriber line), so every key reads back as an
 * address or prefix. In {@link Mode#HASH} the key is a keyed hash instead, with a random key
 * that lives only in memory and changes every {@code rotation}, so stored keys cannot be linked
 * to addresses or across periods.
 */
public final class ClientKeys {
    /** What the top-clients list stores about a client. */
    public enum Mode {
        /** The IPv4 address, or the IPv6 /64. */
        FULL,
        /** The IPv4 /24, or the IPv6 /56 (the default). */
        TRUNCATE,
        /** A keyed hash, the key rotating; addresses never stored. */
        HASH;

        public static Mode parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("must be full, truncate or hash, not '" + text + "'", e);
            }
        }
    }

    private static final long IPV4_TAG = 0x0000_FFFF_0000_0000L;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Mode mode;
    private final long rotationMillis;
    private volatile long secret = RANDOM.nextLong();
    private volatile long secretPeriod = -1;

    public ClientKeys(Mode mode, long rotationMillis) {
        this.mode = mode;
        this.rotationMillis = Math.max(1, rotationMillis);
    }

    public Mode mode() {
        return mode;
    }

    /** The key kept for {@code client}. Allocation-free for IPv4; reads the clock only in HASH mode. */
    public long keyOf(InetAddress client) {
        long raw = rawKey(client);
        return switch (mode) {
            case FULL -> raw;
            case TRUNCATE -> raw & ~0xFFL; // IPv4 /24, or IPv6 /56 (the key holds the /64)
            case HASH -> Hashing.fmix64(raw ^ secretFor(System.currentTimeMillis()));
        };
    }

    /** A well-mixed hash of the whole address, for the distinct-client counters. */
    public static long hashOf(InetAddress client) {
        if (client instanceof Inet4Address) {
            return Hashing.fmix64(IPV4_TAG | (client.hashCode() & 0xFFFF_FFFFL));
        }
        byte[] a = client.getAddress();
        return Hashing.fmix64(Hashing.fmix64(longAt(a, 0)) ^ longAt(a, 8));
    }

    private static long rawKey(InetAddress client) {
        if (client instanceof Inet4Address) {
            return IPV4_TAG | (client.hashCode() & 0xFFFF_FFFFL); // Inet4Address.hashCode() is the address
        }
        return longAt(client.getAddress(), 0);
    }

    private static long longAt(byte[] a, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = (v << 8) | (a[i] & 0xFF);
        }
        return v;
    }

    private long secretFor(long nowMillis) {
        long period = nowMillis / rotationMillis;
        if (period != secretPeriod) {
            synchronized (this) {
                if (period != secretPeriod) {
                    secret = RANDOM.nextLong();
                    secretPeriod = period;
                }
            }
        }
        return secret;
    }

    /** How {@code key} reads in the top-clients list: an address, a prefix, or a hash. */
    public static String describe(long key, Mode mode) {
        if (mode == Mode.HASH) {
            return String.format(Locale.ROOT, "h:%016x", key);
        }
        if ((key >>> 32) == 0xFFFF) {
            String v4 = ((key >>> 24) & 0xFF) + "." + ((key >>> 16) & 0xFF) + "." + ((key >>> 8) & 0xFF) + "."
                    + (key & 0xFF);
            return mode == Mode.TRUNCATE ? v4 + "/24" : v4;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 3; i >= 0; i--) {
            b.append(Long.toHexString((key >>> (16 * i)) & 0xFFFF));
            b.append(':');
        }
        return b.append(':').append(mode == Mode.TRUNCATE ? "/56" : "/64").toString();
    }
}
