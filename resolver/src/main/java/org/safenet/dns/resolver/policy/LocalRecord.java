package org.safenet.dns.resolver.policy;

import static org.safenet.dns.resolver.wire.DnsConstants.TYPE_A;
import static org.safenet.dns.resolver.wire.DnsConstants.TYPE_AAAA;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One record of RPZ local data: its type, its RDATA in uncompressed wire form (names in it written
 * out in full), answered under the query's name, and its TTL.
 *
 * @param ttl the zone's TTL for it, or {@link #DEFAULT_TTL}: the sinkhole's
 */
public record LocalRecord(int type, byte[] rdata, int ttl) {
    /** A record the zone gave no TTL: answered with the sinkhole's TTL. */
    public static final int DEFAULT_TTL = -1;

    public LocalRecord {
        if (type <= 0 || type > 0xFFFF || rdata.length > 0xFFFF || ttl < DEFAULT_TTL) {
            throw new IllegalArgumentException(
                    "not a record: type " + type + ", " + rdata.length + " octets, TTL " + ttl);
        }
        rdata = rdata.clone();
    }

    /** A record answered with the sinkhole's TTL. */
    public LocalRecord(int type, byte[] rdata) {
        this(type, rdata, DEFAULT_TTL);
    }

    /** A and AAAA records for {@code addresses}, in their order. */
    public static List<LocalRecord> addresses(List<InetAddress> addresses) {
        List<LocalRecord> out = new ArrayList<>(addresses.size());
        for (InetAddress a : addresses) {
            out.add(new LocalRecord(a.getAddress().length == 4 ? TYPE_A : TYPE_AAAA, a.getAddress()));
        }
        return out;
    }

    @Override
    public byte[] rdata() {
        return rdata.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LocalRecord r && r.type == type && r.ttl == ttl && Arrays.equals(r.rdata, rdata);
    }

    @Override
    public int hashCode() {
        return (type * 31 + ttl) * 31 + Arrays.hashCode(rdata);
    }

    @Override
    public String toString() {
        return "type " + type + " (" + rdata.length + " octets, TTL " + ttl + ")";
    }
}
