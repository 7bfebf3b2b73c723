package org.safenet.dns.resolver.wire;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import io.netty.buffer.ByteBuf;

/**
 * Reads a query's header, its one question and its EDNS OPT record in place from a {@link ByteBuf}.
 *
 * <p>Only what the hot path needs is read; everything is bounds-checked against what remains, and
 * the outcome is a {@link ParseResult}, never an exception (pdns CODING_GUIDELINES, "Dealing with
 * untrusted data"). The header decision table follows Unbound's {@code worker_check_request}:
 *
 * <pre>
 *   shorter than a header, or QR set          DROP     (never answer a response: loops, reflection)
 *   opcode other than QUERY                   NOTIMP
 *   TC set, QDCOUNT != 1, ANCOUNT or NSCOUNT  FORMERR  (the last two after the question is read)
 *   bad name, truncated question, bad OPT     FORMERR
 *   an EDNS option past the OPT's end         FORMERR  (as Knot)
 *   bytes after the last record               FORMERR  (as Knot)
 *   TSIG not the last record                  FORMERR  (RFC 8945 §5.2)
 *   a meta-type in the question (OPT, TSIG,   FORMERR  (RFC 6895 §3.1; Unbound's set: TKEY, TSIG,
 *     TKEY, MAILA, MAILB, 128-248)                       OPT, MAILA, MAILB, 128-248)
 *   EDNS version above 0                      BADVERS  (RFC 6891 §6.1.3)
 * </pre>
 *
 * <p>Names may use compression pointers, which must point backwards past the header. A pointer
 * back onto its own labels would loop, so the 255-octet name limit and a hop limit end every walk.
 */
public final class QueryParser {
    private QueryParser() {}

    /** More pointers than a 255-octet name can have labels means a crafted packet. */
    private static final int MAX_POINTER_HOPS = 127;

    /** A query this long or longer is malformed, whatever the transport (see {@link #parse}). */
    public static final int MAX_QUERY_BYTES = 4096;

    public static ParseResult parse(ByteBuf packet, ParsedQuery q) {
        q.reset();
        int base = packet.readerIndex();
        int length = packet.readableBytes();
        if (length < HEADER_LENGTH) {
            return ParseResult.DROP;
        }
        q.id = packet.getUnsignedShort(base);
        q.flags = packet.getUnsignedShort(base + 2);
        if ((q.flags & FLAG_QR) != 0) {
            return ParseResult.DROP;
        }
        if (q.opcode() != OPCODE_QUERY) {
            return ParseResult.NOTIMP;
        }
        int qdcount = packet.getUnsignedShort(base + 4);
        int ancount = packet.getUnsignedShort(base + 6);
        int nscount = packet.getUnsignedShort(base + 8);
        int arcount = packet.getUnsignedShort(base + 10);
        if ((q.flags & FLAG_TC) != 0 || qdcount != 1) {
            return ParseResult.FORMERR;
        }
        int end = base + length;
        int pos = readName(packet, base, base + HEADER_LENGTH, end, q);
        if (pos < 0 || pos + 4 > end) {
            return ParseResult.FORMERR;
        }
        q.type = packet.getUnsignedShort(pos);
        q.qclass = packet.getUnsignedShort(pos + 2);
        pos += 4;
        q.questionRead = true;
        if (length >= MAX_QUERY_BYTES) {
            // No valid query comes near this (a question, an OPT and a TSIG take a few hundred
            // bytes); the UDP listener reads at most this much, so a longer datagram arrives cut
            // to it. Over UDP and TCP alike: FORMERR, with the question.
            return ParseResult.FORMERR;
        }
        if (ancount != 0 || nscount != 0) {
            // Not a query we resolve; but an IXFR carries the secondary's SOA here (RFC 1995 §3),
            // so the question is read first and the caller may hand it over.
            return ParseResult.FORMERR;
        }
        for (int i = 0; i < arcount; i++) {
            if (q.tsigAt >= 0) {
                return ParseResult.FORMERR; // RFC 8945 §5.2: TSIG is the last record
            }
            pos = readAdditional(packet, pos, end, q);
            if (pos < 0) {
                return ParseResult.FORMERR;
            }
        }
        if (pos != end || isMetaType(q.type)) {
            return ParseResult.FORMERR;
        }
        if (q.hasEdns && q.ednsVersion > 0) {
            return ParseResult.BADVERS;
        }
        return ParseResult.OK;
    }

    /**
     * Reads the question name into {@code q}, following backward pointers. Returns the offset just
     * after the name as it stands in the packet, or -1 if the name is malformed.
     */
    private static int readName(ByteBuf p, int base, int pos, int end, ParsedQuery q) {
        int out = 0;
        int labels = 0;
        int after = -1;
        int hops = 0;
        while (true) {
            if (pos >= end) {
                return -1;
            }
            int len = p.getUnsignedByte(pos);
            if ((len & 0xC0) == 0xC0) {
                if (pos + 1 >= end || ++hops > MAX_POINTER_HOPS) {
                    return -1;
                }
                int target = base + (((len & 0x3F) << 8) | p.getUnsignedByte(pos + 1));
                // Strictly backwards, and past the header: a name cannot live inside the header.
                if (target >= pos || target < base + HEADER_LENGTH) {
                    return -1;
                }
                if (after < 0) {
                    after = pos + 2;
                }
                pos = target;
                continue;
            }
            if ((len & 0xC0) != 0) {
                return -1; // 0x40 / 0x80: extended label types (RFC 6891 §5), not supported
            }
            if (len == 0) {
                if (out + 1 > MAX_NAME_LENGTH) {
                    return -1;
                }
                q.name[out] = 0;
                q.nameAsSent[out] = 0;
                q.nameLength = out + 1;
                q.labelCount = labels;
                return after >= 0 ? after : pos + 1;
            }
            if (pos + 1 + len > end || out + 1 + len + 1 > MAX_NAME_LENGTH) {
                return -1;
            }
            q.labelOffsets[labels] = out;
            q.name[out] = (byte) len;
            q.nameAsSent[out] = (byte) len;
            out++;
            for (int i = 1; i <= len; i++) {
                byte b = p.getByte(pos + i);
                q.nameAsSent[out] = b;
                q.name[out] = DnsNames.lower(b);
                out++;
            }
            labels++;
            pos += len + 1;
        }
    }

    /** Reads one additional-section record, noting EDNS facts if it is an OPT. Returns next offset or -1. */
    private static int readAdditional(ByteBuf p, int pos, int end, ParsedQuery q) {
        int nameStart = pos;
        pos = skipName(p, pos, end);
        if (pos < 0 || pos + 10 > end) {
            return -1;
        }
        int type = p.getUnsignedShort(pos);
        int rdlength = p.getUnsignedShort(pos + 8);
        int next = pos + 10 + rdlength;
        if (next > end) {
            return -1;
        }
        if (type == TYPE_TSIG) {
            q.tsigAt = nameStart;
        } else if (type == TYPE_OPT) {
            // RFC 6891 §6.1.1: one OPT only, owned by the root name.
            if (q.hasEdns || pos != nameStart + 1 || p.getByte(nameStart) != 0) {
                return -1;
            }
            q.hasEdns = true;
            q.udpSize = Math.max(CLASSIC_UDP_SIZE, p.getUnsignedShort(pos + 2));
            q.ednsVersion = p.getUnsignedByte(pos + 5);
            q.dnssecOk = (p.getUnsignedShort(pos + 6) & EDNS_DO) != 0;
            if (!readOptions(p, pos + 10, next, q)) {
                return -1;
            }
        }
        return next;
    }

    /** Types that exist only in transit (RFC 6895 §3.1) and so cannot be asked for. */
    static boolean isMetaType(int type) {
        return type == TYPE_OPT
                || type == TYPE_TSIG
                || type == TYPE_TKEY
                || type == TYPE_MAILA
                || type == TYPE_MAILB
                || (type >= 128 && type <= 248);
    }

    /** EDNS option code of Client Subnet (RFC 7871 §6). */
    private static final int OPTION_ECS = 8;

    /**
     * Walks the OPT record's options: each must fit inside the record (else FORMERR), and an ECS
     * option is noted if it is well formed (RFC 7871 §7.1.1: FORMERR if not). Other options are
     * skipped.
     */
    private static boolean readOptions(ByteBuf p, int pos, int end, ParsedQuery q) {
        while (pos < end) {
            if (pos + 4 > end) {
                return false;
            }
            int code = p.getUnsignedShort(pos);
            int length = p.getUnsignedShort(pos + 2);
            int data = pos + 4;
            if (data + length > end) {
                return false;
            }
            if (code == OPTION_ECS) {
                if (q.ecsFamily != 0 || length < 4) {
                    return false;
                }
                int family = p.getUnsignedShort(data);
                int source = p.getUnsignedByte(data + 2);
                int addressLength = length - 4;
                int max = family == 1 ? 32 : family == 2 ? 128 : -1;
                if (max < 0 || source > max || addressLength != (source + 7) / 8) {
                    return false;
                }
                java.util.Arrays.fill(q.ecsAddress, (byte) 0);
                p.getBytes(data + 4, q.ecsAddress, 0, addressLength);
                if (source % 8 != 0 && addressLength > 0) {
                    // RFC 7871 §6: bits beyond the prefix must be zero; clear them rather than trust them.
                    q.ecsAddress[addressLength - 1] &= (byte) (0xFF << (8 - source % 8));
                }
                q.ecsFamily = family;
                q.ecsSourcePrefix = source;
            }
            pos = data + length;
        }
        return true;
    }

    /** Skips a possibly compressed name without following pointers. Returns next offset or -1. */
    public static int skipName(ByteBuf p, int pos, int end) {
        int total = 0;
        while (pos < end) {
            int len = p.getUnsignedByte(pos);
            if ((len & 0xC0) == 0xC0) {
                return pos + 2 <= end ? pos + 2 : -1;
            }
            if ((len & 0xC0) != 0) {
                return -1;
            }
            total += len + 1;
            if (total > MAX_NAME_LENGTH) {
                return -1;
            }
            pos += len + 1;
            if (len == 0) {
                return pos;
            }
        }
        return -1;
    }
}
