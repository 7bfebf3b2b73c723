package org.safenet.dns.resolver.limit;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.util.function.LongSupplier;
import org.safenet.dns.resolver.wire.Hashing;

/**
 * Response rate limiting over UDP (the BIND and Knot RRL idea) against reflection: answers a
 * spoofed query could aim at a victim, counted per client prefix (IPv4 /24, IPv6 /56) and per
 * kind: REFUSED (to clients outside the access list) all together, NXDOMAIN per zone (its last two
 * labels, so a flood of random names under one zone counts as one), and large answers (at least
 * {@link #LARGE_ANSWER} bytes, many times a query) per name and type. Each may go out {@code
 * limits.responsesPerSecond} times a second, in bursts of twice that; past it every {@code
 * limits.slip}-th answer is replaced by an empty one with TC (a real client retries over TCP,
 * which a spoofed source cannot) and the others are dropped. Other answers, and TCP, are never
 * limited here. One table per event loop, bounded, no allocation per answer.
 */
public final class ResponseLimiter {
    /** What to do with an answer. */
    public enum Decision {
        SEND,
        /** Send it cut to its question, with TC set ({@link #slip}). */
        SLIP,
        DROP
    }

    /** Answers at least this long count as large (a query is some 30 to 60 bytes). */
    public static final int LARGE_ANSWER = 512;

    static final int IPV4_PREFIX = 24;
    static final int IPV6_PREFIX = 56;

    /** Kinds of answer, mixed into the bucket's key with the client's prefix. */
    private static final long REFUSED_KIND = 0x5EF0_5ED0_0000_0001L;

    private static final long NXDOMAIN_KIND = 0x7A11_D0A1_0000_0002L;
    private static final long LARGE_KIND = 0x1A26_EA25_0000_0003L;

    private static final int RCODE_NXDOMAIN = 3;
    private static final int RCODE_REFUSED = 5;

    private final ClientLimiter buckets = new ClientLimiter();
    private int slipTurn;

    /**
     * The decision for {@code answer} (a whole DNS message, readable) to {@code client}. The clock
     * is read only for an answer of a limited kind: most answers cost two reads of the header.
     */
    public Decision check(ByteBuf answer, InetAddress client, LongSupplier clockMillis, LimitSettings s) {
        int rate = s.responsesPerSecond();
        if (rate <= 0) {
            return Decision.SEND;
        }
        int base = answer.readerIndex();
        int length = answer.readableBytes();
        if (length < 12) {
            return Decision.SEND;
        }
        int rcode = answer.getByte(base + 3) & 0x0F;
        long kind;
        if (rcode == RCODE_REFUSED) {
            kind = REFUSED_KIND;
        } else if (rcode == RCODE_NXDOMAIN) {
            kind = NXDOMAIN_KIND ^ zoneHash(answer, base, length);
        } else if (length >= LARGE_ANSWER) {
            kind = LARGE_KIND ^ questionHash(answer, base, length);
        } else {
            return Decision.SEND;
        }
        if (s.exempt().allows(client)) {
            return Decision.SEND;
        }
        long key = Hashing.fmix64(ClientLimiter.key(client, IPV4_PREFIX, IPV6_PREFIX) ^ kind);
        if (buckets.allowKey(key == 0 ? 1 : key, clockMillis.getAsLong(), rate)) {
            return Decision.SEND;
        }
        int slip = s.slip();
        if (slip > 0 && ++slipTurn >= slip) {
            slipTurn = 0;
            return Decision.SLIP;
        }
        return Decision.DROP;
    }

    /**
     * Cuts {@code answer} to its header and question, with TC set and no records: the client is
     * told to ask again over TCP. An answer whose question cannot be read is cut to its header.
     */
    public static void slip(ByteBuf answer) {
        int base = answer.readerIndex();
        int end = questionEnd(answer, base, answer.readableBytes());
        boolean hasQuestion = end > 0;
        answer.setShort(base + 2, answer.getUnsignedShort(base + 2) | 0x0200); // TC
        answer.setShort(base + 4, hasQuestion ? 1 : 0);
        answer.setShort(base + 6, 0);
        answer.setShort(base + 8, 0);
        answer.setShort(base + 10, 0);
        answer.writerIndex(hasQuestion ? end : base + 12);
    }

    /** The offset just past the question (name, type, class), or -1 if it is not there whole. */
    private static int questionEnd(ByteBuf m, int base, int length) {
        if (m.getUnsignedShort(base + 4) != 1) {
            return -1;
        }
        int end = base + length;
        int pos = base + 12;
        for (int labels = 0; pos < end && labels < 128; labels++) {
            int len = m.getUnsignedByte(pos);
            if (len == 0) {
                return pos + 5 <= end ? pos + 5 : -1;
            }
            if (len > 63) {
                return -1; // a pointer or a reserved label type: not in a question we wrote
            }
            pos += 1 + len;
        }
        return -1;
    }

    /** A hash of the question's name and type (lowercase is how we write it). */
    private static long questionHash(ByteBuf m, int base, int length) {
        int end = questionEnd(m, base, length);
        if (end < 0) {
            return 0;
        }
        long h = 0x2545_F491_4F6C_DD1DL;
        for (int i = base + 12; i < end - 2; i++) { // name and type, not class
            h = (h ^ (m.getByte(i) | 0x20)) * 0x100_0000_01B3L;
        }
        return h;
    }

    /** A hash of the question name's last two labels: the zone an NXDOMAIN flood is under. */
    private static long zoneHash(ByteBuf m, int base, int length) {
        int end = questionEnd(m, base, length);
        if (end < 0) {
            return 0;
        }
        // Label starts, walking forward; keep the last two.
        int pos = base + 12;
        int last = pos;
        int secondLast = pos;
        while (m.getUnsignedByte(pos) != 0) {
            secondLast = last;
            last = pos;
            pos += 1 + m.getUnsignedByte(pos);
        }
        long h = 0x9E37_79B9_7F4A_7C15L;
        for (int i = secondLast; i < pos; i++) {
            h = (h ^ (m.getByte(i) | 0x20)) * 0x100_0000_01B3L;
        }
        return h;
    }
}
