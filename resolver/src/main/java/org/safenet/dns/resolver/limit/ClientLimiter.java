package org.safenet.dns.resolver.limit;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.safenet.dns.resolver.acl.AddressBits;
import org.safenet.dns.resolver.wire.Hashing;

/**
 * Token buckets per client, one table per event loop (dnsdist's {@code MaxQPSIPRule}, Unbound's
 * {@code ip-ratelimit}): a client may send {@code clientQps} queries a second, in bursts of up to
 * two seconds' worth. Confined to its loop: plain arrays, no locks, no allocation per query (an
 * IPv6 client's address is copied out of {@link Inet6Address}, as the access list does).
 *
 * <p>The table is bounded (16,384 buckets unless told), each client hashed to a run of four; a
 * new client takes the free one or the one idle longest. A flood from many spoofed sources can
 * push a real client out, which only gives that client a full bucket again: the bound costs
 * fairness, never memory. Tokens are counted in thousandths so that refills at low rates are
 * exact. {@link QueryLimiter} keeps two, for clients and for their networks; {@link
 * ResponseLimiter} one.
 */
public final class ClientLimiter {
    private static final int WAYS = 4;
    private static final long EMPTY = 0;

    private final long[] keys;
    private final long[] lastMillis;
    private final long[] milliTokens;

    /** A table of 16,384 buckets. */
    public ClientLimiter() {
        this(1 << 14);
    }

    /** A table of {@code size} buckets (a power of two, at least four). */
    public ClientLimiter(int size) {
        if (Integer.bitCount(size) != 1 || size < WAYS) {
            throw new IllegalArgumentException("size must be a power of two of at least " + WAYS);
        }
        keys = new long[size];
        lastMillis = new long[size];
        milliTokens = new long[size];
    }

    /**
     * Takes one query's token for {@code client} at {@code nowMillis}; false when the client is
     * over its limit.
     */
    public boolean allow(InetAddress client, long nowMillis, LimitSettings s) {
        return allowKey(key(client, s), nowMillis, s.clientQps());
    }

    /**
     * Takes one token from the bucket of {@code key} (never 0) refilled at {@code perSecond}, with
     * bursts of up to two seconds' worth; false when it is empty.
     */
    public boolean allowKey(long key, long nowMillis, int perSecond) {
        long capacity = 2_000L * perSecond;
        int base = (int) mix(key) & (keys.length - 1) & ~(WAYS - 1);
        int victim = base;
        for (int i = base; i < base + WAYS; i++) {
            if (keys[i] == key) {
                long elapsed = Math.max(0, nowMillis - lastMillis[i]);
                long tokens = Math.min(capacity, milliTokens[i] + elapsed * perSecond);
                lastMillis[i] = nowMillis;
                if (tokens < 1_000) {
                    milliTokens[i] = tokens;
                    return false;
                }
                milliTokens[i] = tokens - 1_000;
                return true;
            }
            if (keys[i] == EMPTY || lastMillis[i] < lastMillis[victim]) {
                victim = i;
                if (keys[i] == EMPTY) {
                    break;
                }
            }
        }
        keys[victim] = key;
        lastMillis[victim] = nowMillis;
        milliTokens[victim] = capacity - 1_000;
        return true;
    }

    /**
     * The client's key: its prefix of {@code s}'s lengths, IPv4 ones tagged (bits 32 and 62); never
     * 0. Also what the TCP listener counts connections per client by.
     */
    public static long key(InetAddress client, LimitSettings s) {
        return key(client, s.ipv4Prefix(), s.ipv6Prefix());
    }

    /** The key of {@code client}'s prefix of these lengths (see {@link #key(InetAddress, LimitSettings)}). */
    public static long key(InetAddress client, int ipv4Prefix, int ipv6Prefix) {
        if (client instanceof Inet4Address a4) {
            return keyV4(a4.hashCode(), ipv4Prefix);
        }
        if (client instanceof Inet6Address a6) {
            return keyV6(a6.getAddress(), ipv4Prefix, ipv6Prefix);
        }
        return 1L << 60;
    }

    /** The key of an IPv4 address (as {@link Inet4Address#hashCode()} gives it) cut to {@code prefix}. */
    static long keyV4(int address, int prefix) {
        return (address & AddressBits.mask32(prefix) & 0xFFFFFFFFL) | 1L << 32 | 1L << 62;
    }

    /**
     * The key of an IPv6 address's 16 bytes cut to {@code ipv6Prefix}, or of the IPv4 address it
     * maps cut to {@code ipv4Prefix}. Takes the bytes so that a caller making two keys copies the
     * address once ({@link Inet6Address#getAddress()} copies).
     */
    static long keyV6(byte[] address, int ipv4Prefix, int ipv6Prefix) {
        long high = AddressBits.readLong(address, 0);
        long low = AddressBits.readLong(address, 8);
        if (high == 0 && (low >>> 32) == 0xFFFFL) { // IPv4-mapped
            return keyV4((int) low, ipv4Prefix);
        }
        long masked = high & AddressBits.mask64(ipv6Prefix);
        // 0 is the empty slot; an IPv6 prefix equal to an IPv4 key (0x4000_0001_...) shares its
        // bucket, which costs fairness between two clients, nothing else.
        return masked == 0 ? 1L << 61 : masked;
    }

    private static long mix(long key) {
        return Hashing.fmix64(key);
    }
}
