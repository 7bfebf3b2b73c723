package org.safenet.dns.resolver.upstream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * Picks the upstreams for a query: those of the most specific forward zone at or above the name,
 * else the defaults; healthy ones first in configured order, then those marked down (so a query
 * still has somewhere to go when all are down).
 */
public final class UpstreamRouter {
    private record Zone(byte[] wire, int labels, List<UpstreamServer> servers) {}

    private final List<UpstreamServer> defaults;
    private final List<Zone> zones;

    /**
     * @throws IllegalArgumentException when a TLS upstream's trust anchors cannot be loaded
     */
    public UpstreamRouter(UpstreamSettings settings, ResolverMetrics metrics) {
        UpstreamTlsContexts tls = new UpstreamTlsContexts(settings.tls());
        this.defaults = servers(settings.servers(), tls, metrics);
        List<Zone> z = new ArrayList<>();
        for (UpstreamSettings.ForwardZone fz : settings.forwardZones()) {
            byte[] wire = DnsNames.toWire(fz.zone());
            z.add(new Zone(wire, DnsNames.labelCount(wire), servers(fz.servers(), tls, metrics)));
        }
        // Most labels first: the first zone that contains the name is the most specific one.
        z.sort(Comparator.comparingInt(Zone::labels).reversed());
        this.zones = List.copyOf(z);
    }

    private static List<UpstreamServer> servers(
            List<UpstreamAddress> list, UpstreamTlsContexts tls, ResolverMetrics metrics) {
        return list.stream()
                .map(a -> new UpstreamServer(
                        a, a.transport() == UpstreamAddress.Transport.TLS ? tls.contextFor(a) : null, metrics))
                .toList();
    }

    /** The servers that would be asked, for tests and the explain API: the zone's, else the defaults. */
    public List<UpstreamServer> serversFor(ParsedQuery q) {
        for (Zone z : zones) {
            if (DnsNames.isAtOrBelow(q.name(), q.nameLength(), q.labelCount(), z.wire, z.labels)) {
                return z.servers;
            }
        }
        return defaults;
    }

    /** Whether {@code q} is at or below a forward zone (its upstreams are asked whatever the mode). */
    public boolean inForwardZone(ParsedQuery q) {
        for (Zone z : zones) {
            if (DnsNames.isAtOrBelow(q.name(), q.nameLength(), q.labelCount(), z.wire, z.labels)) {
                return true;
            }
        }
        return false;
    }

    /** Candidates in the order to try them. */
    List<UpstreamServer> candidates(ParsedQuery q, long nowNanos) {
        List<UpstreamServer> configured = serversFor(q);
        List<UpstreamServer> ordered = new ArrayList<>(configured.size());
        for (UpstreamServer s : configured) {
            if (s.isUp(nowNanos)) {
                ordered.add(s);
            }
        }
        for (UpstreamServer s : configured) {
            if (!s.isUp(nowNanos)) {
                ordered.add(s);
            }
        }
        return ordered;
    }
}
