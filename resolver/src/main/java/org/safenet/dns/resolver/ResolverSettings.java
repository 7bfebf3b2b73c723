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

    /**
     * Listeners and protocol limits.
     *
     * @param listen addresses to serve UDP and TCP on
     * @param threads event loops (and UDP sockets per address); 0 means one per core
     * @param ednsUdpSize the UDP payload size we advertise and answer up to (RFC 6891; 1232 avoids fragmentation)
     * @param tcpIdleTimeout a TCP connection with no traffic for this long is closed (RFC 7766 §6.2.3)
     * @param tcpMaxConnections TCP connections accepted at once; more are closed at accept
     */
    public record ServerSettings(
            List<HostPort> listen, int threads, int ednsUdpSize, Duration tcpIdleTimeout, int tcpMaxConnections) {
        public ServerSettings {
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
