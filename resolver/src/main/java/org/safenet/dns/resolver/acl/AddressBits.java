package org.safenet.dns.resolver.acl;

/**
 * Addresses and prefixes as the ints and longs that prefix matching compares: an IPv4 address
 * or network is one {@code int}, an IPv6 one two {@code long}s, a prefix length a mask.
 */
public final class AddressBits {
    private AddressBits() {}

    /** The mask of a {@code bits}-long prefix within 64 bits (0 or less: none; 64 or more: all). */
    public static long mask64(int bits) {
        if (bits <= 0) {
            return 0;
        }
        return bits >= 64 ? -1L : -1L << (64 - bits);
    }

    /** The mask of a {@code bits}-long IPv4 prefix. */
    public static int mask32(int bits) {
        return bits == 0 ? 0 : -1 << (32 - bits);
    }

    /** Four octets at {@code off}, big-endian. */
    public static int readInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    /** Eight octets at {@code off}, big-endian. */
    public static long readLong(byte[] b, int off) {
        return ((long) readInt(b, off) << 32) | (readInt(b, off + 4) & 0xFFFFFFFFL);
    }
}
