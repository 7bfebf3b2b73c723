package org.safenet.dns.bench.load;

import java.nio.charset.StandardCharsets;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * One query of a traffic mix, already in wire form with ID 0, so sending it is a copy and a
 * two-byte ID patch.
 *
 * @param wire header, question and (optionally) an EDNS OPT record
 * @param questionEnd offset just past the question: a response must repeat bytes 12..questionEnd
 * @param uniqueLabelOffset where the {@link #UNIQUE_DIGITS} characters of a never-seen label start,
 *     rewritten on every send; -1 for a fixed name
 */
public record PreparedQuery(byte[] wire, int questionEnd, Kind kind, int type, int uniqueLabelOffset) {

    /** Why the query is in the mix; decides what a right answer is ({@link AnswerCheck}). */
    public enum Kind {
        /** A popular name, drawn by rank. */
        POPULAR,
        /** A name (or a subdomain of a name) on the blocklist the target is expected to enforce. */
        BLOCKED,
        /** A name nobody asked for before: a cache miss by construction. */
        UNIQUE,
        /** A line of a query file: only the response code is checked. */
        FILE
    }

    /** Characters of the unique label rewritten per send (base 36: 36^12 names before a repeat). */
    public static final int UNIQUE_DIGITS = 12;

    private static final int EDNS_UDP_SIZE = 1232;

    public static PreparedQuery of(String name, int type, Kind kind, boolean edns) {
        return build(DnsNames.toWire(name), type, kind, edns, -1);
    }

    /** A query for {@code u<12 digits>.<zone>}; the digits are written when it is sent. */
    public static PreparedQuery unique(String zone, int type, boolean edns) {
        byte[] zoneWire = DnsNames.toWire(zone);
        byte[] name = new byte[2 + UNIQUE_DIGITS + zoneWire.length];
        name[0] = (byte) (1 + UNIQUE_DIGITS);
        name[1] = 'u';
        byte[] zeros = "0".repeat(UNIQUE_DIGITS).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(zeros, 0, name, 2, UNIQUE_DIGITS);
        System.arraycopy(zoneWire, 0, name, 2 + UNIQUE_DIGITS, zoneWire.length);
        if (name.length > 255) {
            throw new IllegalArgumentException("unique zone '" + zone + "' is too long for a name under it");
        }
        return build(name, type, Kind.UNIQUE, edns, 12 + 2);
    }

    private static PreparedQuery build(byte[] name, int type, Kind kind, boolean edns, int uniqueOffset) {
        int questionEnd = 12 + name.length + 4;
        byte[] wire = new byte[questionEnd + (edns ? 11 : 0)];
        wire[2] = 0x01; // RD: the target recurses, as for a stub client
        wire[5] = 1; // QDCOUNT
        wire[11] = (byte) (edns ? 1 : 0); // ARCOUNT
        System.arraycopy(name, 0, wire, 12, name.length);
        int p = 12 + name.length;
        wire[p] = (byte) (type >>> 8);
        wire[p + 1] = (byte) type;
        wire[p + 3] = 1; // class IN
        if (edns) {
            int o = questionEnd;
            wire[o + 2] = 41; // root name, then TYPE OPT
            wire[o + 3] = (byte) (EDNS_UDP_SIZE >>> 8);
            wire[o + 4] = (byte) EDNS_UDP_SIZE;
        }
        return new PreparedQuery(wire, questionEnd, kind, type, uniqueOffset);
    }

    /** The name in presentation form, for reports. */
    public String name() {
        return DnsNames.toText(wire, 12, questionEnd - 4 - 12);
    }
}
