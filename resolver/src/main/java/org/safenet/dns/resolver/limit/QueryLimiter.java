package org.safenet.dns.resolver.limit;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The per-client query rate limit on one event loop, at two levels: each client (its address, or
 * its prefix of {@link LimitSettings#ipv4Prefix()} and {@link LimitSettings#ipv6Prefix()}) has its
 * bucket of {@code clientQps}, and each network (IPv4 /24, IPv6 /56 by default) one of {@code
 * networkQps} that its clients share, so that a flood spread over the addresses of one network
 * is limited too (Unbound's {@code ip-ratelimit} is per address only; PowerDNS's dnsdist rules take
 * one prefix length; BIND's RRL counts per /24 and /56). A query must find a token in both; one
 * its own bucket refuses takes nothing from its network's, so one flooding address does not use
 * up its neighbours' share. Confined to its loop; no allocation per query.
 */
public final class QueryLimiter {
    /** Which limit a query is over. */
    public enum Over {
        NONE,
        CLIENT,
        NETWORK
    }

    private final ClientLimiter clients = new ClientLimiter();
    /** Fewer networks than clients: a quarter of the buckets. */
    private final ClientLimiter networks = new ClientLimiter(1 << 12);

    /** Takes one query's tokens for {@code client} at {@code nowMillis}; which limit it is over, if any. */
    public Over check(InetAddress client, long nowMillis, LimitSettings s) {
        // An IPv6 address is copied once for both keys; an IPv4 one not at all.
        byte[] v6 = client instanceof Inet6Address a6 ? a6.getAddress() : null;
        int v4 = client instanceof Inet4Address a4 ? a4.hashCode() : 0;
        if (s.clientQps() > 0) {
            long key = v6 != null
                    ? ClientLimiter.keyV6(v6, s.ipv4Prefix(), s.ipv6Prefix())
                    : ClientLimiter.keyV4(v4, s.ipv4Prefix());
            if (!clients.allowKey(key, nowMillis, s.clientQps())) {
                return Over.CLIENT;
            }
        }
        if (s.networkQps() > 0) {
            long key = v6 != null
                    ? ClientLimiter.keyV6(v6, s.ipv4NetworkPrefix(), s.ipv6NetworkPrefix())
                    : ClientLimiter.keyV4(v4, s.ipv4NetworkPrefix());
            if (!networks.allowKey(key, nowMillis, s.networkQps())) {
                return Over.NETWORK;
            }
        }
        return Over.NONE;
    }
}
