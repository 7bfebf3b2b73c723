package org.safenet.dns.resolver.limit;

import java.util.List;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;

/**
 * Per-client query rate limits (the {@code limits} config section).
 *
 * @param clientQps queries per second a client (its address, or its prefix of the lengths below)
 *     may send over UDP, with bursts of twice that; 0: no limit
 * @param drop true: a query over the limit gets no answer; false: an empty answer with TC set, so
 *     a real client retries over TCP (which a spoofed source cannot), the default
 * @param ipv4Prefix how much of an IPv4 address is one client (32: each address)
 * @param ipv6Prefix how much of an IPv6 address is one client (64: each subnet)
 * @param exempt clients never limited (the machine itself: a local forwarder or load generator
 *     speaks for many, and no packet from outside can carry a loopback source)
 */
public record LimitSettings(int clientQps, boolean drop, int ipv4Prefix, int ipv6Prefix, ClientAccessList exempt) {
    public static final LimitSettings OFF = new LimitSettings(0, false, 32, 64);

    /** Without exemptions. */
    public LimitSettings(int clientQps, boolean drop, int ipv4Prefix, int ipv6Prefix) {
        this(clientQps, drop, ipv4Prefix, ipv6Prefix, new ClientAccessList(List.<CidrPrefix>of()));
    }

    public LimitSettings {
        if (clientQps < 0) {
            throw new IllegalArgumentException("limits.clientQps must be 0 (off) or more, not " + clientQps);
        }
        if (ipv4Prefix < 8 || ipv4Prefix > 32) {
            throw new IllegalArgumentException("limits.ipv4Prefix must be 8 to 32, not " + ipv4Prefix);
        }
        if (ipv6Prefix < 16 || ipv6Prefix > 64) {
            throw new IllegalArgumentException("limits.ipv6Prefix must be 16 to 64, not " + ipv6Prefix);
        }
    }

    public boolean enabled() {
        return clientQps > 0;
    }
}
