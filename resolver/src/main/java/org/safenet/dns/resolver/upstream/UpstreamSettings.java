package org.safenet.dns.resolver.upstream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * Where cache misses go.
 *
 * @param servers default upstreams, tried in order, a failed one skipped until it recovers
 * @param timeout how long to wait for one upstream before trying the next
 * @param attempts how many upstreams one query may try before it gets SERVFAIL (or a stale answer)
 * @param failureCacheTtl after every upstream failed for a question, the same question is not sent
 *     upstream again for this long (RFC 9520: at least 1 s), which keeps a dead upstream from
 *     being hammered by client retries
 * @param forwardZones per-domain upstreams; the most specific zone wins
 * @param maxPending upstream queries waiting for an answer at once, over all event loops (each
 *     loop holds its share); past it a new cache miss is shed (an identical question already in
 *     flight still joins it), so that an outage or a flood of never-seen names cannot take the
 *     memory and the time that cached and blocked answers need
 * @param shedDrop true: a shed query gets no answer; false: a stale answer if there is one, else
 *     SERVFAIL (the default: the client hears at once and may try another resolver)
 * @param tls how DNS-over-TLS upstreams are authenticated
 */
public record UpstreamSettings(
        List<UpstreamAddress> servers,
        Duration timeout,
        int attempts,
        Duration failureCacheTtl,
        List<ForwardZone> forwardZones,
        int maxPending,
        boolean shedDrop,
        UpstreamTls tls) {

    public static final int DEFAULT_MAX_PENDING = 20_000;

    /** Plain UDP upstreams, the default bound on pending queries (shed with SERVFAIL). */
    public UpstreamSettings(
            List<HostPort> servers,
            Duration timeout,
            int attempts,
            Duration failureCacheTtl,
            List<ForwardZone> forwardZones) {
        this(
                servers.stream().map(UpstreamAddress::udp).toList(),
                timeout,
                attempts,
                failureCacheTtl,
                forwardZones,
                DEFAULT_MAX_PENDING,
                false,
                UpstreamTls.SYSTEM);
    }

    public UpstreamSettings {
        servers = List.copyOf(servers);
        forwardZones = List.copyOf(forwardZones);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("at least one upstream server is needed");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        if (failureCacheTtl.isNegative() || failureCacheTtl.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException(
                    "failureCacheTtl must be between 0s and 5m (RFC 9520), not " + failureCacheTtl.toMillis() + "ms");
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1");
        }
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending must be at least 1, not " + maxPending);
        }
        tls.checkPinsNameServers(allServers(servers, forwardZones));
    }

    /** Every upstream: the defaults and those of the forward zones. */
    public List<UpstreamAddress> allServers() {
        return allServers(servers, forwardZones);
    }

    /** The default upstreams and those of {@code zones}. */
    public static List<UpstreamAddress> allServers(List<UpstreamAddress> servers, List<ForwardZone> zones) {
        List<UpstreamAddress> all = new ArrayList<>(servers);
        zones.forEach(z -> all.addAll(z.servers()));
        return all;
    }

    /**
     * Queries at or below {@code zone} go to {@code servers}.
     *
     * @param zone a domain such as {@code school.local}
     * @param servers its upstreams, tried in order
     */
    public record ForwardZone(String zone, List<UpstreamAddress> servers) {
        public ForwardZone {
            servers = List.copyOf(servers);
            DnsNames.toWire(zone); // validates
            if (servers.isEmpty()) {
                throw new IllegalArgumentException("forward zone " + zone + " has no servers");
            }
        }
    }
}
