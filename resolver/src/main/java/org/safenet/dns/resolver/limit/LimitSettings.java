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
 */
public record LimitSettings(
        int clientQps,
        boolean drop,
        int ipv4Prefix,
        int ipv6Prefix,
        ClientAccessList exempt,
        int tcpConnectionsPerClient,
        Duration tcpMessageTimeout) {
    public static final int DEFAULT_TCP_CONNECTIONS_PER_CLIENT = 64;
    public static final Duration DEFAULT_TCP_MESSAGE_TIMEOUT = Duration.ofSeconds(2);

    public static final LimitSettings OFF = new LimitSettings(0, false, 32, 64);

    /** Without exemptions, with the default TCP limits. */
    public LimitSettings(int clientQps, boolean drop, int ipv4Prefix, int ipv6Prefix) {
        this(clientQps, drop, ipv4Prefix, ipv6Prefix, new ClientAccessList(List.<CidrPrefix>of()));
    }

    /** With the default TCP limits. */
    public LimitSettings(int clientQps, boolean drop, int ipv4Prefix, int ipv6Prefix, ClientAccessList exempt) {
        this(
                clientQps,
                drop,
                ipv4Prefix,
                ipv6Prefix,
                exempt,
                DEFAULT_TCP_CONNECTIONS_PER_CLIENT,
                DEFAULT_TCP_MESSAGE_TIMEOUT);
    }

    /** These limits with the UDP rate {@code clientQps} instead (an event loop's share). */
    public LimitSettings withClientQps(int qps) {
        return new LimitSettings(qps, drop, ipv4Prefix, ipv6Prefix, exempt, tcpConnectionsPerClient, tcpMessageTimeout);
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
    }

    public boolean enabled() {
        return clientQps > 0;
    }
}
