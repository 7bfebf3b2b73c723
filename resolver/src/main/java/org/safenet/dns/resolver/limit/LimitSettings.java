package org.safenet.dns.resolver.limit;

import java.time.Duration;
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
 * @param tcpConnectionsPerClient TCP connections one client (its prefix, as above) may hold at
 *     once; 0: no limit of its own (the server's {@code tcpMaxConnections} still holds)
 * @param tcpMessageTimeout how long one query over TCP may take to arrive whole, from its first
 *     byte (a client that sends a byte at a time is closed at this deadline)
 * @param responsesPerSecond UDP answers a reflection could use (REFUSED, NXDOMAIN per zone, large
 *     answers per name) one client prefix (/24, /56) may get a second ({@link ResponseLimiter});
 *     0: off
 * @param slip past that rate, every {@code slip}-th such answer becomes an empty one with TC and
 *     the others are dropped; 0: all dropped, 1: all TC
 * @param networkQps queries per second all the clients of one network (its prefix of the lengths
 *     below) may send together over UDP, with bursts of twice that, on top of each one's {@code
 *     clientQps}: a flood spread over the addresses of one network is limited too; 0: no limit
 * @param ipv4NetworkPrefix how much of an IPv4 address is one network (24)
 * @param ipv6NetworkPrefix how much of an IPv6 address is one network (56: one customer's site)
 */
public record LimitSettings(
        int clientQps,
        boolean drop,
        int ipv4Prefix,
        int ipv6Prefix,
        ClientAccessList exempt,
        int tcpConnectionsPerClient,
        Duration tcpMessageTimeout,
        int responsesPerSecond,
        int slip,
        int networkQps,
        int ipv4NetworkPrefix,
        int ipv6NetworkPrefix) {
    public static final int DEFAULT_TCP_CONNECTIONS_PER_CLIENT = 64;
    public static final Duration DEFAULT_TCP_MESSAGE_TIMEOUT = Duration.ofSeconds(2);

    public static final LimitSettings OFF = new LimitSettings(0, false, 32, 64);

    /** Without exemptions, with the default TCP limits, response rate limiting and the network limit off. */
    public LimitSettings(int clientQps, boolean drop, int ipv4Prefix, int ipv6Prefix) {
        this(clientQps, drop, ipv4Prefix, ipv6Prefix, new ClientAccessList(List.<CidrPrefix>of()));
    }

    /** With the default TCP limits, response rate limiting and the network limit off. */
    public LimitSettings(int clientQps, boolean drop, int ipv4Prefix, int ipv6Prefix, ClientAccessList exempt) {
        this(
                clientQps,
                drop,
                ipv4Prefix,
                ipv6Prefix,
                exempt,
                DEFAULT_TCP_CONNECTIONS_PER_CLIENT,
                DEFAULT_TCP_MESSAGE_TIMEOUT,
                0,
                2,
                0,
                24,
                56);
    }

    /**
     * An event loop's share of these limits, when {@code loops} share the clients (the kernel
     * spreads a client's datagrams over them): the rates divided, rounded up.
     */
    public LimitSettings perLoop(int loops) {
        if (loops <= 1) {
            return this;
        }
        return new LimitSettings(
                (clientQps + loops - 1) / loops,
                drop,
                ipv4Prefix,
                ipv6Prefix,
                exempt,
                tcpConnectionsPerClient,
                tcpMessageTimeout,
                (responsesPerSecond + loops - 1) / loops,
                slip,
                (networkQps + loops - 1) / loops,
                ipv4NetworkPrefix,
                ipv6NetworkPrefix);
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
        if (tcpConnectionsPerClient < 0) {
            throw new IllegalArgumentException(
                    "limits.tcpConnectionsPerClient must be 0 (no limit of its own) or more, not "
                            + tcpConnectionsPerClient);
        }
        if (tcpMessageTimeout.isNegative() || tcpMessageTimeout.isZero()) {
            throw new IllegalArgumentException("limits.tcpMessageTimeout must be positive");
        }
        if (responsesPerSecond < 0) {
            throw new IllegalArgumentException(
                    "limits.responsesPerSecond must be 0 (off) or more, not " + responsesPerSecond);
        }
        if (slip < 0 || slip > 10) {
            throw new IllegalArgumentException("limits.slip must be 0 to 10, not " + slip);
        }
        if (networkQps < 0) {
            throw new IllegalArgumentException("limits.networkQps must be 0 (off) or more, not " + networkQps);
        }
        if (ipv4NetworkPrefix < 8 || ipv4NetworkPrefix > ipv4Prefix) {
            throw new IllegalArgumentException("limits.ipv4NetworkPrefix must be 8 to limits.ipv4Prefix (" + ipv4Prefix
                    + "), not " + ipv4NetworkPrefix);
        }
        if (ipv6NetworkPrefix < 16 || ipv6NetworkPrefix > ipv6Prefix) {
            throw new IllegalArgumentException("limits.ipv6NetworkPrefix must be 16 to limits.ipv6Prefix (" + ipv6Prefix
                    + "), not " + ipv6NetworkPrefix);
        }
    }

    /** Whether any query rate limit is on (per client or per network). */
    public boolean enabled() {
        return clientQps > 0 || networkQps > 0;
    }
}
