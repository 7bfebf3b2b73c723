package org.safenet.dns.appliance.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.safenet.dns.appliance.policy.ProfileCompiler;
import org.safenet.dns.appliance.policy.ServiceCatalog;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.ResolverSettings;
import org.safenet.dns.resolver.ResolverSettings.AccessSettings;
import org.safenet.dns.resolver.ResolverSettings.ServerSettings;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.dnssec.TrustAnchors;
import org.safenet.dns.resolver.dnssec.Validation;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.recursion.RootHints;
import org.safenet.dns.resolver.stats.ClientKeys;
import org.safenet.dns.resolver.tap.QueryTap;
import org.safenet.dns.resolver.upstream.UpstreamAddress;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings.ForwardZone;
import org.safenet.dns.resolver.upstream.UpstreamTls;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * The whole configuration file, one record per YAML section. Defaults live in {@code
 * default-config.yaml} (the single source of truth for them); {@link ConfigLoader} merges the
 * operator's file over it before binding, so no component here is ever missing.
 *
 * @param server listeners and protocol limits
 * @param upstream where cache misses go
 * @param access which clients may query
 * @param limits per-client query rate limits
 * @param cache cache size and TTL policy
 * @param blocklist which categories are enforced and how blocked names are answered
 * @param profiles named policies for groups of clients (the global settings are {@code default})
 * @param clients client groups: which clients get which profile
 * @param policy the time zone of schedules, the forwarders trusted for EDNS Client Subnet
 * @param sync list sources kept in sync automatically
 * @param distribution this appliance as an RPZ primary for others
 * @param admin the admin API and dashboard
 * @param stats what statistics are kept, and for how long
 * @param dnstap per-query logs in dnstap to a collector or a file
 * @param dnssec DNSSEC validation: on or off, trust anchors, negative trust anchors
 * @param logging log levels
 * @param dataDir where the appliance keeps its state (the blocklist store, statistics)
 */
public record ApplianceConfig(
        ServerSettings server,
        Upstream upstream,
        AccessSettings access,
        Limits limits,
        CacheSettings cache,
        Blocklist blocklist,
        List<PolicyConfig.Profile> profiles,
        List<PolicyConfig.Client> clients,
        PolicyConfig.Settings policy,
        SyncConfig sync,
        SyncConfig.Distribution distribution,
        Admin admin,
        Stats stats,
        Dnstap dnstap,
        Dnssec dnssec,
        Logging logging,
        Path dataDir) {

    public ApplianceConfig {
        profiles = List.copyOf(profiles);
        clients = List.copyOf(clients);
        // Profiles name services, categories and each other: check them together now, not at the first query.
        new ProfileCompiler(ServiceCatalog.builtIn()).compile(blocklist.categoryActions(), profiles, clients, policy);
        if (!distribution.tsigKey().isEmpty() && !sync.keys().containsKey(distribution.tsigKey())) {
            throw new IllegalArgumentException(
                    "distribution.tsigKey: " + distribution.tsigKey() + " is not among sync.tsigKeys");
        }
        sync.specs(); // every source valid
        if (!upstream.recursive() && dnssec.validating(false)) {
            for (UpstreamAddress a : upstream.servers()) {
                if (a.transport() == UpstreamAddress.Transport.TLS) {
                    throw new IllegalArgumentException("dnssec.validate: true with tls:// upstreams is not supported"
                            + " yet (validation asks the upstreams over UDP or TCP): " + a);
                }
            }
        }
    }

    /**
     * The {@code limits} section.
     *
     * @param clientQps UDP queries per second one client may send (bursts of twice that); 0: off
     * @param overLimit {@code tc} (an empty truncated answer: a real client retries over TCP) or {@code drop}
     * @param ipv4Prefix how much of an IPv4 address is one client
     * @param ipv6Prefix how much of an IPv6 address is one client
     * @param exempt clients never limited (default: this machine's loopback addresses)
     * @param tcpConnectionsPerClient TCP connections one client may hold at once (0: no limit of its own)
     * @param tcpMessageTimeout how long one query over TCP may take to arrive whole
     * @param responsesPerSecond reflection-prone UDP answers per client prefix a second (0: off)
     * @param slip every slip-th answer over that rate is sent as TC, the rest dropped
     * @param networkQps UDP queries per second the clients of one network may send together (0: off)
     * @param ipv4NetworkPrefix how much of an IPv4 address is one network
     * @param ipv6NetworkPrefix how much of an IPv6 address is one network
     */
    public record Limits(
            int clientQps,
            String overLimit,
            int ipv4Prefix,
            int ipv6Prefix,
            List<CidrPrefix> exempt,
            int tcpConnectionsPerClient,
            Duration tcpMessageTimeout,
            int responsesPerSecond,
            int slip,
            int networkQps,
            int ipv4NetworkPrefix,
            int ipv6NetworkPrefix) {
        public Limits {
            exempt = List.copyOf(exempt);
            if (!overLimit.equals("tc") && !overLimit.equals("drop")) {
                throw new IllegalArgumentException("limits.overLimit: '" + overLimit + "' is not tc or drop");
            }
            // The numbers' ranges (fields are not assigned yet: build from the parameters).
            new LimitSettings(
                    clientQps,
                    false,
                    ipv4Prefix,
                    ipv6Prefix,
                    new ClientAccessList(List.of()),
                    tcpConnectionsPerClient,
                    tcpMessageTimeout,
                    responsesPerSecond,
                    slip,
                    networkQps,
                    ipv4NetworkPrefix,
                    ipv6NetworkPrefix);
        }

        public LimitSettings settings() {
            return new LimitSettings(
                    clientQps,
                    overLimit.equals("drop"),
                    ipv4Prefix,
                    ipv6Prefix,
                    new ClientAccessList(exempt),
                    tcpConnectionsPerClient,
                    tcpMessageTimeout,
                    responsesPerSecond,
                    slip,
                    networkQps,
                    ipv4NetworkPrefix,
                    ipv6NetworkPrefix);
        }
    }

    /**
     * The {@code admin} section.
     *
     * @param listen where the admin API and dashboard listen; empty: no admin API
     * @param tlsCertificate PEM certificate chain for HTTPS ("" = plain HTTP)
     * @param tlsKey PEM private key (PKCS#8) for HTTPS
     * @param tokenFile where a generated first admin token is written ("" = dataDir/admin-token)
     * @param sourceFileDirs directories file sources made through the admin API may read (empty: none)
     * @param auditRetention how long the audit trail keeps a record
     */
    public record Admin(
            List<HostPort> listen,
            String tlsCertificate,
            String tlsKey,
            String tokenFile,
            List<Path> sourceFileDirs,
            Duration auditRetention) {
        public Admin {
            listen = List.copyOf(listen);
            sourceFileDirs = List.copyOf(sourceFileDirs);
            if (auditRetention.toHours() < 24) {
                throw new IllegalArgumentException("admin.auditRetention: keep at least 1d, not " + auditRetention);
            }
            if (tlsCertificate.isEmpty() != tlsKey.isEmpty()) {
                throw new IllegalArgumentException("admin: tlsCertificate and tlsKey go together (both or neither)");
            }
        }
    }

    /**
     * The {@code logging} section (where the log goes is chosen before the config is read: the
     * SAFENET_LOG_OUTPUT environment variable, see logback.xml).
     *
     * @param levels logger name (or {@code root}) -> TRACE, DEBUG, INFO, WARN, ERROR or OFF
     */
    public record Logging(Map<String, String> levels) {
        public Logging {
            levels = Map.copyOf(levels);
            for (Map.Entry<String, String> e : levels.entrySet()) {
                String upper = e.getValue().trim().toUpperCase(Locale.ROOT);
                if (!List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF").contains(upper)) {
                    throw new IllegalArgumentException("logging.levels." + e.getKey() + ": '" + e.getValue()
                            + "' is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF");
                }
            }
        }
    }

    /**
     * The {@code stats} section.
     *
     * @param enabled false: no client or name sketches on the hot path, nothing stored (counters and /metrics remain)
     * @param clients what the top-clients list keeps of an address: full, truncate (/24, /56) or hash
     * @param keyRotation how often the key of {@code hash} mode changes
     * @param minuteRetention how long per-minute buckets are kept
     * @param hourRetention how long hourly buckets are kept
     * @param dayRetention how long daily buckets are kept
     * @param timeZone where days start ("system" = the machine's zone), e.g. Asia/Ho_Chi_Minh
     */
    public record Stats(
            boolean enabled,
            String clients,
            Duration keyRotation,
            Duration minuteRetention,
            Duration hourRetention,
            Duration dayRetention,
            String timeZone) {
        public Stats {
            ClientKeys.Mode.parse(clients);
            PolicyConfig.zone("stats.timeZone", timeZone);
            for (Duration d : List.of(keyRotation, minuteRetention, hourRetention, dayRetention)) {
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("stats: durations must be positive");
                }
            }
        }

        public java.time.ZoneId zone() {
            return PolicyConfig.zone("stats.timeZone", timeZone);
        }
    }

    /**
     * The {@code dnstap} section: per-query logs in dnstap (Frame Streams), off unless one of
     * {@code socket}, {@code tcp}, {@code file} is set.
     *
     * @param socket a collector's Unix socket path, or empty
     * @param tcp a collector's HOST:PORT, or empty
     * @param file a file written here (rotated by {@code fileSize}), or empty
     * @param messages which messages: client_query, client_response, forwarder_query, forwarder_response
     * @param identity the identity field; empty: the host name
     * @param clients what a client address becomes: full, truncate (/24, /56) or hash
     * @param blockedOnly only queries answered by policy
     * @param sample one client query in N is written (1: all)
     * @param bufferKiB each event loop's buffer of messages waiting for the writer; more are dropped and counted
     * @param fileSize a file is rotated at this many MiB (0: never)
     * @param fileKeep rotated files kept
     */
    public record Dnstap(
            String socket,
            String tcp,
            String file,
            List<String> messages,
            String identity,
            String clients,
            boolean blockedOnly,
            int sample,
            int bufferKiB,
            int fileSize,
            int fileKeep) {
        public Dnstap {
            messages = List.copyOf(messages);
            int targets = (socket.isBlank() ? 0 : 1) + (tcp.isBlank() ? 0 : 1) + (file.isBlank() ? 0 : 1);
            if (targets > 1) {
                throw new IllegalArgumentException("dnstap: set one of socket, tcp and file, not " + targets);
            }
            if (targets == 1 && messages.isEmpty()) {
                throw new IllegalArgumentException("dnstap.messages: name at least one message type");
            }
            messages.forEach(QueryTap.MessageType::parse);
            QueryTap.AddressMode.parse(clients);
            if (!tcp.isBlank()) {
                HostPort.parse(tcp, 6000);
            }
            if (sample < 1) {
                throw new IllegalArgumentException("dnstap.sample: must be 1 or more (one query in N)");
            }
            if (bufferKiB < QueryTap.MIN_BUFFER_KIB || bufferKiB > QueryTap.MAX_BUFFER_KIB) {
                throw new IllegalArgumentException("dnstap.bufferKiB: must be between " + QueryTap.MIN_BUFFER_KIB
                        + " and " + QueryTap.MAX_BUFFER_KIB);
            }
            if (fileSize < 0 || fileKeep < 0) {
                throw new IllegalArgumentException("dnstap.fileSize and dnstap.fileKeep: must not be negative");
            }
        }

        /** Whether dnstap is on. */
        public boolean enabled() {
            return !socket.isBlank() || !tcp.isBlank() || !file.isBlank();
        }

        /** The tap's settings; only when {@link #enabled()}. */
        public QueryTap.Settings settings(String version) {
            QueryTap.Target target;
            if (!socket.isBlank()) {
                target = new QueryTap.Target.UnixSocket(Path.of(socket));
            } else if (!tcp.isBlank()) {
                target = new QueryTap.Target.Tcp(HostPort.parse(tcp, 6000));
            } else {
                target = new QueryTap.Target.File(Path.of(file), fileSize * 1024L * 1024L, fileKeep);
            }
            Set<QueryTap.MessageType> types = EnumSet.noneOf(QueryTap.MessageType.class);
            messages.forEach(m -> types.add(QueryTap.MessageType.parse(m)));
            return new QueryTap.Settings(
                    target,
                    types,
                    identity.isBlank() ? hostName() : identity,
                    version,
                    QueryTap.AddressMode.parse(clients),
                    blockedOnly,
                    sample,
                    bufferKiB);
        }

        private static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return "safenet-dns";
            }
        }
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
     * @param servers upstreams in order of preference ({@code 192.0.2.53}, {@code tcp://...}, {@code
     *     tls://1.1.1.1:853#cloudflare-dns.com}); empty means the nameservers in /etc/resolv.conf
     * @param timeout wait for one upstream before trying the next
     * @param attempts upstreams one query may try before SERVFAIL (or a stale answer)
     * @param failureCacheTtl how long a question whose upstreams all failed is answered without asking again
     * @param forwardZones per-domain upstreams; the most specific zone wins
     * @param maxPending upstream queries waiting at once; past it new cache misses are shed
     * @param overload what a shed query gets: servfail (or a stale answer) or drop
     * @param tls how tls:// upstreams are authenticated: trust anchors and SPKI pins
     * @param mode {@code forward} (misses go to {@code servers}) or {@code recursive} (resolved from
     *     the root servers; {@code servers} are unused, forward zones still apply)
     * @param rootHints recursive mode: a root hints file (IANA's named.root format); empty: built in
     * @param authorityPort recursive mode: the port authoritative servers are asked on (53; another
     *     only for a lab or test hierarchy)
     */
    public record Upstream(
            List<UpstreamAddress> servers,
            Duration timeout,
            int attempts,
            Duration failureCacheTtl,
            List<ForwardZone> forwardZones,
            int maxPending,
            String overload,
            UpstreamTls tls,
            String mode,
            String rootHints,
            int authorityPort) {
        public Upstream {
            servers = List.copyOf(servers);
            forwardZones = List.copyOf(forwardZones);
            if (maxPending < 1) {
                throw new IllegalArgumentException("upstream.maxPending must be at least 1, not " + maxPending);
            }
            if (!overload.equals("servfail") && !overload.equals("drop")) {
                throw new IllegalArgumentException("upstream.overload: '" + overload + "' is not servfail or drop");
            }
            tls.checkPinsNameServers(UpstreamSettings.allServers(servers, forwardZones));
            if (!tls.ca().isBlank()) {
                tls.check(); // an unreadable CA file is a config error, not a failed query later
            }
            if (!mode.equals("forward") && !mode.equals("recursive")) {
                throw new IllegalArgumentException("upstream.mode: '" + mode + "' is not forward or recursive");
            }
            if (authorityPort < 1 || authorityPort > 65535) {
                throw new IllegalArgumentException("upstream.authorityPort: " + authorityPort + " is not a port");
            }
            if (!rootHints.isBlank()) {
                RootHints.read(Path.of(rootHints)); // a bad file is a config error, not a failed priming later
            }
        }

        /** Whether misses are resolved from the root. */
        public boolean recursive() {
            return mode.equals("recursive");
        }

        /** The root hints to start from. */
        public RootHints hints() {
            return rootHints.isBlank() ? RootHints.builtIn() : RootHints.read(Path.of(rootHints));
        }

        /** These settings with {@code running}'s recursion keys (which change only at a restart). */
        public Upstream withRecursionOf(Upstream running) {
            return new Upstream(
                    servers,
                    timeout,
                    attempts,
                    failureCacheTtl,
                    forwardZones,
                    maxPending,
                    overload,
                    tls,
                    running.mode,
                    running.rootHints,
                    running.authorityPort);
        }
    }

    /**
     * The {@code dnssec} section.
     *
     * @param validate {@code true}, {@code false}, or {@code auto}: on in recursive mode, off when
     *     forwarding
     * @param trustAnchors files or DS/DNSKEY records (zone-file syntax) added to the built-in root
     *     anchors; one for the root replaces them
     * @param negativeTrustAnchors domains answered without validation (RFC 7646), e.g. one whose
     *     signatures broke and that the operator vouches for until it is fixed
     */
    public record Dnssec(String validate, List<String> trustAnchors, List<String> negativeTrustAnchors) {
        public Dnssec {
            trustAnchors = List.copyOf(trustAnchors);
            negativeTrustAnchors = List.copyOf(negativeTrustAnchors);
            if (!validate.equals("true") && !validate.equals("false") && !validate.equals("auto")) {
                throw new IllegalArgumentException("dnssec.validate: '" + validate + "' is not true, false or auto");
            }
            TrustAnchors.of(trustAnchors);
            Validation.parse(negativeTrustAnchors);
        }

        /** Whether answers are validated, given the upstream mode. */
        public boolean validating(boolean recursive) {
            return validate.equals("true") || (validate.equals("auto") && recursive);
        }
    }

    /** The resolver's settings, with the given servers standing in for an empty upstream list. */
    public ResolverSettings resolverSettings(List<HostPort> systemNameservers) {
        List<UpstreamAddress> servers = upstream.servers().isEmpty()
                ? systemNameservers.stream().map(UpstreamAddress::udp).toList()
                : upstream.servers();
        if (servers.isEmpty() && upstream.recursive()) {
            // Never asked: in recursive mode misses outside the forward zones go to the root servers.
            servers = List.of(UpstreamAddress.udp(new HostPort(InetAddress.getLoopbackAddress(), 53)));
        }
        return new ResolverSettings(
                server,
                new UpstreamSettings(
                        servers,
                        upstream.timeout(),
                        upstream.attempts(),
                        upstream.failureCacheTtl(),
                        upstream.forwardZones(),
                        upstream.maxPending(),
                        upstream.overload().equals("drop"),
                        upstream.tls()),
                access,
                cache);
    }
}
