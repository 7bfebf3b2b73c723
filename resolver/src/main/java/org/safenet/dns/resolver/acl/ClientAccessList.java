package org.safenet.dns.resolver.acl;

import static org.safenet.dns.resolver.acl.AddressBits.*;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/**
 * Which clients may query: a list of allowed prefixes, checked without allocation for IPv4.
 *
 * <p>Prefixes are compiled to masks: an IPv4 check is an int AND and compare per prefix, an IPv6
 * check two long compares. A linear scan beats a trie for the dozen prefixes an appliance has;
 * revisit if operators configure hundreds. An IPv4-mapped IPv6 client ({@code ::ffff:a.b.c.d}, as
 * seen on dual-stack sockets) is checked as the IPv4 address it carries.
 */
public final class ClientAccessList {
    /** Loopback and private ranges, IPv4 and IPv6: never an open resolver by default. */
    public static final List<String> DEFAULT_ALLOWED = List.of(
            "127.0.0.0/8",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "169.254.0.0/16",
            "::1/128",
            "fc00::/7",
            "fe80::/10");

    private final int[] v4Networks;
    private final int[] v4Masks;
    private final long[] v6High;
    private final long[] v6Low;
    private final long[] v6MaskHigh;
    private final long[] v6MaskLow;
    private final List<CidrPrefix> prefixes;

    public ClientAccessList(List<CidrPrefix> allowed) {
        this.prefixes = List.copyOf(allowed);
        int v4 = (int) allowed.stream().filter(CidrPrefix::isIpv4).count();
        int v6 = allowed.size() - v4;
        v4Networks = new int[v4];
        v4Masks = new int[v4];
        v6High = new long[v6];
        v6Low = new long[v6];
        v6MaskHigh = new long[v6];
        v6MaskLow = new long[v6];
        int i4 = 0;
        int i6 = 0;
        for (CidrPrefix p : allowed) {
            byte[] n = p.network();
            if (p.isIpv4()) {
                v4Networks[i4] = readInt(n, 0);
                v4Masks[i4] = mask32(p.length());
                i4++;
            } else {
                v6High[i6] = readLong(n, 0);
                v6Low[i6] = readLong(n, 8);
                v6MaskHigh[i6] = mask64(p.length());
                v6MaskLow[i6] = mask64(p.length() - 64);
                i6++;
            }
        }
    }

    public static ClientAccessList of(String... prefixes) {
        return new ClientAccessList(
                java.util.Arrays.stream(prefixes).map(CidrPrefix::parse).toList());
    }

    public List<CidrPrefix> prefixes() {
        return prefixes;
    }

    public boolean allows(InetAddress address) {
        if (address instanceof Inet4Address v4) {
            // Inet4Address.hashCode() is the address as an int: no byte[] copy per query.
            return allowsIpv4(v4.hashCode());
        }
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            long high = readLong(b, 0);
            long low = readLong(b, 8);
            if (high == 0 && (low >>> 32) == 0xFFFFL) {
                return allowsIpv4((int) low);
            }
            for (int i = 0; i < v6High.length; i++) {
                if ((high & v6MaskHigh[i]) == v6High[i] && (low & v6MaskLow[i]) == v6Low[i]) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean allowsIpv4(int addr) {
        for (int i = 0; i < v4Networks.length; i++) {
            if ((addr & v4Masks[i]) == v4Networks[i]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return prefixes.toString();
    }
}
