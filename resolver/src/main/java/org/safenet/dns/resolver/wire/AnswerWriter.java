package org.safenet.dns.resolver.wire;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import io.netty.buffer.ByteBuf;
import org.jspecify.annotations.Nullable;

/** Writes answers that need no upstream: error rcodes, BADVERS, and the RFC 8482 answer to ANY. */
public final class AnswerWriter {
    private AnswerWriter() {}

    /** TTL of the synthesised RFC 8482 HINFO answer; long, since it never changes. */
    static final int ANY_ANSWER_TTL = 3600;

    private static final byte[] RFC8482_HINFO_RDATA = {7, 'R', 'F', 'C', '8', '4', '8', '2', 0};

    /**
     * Response flags for a query: QR and RA set, opcode, RD and CD copied from the query (RFC 1035
     * §4.1.1, RFC 4035 §3.2.2), the given extra bits and the low four bits of the rcode.
     */
    public static int responseFlags(ParsedQuery q, int extraFlags, int rcode) {
        return FLAG_QR
                | FLAG_RA
                | (q.flags & (OPCODE_MASK | FLAG_RD | FLAG_CD))
                | (extraFlags & (FLAG_AA | FLAG_TC | FLAG_AD))
                | (rcode & RCODE_MASK);
    }

    public static void writeHeader(ByteBuf out, int id, int flags, int qd, int an, int ns, int ar) {
        out.writeShort(id);
        out.writeShort(flags);
        out.writeShort(qd);
        out.writeShort(an);
        out.writeShort(ns);
        out.writeShort(ar);
    }

    /** The question as the client sent it (its letter case kept), uncompressed. */
    public static void writeQuestion(ByteBuf out, ParsedQuery q) {
        out.writeBytes(q.nameAsSent, 0, q.nameLength);
        out.writeShort(q.type);
        out.writeShort(q.qclass);
    }

    /** Our OPT record (RFC 6891 §6.1.2): root owner, our UDP size, extended rcode bits, DO echoed. */
    public static void writeOpt(ByteBuf out, int udpSize, int rcode, boolean dnssecOk) {
        out.writeByte(0);
        out.writeShort(TYPE_OPT);
        out.writeShort(udpSize);
        out.writeByte(rcode >>> 4);
        out.writeByte(0); // version 0
        out.writeShort(dnssecOk ? EDNS_DO : 0);
        out.writeShort(0);
    }

    /**
     * An answer with no records: header, the question when it was read whole, and an OPT when the
     * client sent one (RFC 6891 §7: a FORMERR to a request with a broken OPT carries none).
     */
    public static void rcodeOnly(ByteBuf out, ParsedQuery q, int rcode, int ourUdpSize) {
        rcodeWithError(out, q, rcode, ourUdpSize, -1, null);
    }

    /**
     * As {@link #rcodeOnly}, with an Extended DNS Error (RFC 8914) in the OPT when the client sent
     * EDNS: {@code infoCode} and UTF-8 {@code text} (none when {@code text} is null).
     */
    public static void rcodeWithError(
            ByteBuf out, ParsedQuery q, int rcode, int ourUdpSize, int infoCode, byte @Nullable [] text) {
        boolean question = q.questionRead;
        boolean opt = q.hasEdns && question;
        writeHeader(out, q.id, responseFlags(q, 0, rcode), question ? 1 : 0, 0, 0, opt ? 1 : 0);
        if (question) {
            writeQuestion(out, q);
        }
        if (opt && text == null) {
            writeOpt(out, ourUdpSize, rcode, q.dnssecOk);
        } else if (opt) {
            out.writeByte(0);
            out.writeShort(TYPE_OPT);
            out.writeShort(ourUdpSize);
            out.writeByte(rcode >>> 4);
            out.writeByte(0);
            out.writeShort(q.dnssecOk ? EDNS_DO : 0);
            out.writeShort(4 + 2 + text.length);
            out.writeShort(EDNS_OPTION_EDE);
            out.writeShort(2 + text.length);
            out.writeShort(infoCode);
            out.writeBytes(text);
        }
    }

    /** An empty answer with TC set: the client retries over TCP (RFC 1035 §4.2.1, RFC 7766 §3). */
    public static void truncated(ByteBuf out, ParsedQuery q, int ourUdpSize) {
        writeHeader(out, q.id, responseFlags(q, FLAG_TC, RCODE_NOERROR), 1, 0, 0, q.hasEdns ? 1 : 0);
        writeQuestion(out, q);
        if (q.hasEdns) {
            writeOpt(out, ourUdpSize, RCODE_NOERROR, q.dnssecOk);
        }
    }

    /**
     * RFC 8945 §5.2.1: a signed query whose key we do not know gets NOTAUTH with an unsigned TSIG
     * record saying BADKEY: the request's key name, algorithm, time signed, fudge and original ID,
     * an empty MAC. {@code in} is the query as received; {@link ParsedQuery#tsigAt()} says where
     * its TSIG record starts. Names in TSIG are never compressed (RFC 8945 §4.2); a request that
     * compresses them gets FORMERR instead. Allocates nothing.
     */
    public static void tsigBadKey(ByteBuf out, ParsedQuery q, ByteBuf in, int ourUdpSize) {
        int at = q.tsigAt;
        int end = in.writerIndex();
        int ownerEnd = uncompressedNameEnd(in, at, end);
        int rdata = ownerEnd < 0 ? -1 : ownerEnd + 10;
        int afterAlgorithm = rdata < 0 ? -1 : uncompressedNameEnd(in, rdata, end);
        if (afterAlgorithm < 0 || afterAlgorithm + 10 > end) {
            rcodeOnly(out, q, RCODE_FORMERR, ourUdpSize);
            return;
        }
        int macSize = in.getUnsignedShort(afterAlgorithm + 8);
        int originalId = afterAlgorithm + 10 + macSize;
        if (originalId + 2 > end) {
            rcodeOnly(out, q, RCODE_FORMERR, ourUdpSize);
            return;
        }
        writeHeader(out, q.id, responseFlags(q, 0, RCODE_NOTAUTH), 1, 0, 0, q.hasEdns ? 2 : 1);
        writeQuestion(out, q);
        if (q.hasEdns) {
            writeOpt(out, ourUdpSize, RCODE_NOTAUTH, q.dnssecOk); // before TSIG, which is last
        }
        out.writeBytes(in, at, ownerEnd - at); // key name
        out.writeShort(TYPE_TSIG);
        out.writeShort(CLASS_ANY);
        out.writeInt(0);
        int lengthAt = out.writerIndex();
        out.writeShort(0);
        int start = out.writerIndex();
        out.writeBytes(in, rdata, afterAlgorithm - rdata); // algorithm name
        out.writeBytes(in, afterAlgorithm, 8); // time signed (48 bits) and fudge
        out.writeShort(0); // MAC size: unsigned
        out.writeShort(in.getUnsignedShort(originalId));
        out.writeShort(TSIG_BADKEY);
        out.writeShort(0); // other len
        out.setShort(lengthAt, out.writerIndex() - start);
    }

    /** The offset after an uncompressed name at {@code at}, or -1 (compressed, or past {@code end}). */
    private static int uncompressedNameEnd(ByteBuf in, int at, int end) {
        int pos = at;
        while (pos < end) {
            int len = in.getUnsignedByte(pos);
            if (len == 0) {
                return pos + 1;
            }
            if ((len & 0xC0) != 0 || pos + 1 + len > end) {
                return -1;
            }
            pos += len + 1;
        }
        return -1;
    }

    /**
     * RFC 8482 §4.2: answer ANY with one synthesised HINFO record ("RFC8482", "") instead of
     * everything at the name, which is what made ANY an amplification tool.
     */
    public static void minimalAnyAnswer(ByteBuf out, ParsedQuery q, int ourUdpSize) {
        writeHeader(out, q.id, responseFlags(q, 0, RCODE_NOERROR), 1, 1, 0, q.hasEdns ? 1 : 0);
        writeQuestion(out, q);
        out.writeShort(0xC000 | HEADER_LENGTH); // owner: pointer to the question name
        out.writeShort(TYPE_HINFO);
        out.writeShort(q.qclass);
        out.writeInt(ANY_ANSWER_TTL);
        out.writeShort(RFC8482_HINFO_RDATA.length);
        out.writeBytes(RFC8482_HINFO_RDATA);
        if (q.hasEdns) {
            writeOpt(out, ourUdpSize, RCODE_NOERROR, q.dnssecOk);
        }
    }
}
