package org.safenet.dns.resolver.acl;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address prefix such as {@code 192.168.0.0/16} or {@code fc00::/7}. A bare address means a
 * host prefix (/32 or /128).
 */
public record CidrPrefix(byte[] network, int length) {

    public CidrPrefix {
        int bits = network.length * 8;
        if (network.length != 4 && network.length != 16) {
            throw new IllegalArgumentException("address must be IPv4 or IPv6");
        }
        if (length < 0 || length > bits) {
            throw new IllegalArgumentException("prefix length " + length + " is outside 0.." + bits);
        }
        network = network.clone();
        // Clear host bits so that 10.1.2.3/8 and 10.0.0.0/8 are the same prefix.
        for (int i = 0; i < network.length; i++) {
            int keep = Math.max(0, Math.min(8, length - i * 8));
            network[i] &= (byte) (0xFF << (8 - keep));
        }
    }

    /**
     * Parses {@code address[/length]}. Only literal addresses are accepted: a host name here would
     * mean a DNS lookup while reading the config.
     */
    public static CidrPrefix parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        if (addr.isEmpty()
                || !(addr.indexOf(':') >= 0 || addr.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            throw new IllegalArgumentException(
                    "not an IP prefix: '" + text + "' (expected e.g. 10.0.0.0/8 or fd00::/8)");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP prefix: '" + text + "'", e);
        }
        int length = bytes.length * 8;
        if (slash >= 0) {
            try {
                length = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'", e);
            }
        }
        try {
            return new CidrPrefix(bytes, length);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad prefix '" + text + "': " + e.getMessage(), e);
        }
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    @Override
    public byte[] network() {
        return network.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CidrPrefix p && p.length == length && java.util.Arrays.equals(p.network, network);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(network) * 31 + length;
    }

    @Override
    public String toString() {
        try {
            return io.netty.util.NetUtil.toAddressString(InetAddress.getByAddress(network)) + "/" + length;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
