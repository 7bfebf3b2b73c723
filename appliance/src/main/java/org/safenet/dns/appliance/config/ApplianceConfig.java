package org.safenet.dns.appliance.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.ResolverSettings;
import org.safenet.dns.resolver.ResolverSettings.AccessSettings;
import org.safenet.dns.resolver.ResolverSettings.ServerSettings;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings.ForwardZone;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * The whole configuration file, one record per YAML section. Defaults live in {@code
 * default-config.yaml} (the single source of truth for them); {@link ConfigLoader} merges the
 * operator's file over it before binding, so no component here is ever missing.
 *
 * @param server listeners and protocol limits
 * @param upstream where cache misses go
 * @param access which clients may query
 * @param cache cache size and TTL policy
 * @param blocklist which categories are enforced and how blocked names are answered
 * @param sync list sources kept in sync automatically
 * @param distribution this appliance as an RPZ primary for others
 * @param dataDir where the appliance keeps its state (the blocklist store, statistics)
 */
public record ApplianceConfig(
        ServerSettings server,
        Upstream upstream,
        AccessSettings access,
        CacheSettings cache,
        Blocklist blocklist,
        SyncConfig sync,
        SyncConfig.Distribution distribution,
        Path dataDir) {

    public ApplianceConfig {
        if (!distribution.tsigKey().isEmpty() && !sync.keys().containsKey(distribution.tsigKey())) {
            throw new IllegalArgumentException(
                    "distribution.tsigKey: " + distribution.tsigKey() + " is not among sync.tsigKeys");
        }
        sync.specs(); // every source valid
    }

    /**
     * The {@code blocklist} section.
     *
     * @param enabled false: no store is opened and nothing is blocked
     * @param categories category -> action (sinkhole, nxdomain, nodata, refused, drop, off)
     * @param blockPage the addresses sinkholed names resolve to (the block page's host)
     * @param ttl TTL of sinkhole answers
     * @param negativeTtl TTL (and SOA minimum) of NXDOMAIN/NODATA policy answers
     * @param protectedDomains names no entry may block, nor anything below them
     * @param blockPageListen where the block page's web server listens; empty: no block page
     */
    public record Blocklist(
            boolean enabled,
            Map<String, String> categories,
            List<HostPort> blockPage,
            Duration ttl,
            Duration negativeTtl,
            List<String> protectedDomains,
            List<HostPort> blockPageListen) {
        public Blocklist {
            blockPageListen = List.copyOf(blockPageListen);
            categories = Map.copyOf(categories);
            blockPage = List.copyOf(blockPage);
            protectedDomains = List.copyOf(protectedDomains);
            Categories.of(categories); // validates names and actions
            for (String d : protectedDomains) {
                DnsNames.toWire(d);
            }
        }

        public Categories categoryActions() {
            return Categories.of(categories);
        }

        public SinkholeSettings sinkhole() {
            return new SinkholeSettings(
                    blockPage.stream().map(HostPort::address).toList(), ttl, negativeTtl);
        }
    }

    /**
     * The {@code upstream} section.
     *
     * @param servers upstreams in order of preference; empty means the nameservers in /etc/resolv.conf
     * @param timeout wait for one upstream before trying the next
     * @param attempts upstreams one query may try before SERVFAIL (or a stale answer)
     * @param failureCacheTtl how long a question whose upstreams all failed is answered without asking again
     * @param forwardZones per-domain upstreams; the most specific zone wins
     */
    public record Upstream(
            List<HostPort> servers,
            Duration timeout,
            int attempts,
            Duration failureCacheTtl,
            List<ForwardZone> forwardZones) {
        public Upstream {
            servers = List.copyOf(servers);
            forwardZones = List.copyOf(forwardZones);
        }
    }

    /** The resolver's settings, with the given servers standing in for an empty upstream list. */
    public ResolverSettings resolverSettings(List<HostPort> systemNameservers) {
        List<HostPort> servers = upstream.servers().isEmpty() ? systemNameservers : upstream.servers();
        return new ResolverSettings(
                server,
                new UpstreamSettings(
                        servers,
                        upstream.timeout(),
                        upstream.attempts(),
                        upstream.failureCacheTtl(),
                        upstream.forwardZones()),
                access,
                cache);
    }
}
