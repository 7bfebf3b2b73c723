package org.safenet.dns.resolver.wire;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import io.netty.buffer.ByteBuf;

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
        boolean question = q.questionRead;
        boolean opt = q.hasEdns && question;
        writeHeader(out, q.id, responseFlags(q, 0, rcode), question ? 1 : 0, 0, 0, opt ? 1 : 0);
        if (question) {
            writeQuestion(out, q);
        }
        if (opt) {
            writeOpt(out, ourUdpSize, rcode, q.dnssecOk);
        }
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
