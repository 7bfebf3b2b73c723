package org.safenet.dns.resolver;

import java.time.Duration;
import java.util.List;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings;

/**
 * Everything the resolver engine needs to run; the appliance builds it from the YAML config.
 *
 * @param server listeners and protocol limits
 * @param upstream where misses go
 * @param access who may query
 * @param cache cache limits and TTL policy
 */
public record ResolverSettings(
        ServerSettings server, UpstreamSettings upstream, AccessSettings access, CacheSettings cache) {

    public ResolverSettings {
        List<HostPort> upstreams = new java.util.ArrayList<>(upstream.servers());
        upstream.forwardZones().forEach(z -> upstreams.addAll(z.servers()));
        for (HostPort up : upstreams) {
            for (HostPort listen : server.listen()) {
                if (isSelf(up, listen)) {
                    throw new IllegalArgumentException(
                            "upstream " + up + " is this resolver's own listen address " + listen
                                    + ": every miss would loop back to itself (if it came from /etc/resolv.conf, set upstream.servers)");
                }
            }
        }
    }

    /** True if a query sent to {@code up} would arrive at the listener {@code listen}. */
    private static boolean isSelf(HostPort up, HostPort listen) {
        if (up.port() != listen.port()) {
            return false;
        }
        if (up.address().equals(listen.address())) {
            return true;
        }
        // A wildcard listener also receives what is sent to a loopback or wildcard address.
        return listen.address().isAnyLocalAddress()
                && (up.address().isLoopbackAddress() || up.address().isAnyLocalAddress());
    }

    /**
     * Listeners and protocol limits.
     *
     * @param listen addresses to serve UDP and TCP on
     * @param threads event loops (and UDP sockets per address); 0 means one per core
     * @param ednsUdpSize the UDP payload size we advertise and answer up to (RFC 6891; 1232 avoids fragmentation)
     * @param tcpIdleTimeout a TCP connection with no traffic for this long is closed (RFC 7766 §6.2.3)
     * @param tcpMaxConnections TCP connections open at once; past it the longest idle one is closed for a new one, and a new one is closed at accept only when all are busy
     */
    public record ServerSettings(
            List<HostPort> listen,
            int threads,
            int ednsUdpSize,
            Duration tcpIdleTimeout,
            int tcpMaxConnections,
            Duration drainTimeout) {
        /** With the default drain timeout (5 s). */
        public ServerSettings(
                List<HostPort> listen, int threads, int ednsUdpSize, Duration tcpIdleTimeout, int tcpMaxConnections) {
            this(listen, threads, ednsUdpSize, tcpIdleTimeout, tcpMaxConnections, Duration.ofSeconds(5));
        }

        public ServerSettings {
            if (drainTimeout.isNegative()) {
                throw new IllegalArgumentException("drainTimeout must not be negative");
            }
            listen = List.copyOf(listen);
            if (listen.isEmpty()) {
                throw new IllegalArgumentException("at least one listen address is needed");
            }
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be 0 (one per core) or more, not " + threads);
            }
            if (ednsUdpSize < 512 || ednsUdpSize > 65535) {
                throw new IllegalArgumentException("ednsUdpSize " + ednsUdpSize + " is outside 512..65535");
            }
            if (tcpMaxConnections < 1) {
                throw new IllegalArgumentException("tcpMaxConnections must be at least 1");
            }
        }

        public int effectiveThreads() {
            return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        }
    }

    /**
     * Access control.
     *
     * @param allow client prefixes allowed to query; everyone else gets REFUSED
     */
    public record AccessSettings(List<CidrPrefix> allow) {
        public AccessSettings {
            allow = List.copyOf(allow);
        }
    }
}
