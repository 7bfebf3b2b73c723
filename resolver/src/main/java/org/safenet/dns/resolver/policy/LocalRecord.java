package org.safenet.dns.resolver.policy;

import static org.safenet.dns.resolver.wire.DnsConstants.TYPE_A;
import static org.safenet.dns.resolver.wire.DnsConstants.TYPE_AAAA;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One record of RPZ local data: its type and its RDATA in uncompressed wire form (names in it
 * written out in full), answered under the query's name.
 */
public record LocalRecord(int type, byte[] rdata) {
    public LocalRecord {
        if (type <= 0 || type > 0xFFFF || rdata.length > 0xFFFF) {
            throw new IllegalArgumentException("not a record: type " + type + ", " + rdata.length + " octets");
        }
        rdata = rdata.clone();
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
        return o instanceof LocalRecord r && r.type == type && Arrays.equals(r.rdata, rdata);
    }

    @Override
    public int hashCode() {
        return type * 31 + Arrays.hashCode(rdata);
    }

    @Override
    public String toString() {
        return "type " + type + " (" + rdata.length + " octets)";
    }
}
