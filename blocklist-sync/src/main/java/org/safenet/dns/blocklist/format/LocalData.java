package org.safenet.dns.blocklist.format;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.policy.LocalRecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * RPZ local data as the store keeps it ({@link ListEntry.Action#LOCAL_DATA}): one record a line,
 * {@code [TTL] TYPE rdata} in presentation form with every name absolute, as dnsjava writes it
 * (the TTL the zone gave it, explicitly or by {@code $TTL}; without one the sinkhole's applies).
 * The lines are valid zone-file text after an owner name. dnsjava reads and writes the RDATA of
 * every type it knows; this class only frames it.
 */
public final class LocalData {
    private LocalData() {}

    /** Record types a policy zone may not use as local data, with the reason. */
    static @Nullable String refusal(int type) {
        return switch (type) {
            case Type.SOA, Type.NS -> Type.string(type) + " below the zone apex is not RPZ policy";
            case Type.DNAME -> "DNAME is not an RPZ action (a CNAME is)";
            case Type.OPT, Type.TSIG, Type.TKEY, Type.AXFR, Type.IXFR, Type.ANY ->
                Type.string(type) + " is not a record a zone holds";
            default -> null;
        };
    }

    /** Whether a policy zone's record of {@code type} is its DNSSEC signature or chain, not policy. */
    static boolean isDnssec(int type) {
        return switch (type) {
            case Type.RRSIG,
                    Type.NSEC,
                    Type.NSEC3,
                    Type.NSEC3PARAM,
                    Type.DNSKEY,
                    Type.DS,
                    Type.CDS,
                    Type.CDNSKEY,
                    Type.ZONEMD -> true;
            default -> false;
        };
    }

    /**
     * Parses one record's RDATA of {@code type}, relative names made absolute with {@code origin};
     * returns the stored line.
     *
     * @throws IOException with the reason when the RDATA is not valid for the type
     */
    static String line(int type, String rdata, Name origin, long ttl) throws IOException {
        Record r = Record.fromString(Name.root, type, DClass.IN, 0, rdata, origin);
        return (ttl >= 0 ? ttl + " " : "") + Type.string(type) + " " + r.rdataToString();
    }

    /** The stored lines as records for an answer. */
    public static List<LocalRecord> records(String stored) {
        List<LocalRecord> out = new ArrayList<>();
        for (String line : stored.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int ttl = LocalRecord.DEFAULT_TTL;
            if (Character.isDigit(line.charAt(0))) {
                int end = line.indexOf(' ');
                ttl = (int) Math.min(Integer.MAX_VALUE, Long.parseLong(line.substring(0, end)));
                line = line.substring(end + 1);
            }
            int space = line.indexOf(' ');
            String typeText = space < 0 ? line : line.substring(0, space);
            int type = Type.value(typeText.toUpperCase(Locale.ROOT));
            if (type < 0) {
                throw new IllegalArgumentException("stored local data of an unknown type: " + line);
            }
            try {
                Record r = Record.fromString(
                        Name.root, type, DClass.IN, 0, space < 0 ? "" : line.substring(space + 1), Name.root);
                out.add(new LocalRecord(type, r.rdataToWireCanonical(), ttl));
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "stored local data not readable: " + line + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The types of {@code records}, each once, in their order: {@code "A, TXT"}. */
    public static String typeNames(List<LocalRecord> records) {
        return records.stream().map(r -> Type.string(r.type())).distinct().collect(Collectors.joining(", "));
    }

    /**
     * The lines of {@code a} and then those of {@code b} whose record is not already in {@code a}
     * (a repeated record with another TTL is the same record: the first TTL stays).
     */
    public static String merge(String a, String b) {
        StringBuilder sb = new StringBuilder(a);
        List<String> have = new ArrayList<>();
        for (String line : a.split("\n")) {
            have.add(withoutTtl(line));
        }
        for (String line : b.split("\n")) {
            if (!line.isBlank() && !have.contains(withoutTtl(line))) {
                have.add(withoutTtl(line));
                sb.append('\n').append(line);
            }
        }
        return sb.toString();
    }

    private static String withoutTtl(String line) {
        return !line.isEmpty() && Character.isDigit(line.charAt(0)) ? line.substring(line.indexOf(' ') + 1) : line;
    }
}
