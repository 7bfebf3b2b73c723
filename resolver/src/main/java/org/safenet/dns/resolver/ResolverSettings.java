package org.safenet.dns.resolver;

import java.time.Duration;
import java.util.List;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.upstream.UpstreamAddress;
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
        for (UpstreamAddress upstreamAddress : upstream.allServers()) {
            HostPort up = upstreamAddress.hostPort();
            List<HostPort> ownListeners = switch (upstreamAddress.transport()) {
                case UDP, TCP -> server.listen();
                case TLS -> server.dotListen();
            };
            for (HostPort listen : ownListeners) {
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
     * @param tcpIdleTimeout a TCP connection whose client sent nothing for this long, and that is owed
     *     no answer, is closed (RFC 7766 §6.2.3)
     * @param tcpMaxConnections TCP connections open at once; past it the longest idle one is closed for a new one, and a new one is closed at accept only when all are busy
     * @param drainTimeout how long a graceful stop waits for queries in flight
     * @param tls the certificate chain and key DNS over TLS presents (PEM files)
     * @param dotListen addresses to serve DNS over TLS on (RFC 7858; port 853 by default)
     * @param dohListen addresses to serve DNS over HTTPS on (RFC 8484; path {@code /dns-query})
     */
    public record ServerSettings(
            List<HostPort> listen,
            int threads,
            int ednsUdpSize,
            Duration tcpIdleTimeout,
            int tcpMaxConnections,
            Duration drainTimeout,
            TlsFiles tls,
            List<HostPort> dotListen,
            List<HostPort> dohListen) {
        /** With the default drain timeout (5 s) and no encrypted listener. */
        public ServerSettings(
                List<HostPort> listen, int threads, int ednsUdpSize, Duration tcpIdleTimeout, int tcpMaxConnections) {
            this(
                    listen,
                    threads,
                    ednsUdpSize,
                    tcpIdleTimeout,
                    tcpMaxConnections,
                    Duration.ofSeconds(5),
                    TlsFiles.NONE,
                    List.of(),
                    List.of());
        }

        /** These settings with DNS over TLS on {@code addresses}, presenting {@code files}. */
        public ServerSettings withDot(TlsFiles files, List<HostPort> addresses) {
            return new ServerSettings(
                    listen,
                    threads,
                    ednsUdpSize,
                    tcpIdleTimeout,
                    tcpMaxConnections,
                    drainTimeout,
                    files,
                    addresses,
                    dohListen);
        }

        /** These settings with DNS over HTTPS on {@code addresses}, presenting {@code files}. */
        public ServerSettings withDoh(TlsFiles files, List<HostPort> addresses) {
            return new ServerSettings(
                    listen,
                    threads,
                    ednsUdpSize,
                    tcpIdleTimeout,
                    tcpMaxConnections,
                    drainTimeout,
                    files,
                    dotListen,
                    addresses);
        }

        public ServerSettings {
            dotListen = List.copyOf(dotListen);
            dohListen = List.copyOf(dohListen);
            if (!dotListen.isEmpty() && !tls.configured()) {
                throw new IllegalArgumentException(
                        "dotListen needs server.tls (certificate and key): DNS over TLS presents a certificate");
            }
            if (!dohListen.isEmpty() && !tls.configured()) {
                throw new IllegalArgumentException(
                        "dohListen needs server.tls (certificate and key): DNS over HTTPS presents a certificate");
            }
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
     * The certificate chain (leaf first) and the PKCS#8 private key an encrypted listener presents,
     * as PEM files; both empty when there is none.
     */
    public record TlsFiles(String certificate, String key) {
        public static final TlsFiles NONE = new TlsFiles("", "");

        public TlsFiles {
            if (certificate.isBlank() != key.isBlank()) {
                throw new IllegalArgumentException("server.tls needs both certificate and key, or neither");
            }
        }

        public boolean configured() {
            return !certificate.isBlank();
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
