package org.safenet.dns.appliance;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.api.AdminApi;
import org.safenet.dns.admin.api.AdminContext;
import org.safenet.dns.admin.api.AdminServer;
import org.safenet.dns.admin.api.AuditLog;
import org.safenet.dns.admin.api.ReloadOutcome;
import org.safenet.dns.admin.api.Tokens;
import org.safenet.dns.admin.appeals.AppealBox;
import org.safenet.dns.admin.appeals.ReportBox;
import org.safenet.dns.admin.blockpage.BlockPageServer;
import org.safenet.dns.admin.stats.StatsRecorder;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigException;
import org.safenet.dns.appliance.config.SyncConfig;
import org.safenet.dns.appliance.policy.ClientPolicy;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.distribution.RpzPrimary;
import org.safenet.dns.blocklist.importer.Explainer;
import org.safenet.dns.blocklist.index.IndexFile;
import org.safenet.dns.blocklist.index.IndexLoader;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.sync.SourceSpec;
import org.safenet.dns.blocklist.sync.SyncService;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.Resolver;
import org.safenet.dns.resolver.ResolverSettings;
import org.safenet.dns.resolver.listen.TlsMaterial;
import org.safenet.dns.resolver.listen.Transports;
import org.safenet.dns.resolver.policy.Policy;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.stats.ClientKeys;
import org.safenet.dns.resolver.tap.QueryTap;
import org.safenet.dns.resolver.upstream.UpstreamAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the modules from one config and owns their lifecycle; nothing else does wiring. */
public final class Appliance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Appliance.class);

    private final ResolverSettings settings;
    private final Resolver resolver;
    /** Every meter, rendered at the admin API's /metrics in the Prometheus text format. */
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Recursion and validation on the miss path, or null when misses are forwarded unvalidated (restart-only). */
    private @Nullable MissPath missPath;
    /** dnstap output, or null when it is off (restart-only). */
    private @Nullable QueryTap tap;

    private final @Nullable BlocklistStore store;
    private final String blocklistSummary;
    /** The configuration in force: its live sections follow reloads, the others stay as started. */
    private volatile ApplianceConfig config;

    private final List<HostPort> systemNameservers;
    private final LogLevels logLevels = new LogLevels();
    /** Where a reload reads the configuration from (the file and command-line overrides); null: no reload. */
    private volatile @Nullable Callable<ApplianceConfig> configSource;

    private final List<BlockPageServer> blockPages = new ArrayList<>();
    private @Nullable MultiThreadIoEventLoopGroup blockPageGroup;
    /** The list the resolver enforces, and the one way to change it while running. */
    private @Nullable LiveList liveList;

    private @Nullable ControlChannel control;
    /** Keeps the list in sync with the configured sources (null without a blocklist). */
    private @Nullable SyncService sync;
    /** Zone transfers of the merged list, and NOTIFY for rpz sources (null without a blocklist). */
    private @Nullable RpzPrimary rpz;
    /** Per-minute statistics in the store (null without a blocklist, which owns the store). */
    private @Nullable StatsRecorder stats;
    /** The category actions in force: the config's, overridden by what operators set through the API. */
    private volatile Categories categories;

    private @Nullable AppealBox appealBox;
    private @Nullable ReportBox reportBox;
    private @Nullable AuditLog auditLog;

    /** The profiles and client groups in force, and the categories the index holds for them. */
    private final ClientPolicy clientPolicy;

    private final List<AdminServer> adminServers = new ArrayList<>();
    private @Nullable AdminApi adminApi;
    private @Nullable MultiThreadIoEventLoopGroup adminGroup;
    /** True once the list is loaded and every listener is bound (/readyz). */
    private volatile boolean ready;

    public Appliance(ApplianceConfig config) throws ConfigException {
        this(config, SystemResolvers.read(Path.of("/etc/resolv.conf")));
    }

    Appliance(ApplianceConfig config, List<HostPort> systemNameservers) throws ConfigException {
        if (config.upstream().servers().isEmpty()
                && systemNameservers.isEmpty()
                && !config.upstream().recursive()) {
            throw new ConfigException(
                    List.of(
                            "upstream.servers: empty, and /etc/resolv.conf names no nameserver; set upstream.servers or pass --upstream HOST:PORT"));
        }
        this.config = config;
        this.systemNameservers = List.copyOf(systemNameservers);
        logLevels.apply(config.logging().levels());
        this.categories = config.blocklist().categoryActions();
        this.clientPolicy = new ClientPolicy(() -> this.categories, config);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
        try {
            this.settings = config.resolverSettings(systemNameservers);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(List.of(e.getMessage()));
        }
        MemoryBudget memory = new MemoryBudget(settings.cache().maxEntries());
        if (!config.blocklist().enabled()) {
            memory.apply(0, 0);
        }
        Gauge.builder("safenet.memory.heap.soft.limit", memory, MemoryBudget::softLimit)
                .description("The heap size the appliance asks the collector to stay under (bytes)")
                .baseUnit("bytes")
                .register(registry);
        // Category counter slots must exist before verdicts and the resolver's meters are made.
        PolicyCategories.register(Categories.KNOWN);
        Policy policy = Policy.NONE;
        BlocklistStore opened = null;
        String summary = "blocklist disabled";
        if (config.blocklist().enabled()) {
            Path dir = storeDir(config.dataDir());
            try {
                opened = BlocklistStore.open(dir);
                memory.applyEstimate(opened.estimatedBlockEntries());
                this.categories =
                        CategoryOverrides.apply(opened, config.blocklist().categories());
                clientPolicy.recompile(config);
                long start = System.nanoTime();
                // Sources' precedences come from the sync service once it exists (they can change at run time).
                AtomicReference<SyncService> syncRef = new AtomicReference<>();
                ToIntFunction<String> configured = config.sync().precedence();
                ToIntFunction<String> precedence = source -> {
                    SyncService s = syncRef.get();
                    return s != null ? s.precedence(source) : configured.applyAsInt(source);
                };
                LiveList live = new LiveList(
                        opened,
                        clientPolicy::indexAction,
                        precedence,
                        System::currentTimeMillis,
                        config.distribution().journalVersions(),
                        dir.resolve(IndexFile.NAME));
                IndexLoader.LoadResult loaded = live.lastLoad();
                liveList = live;
                memory.apply(loaded.snapshot().heapBytes(), loaded.blocked());
                live.onRebuilt(rebuilt -> memory.apply(rebuilt.snapshot().heapBytes(), rebuilt.blocked()));
                policy = live.policy();
                SyncService service = new SyncService(
                        opened,
                        changes -> live.apply(changes).version(),
                        config.blocklist().protectedDomains(),
                        config.dataDir().resolve("sync"),
                        config.sync().keys(),
                        registry,
                        System::currentTimeMillis,
                        config.sync().initialBackoff());
                service.setSources(config.sync().specs());
                for (SourceSpec added : AdminApi.storedSources(opened)) {
                    service.putSource(added); // sources added or changed through the admin API
                }
                syncRef.set(service);
                service.onSourcesChanged(() -> {
                    try {
                        live.rebuild(); // precedences may have changed
                    } catch (BlocklistStore.StoreException e) {
                        log.warn("index rebuild after a source change failed: {}", e.getMessage());
                    }
                });
                sync = service;
                summary = String.format(
                        "blocklist %s: %d entries enforced, %d allowed, %d skipped (category off or expired), list version %d, loaded in %d ms (%s)",
                        dir,
                        loaded.blocked(),
                        loaded.allowed(),
                        loaded.skipped(),
                        loaded.snapshot().version(),
                        (System.nanoTime() - start) / 1_000_000,
                        live.savedIndexUsed() ? "saved index" : "built from the store");
            } catch (BlocklistStore.StoreException e) {
                if (opened != null) {
                    opened.close();
                }
                throw new ConfigException(List.of("dataDir: " + e.getMessage()));
            }
        }
        this.store = opened;
        this.blocklistSummary = summary;
        this.resolver = new Resolver(
                settings,
                registry,
                System::currentTimeMillis,
                Transports.best(),
                policy,
                config.blocklist().sinkhole());
        resolver.limits(config.limits().settings());
        if (config.dnstap().enabled()) {
            tap = QueryTap.start(config.dnstap().settings("SafeNet DNS " + Version.current()), registry);
            resolver.tap(tap);
        }
        try {
            missPath = MissPath.install(config, settings.upstream().servers(), resolver, registry);
        } catch (IllegalArgumentException e) {
            resolver.close();
            throw new ConfigException(List.of(String.valueOf(e.getMessage())));
        }
        LiveList live = liveList;
        clientPolicy.attach(live, resolver, () -> this.config);
        SyncService service = sync;
        if (live != null && service != null) {
            SyncConfig.Distribution d = config.distribution();
            RpzPrimary primary = new RpzPrimary(
                    live.store(),
                    live.precedence(),
                    System::currentTimeMillis,
                    new RpzPrimary.Settings(
                            d.enabled(),
                            d.zone(),
                            d.allowTransfer(),
                            d.tsigKey().isEmpty() ? null : config.sync().keys().get(d.tsigKey()),
                            d.notifyTargets()),
                    service,
                    registry);
            live.onNewVersion(primary::versionChanged);
            resolver.zoneService(primary);
            rpz = primary;
            ApplianceConfig.Stats s = config.stats();
            stats = new StatsRecorder(
                    resolver.metrics(),
                    live.store().statsRecords(),
                    new StatsRecorder.Settings(
                            s.enabled(),
                            ClientKeys.Mode.parse(s.clients()),
                            s.keyRotation(),
                            s.minuteRetention(),
                            s.hourRetention(),
                            s.dayRetention(),
                            s.zone()),
                    System::currentTimeMillis);
        }
    }

    /** Where the blocklist store lives inside the data dir. */
    public static Path storeDir(Path dataDir) {
        return dataDir.resolve("blocklist");
    }

    /** Binds the listeners and logs the one start-up line. */
    public List<InetSocketAddress> start() throws InterruptedException {
        List<InetSocketAddress> bound = resolver.start();
        log.info(
                "SafeNet DNS {} listening on {} (udp+tcp, {}, {} event loops); forwarding to {}{}; cache {} entries",
                Version.current(),
                bound.stream().map(Appliance::text).collect(Collectors.joining(", ")),
                resolver.transportName(),
                settings.server().effectiveThreads(),
                settings.upstream().servers().stream()
                        .map(UpstreamAddress::toString)
                        .collect(Collectors.joining(", ")),
                settings.upstream().forwardZones().isEmpty()
                        ? ""
                        : settings.upstream().forwardZones().stream()
                                .map(z -> z.zone() + " -> " + z.servers())
                                .collect(Collectors.joining("; ", "; zones: ", "")),
                settings.cache().maxEntries());
        if (!resolver.boundTlsAddresses().isEmpty()) {
            log.info(
                    "DNS over TLS on {} (certificate {}, {} TLS)",
                    resolver.boundTlsAddresses().stream().map(Appliance::text).collect(Collectors.joining(", ")),
                    settings.server().tls().certificate(),
                    TlsMaterial.providerName());
        }
        if (!resolver.boundHttpsAddresses().isEmpty()) {
            log.info(
                    "DNS over HTTPS on {} (https://HOST:PORT/dns-query, certificate {}, {} TLS)",
                    resolver.boundHttpsAddresses().stream().map(Appliance::text).collect(Collectors.joining(", ")),
                    settings.server().tls().certificate(),
                    TlsMaterial.providerName());
        }
        log.info("{}", blocklistSummary);
        startBlockPages();
        startControlChannel();
        StatsRecorder recorder = stats;
        if (recorder != null) {
            recorder.start();
        }
        SyncService service = sync;
        if (service != null) {
            service.start();
            if (!service.sources().isEmpty()) {
                log.info(
                        "syncing {} list sources: {}",
                        service.sources().size(),
                        service.sources().stream()
                                .map(sp -> sp.name() + " (" + sp.type().name().toLowerCase(Locale.ROOT)
                                        + (sp.enabled() ? "" : ", disabled") + ")")
                                .collect(Collectors.joining(", ")));
            }
        }
        RpzPrimary primary = rpz;
        if (primary != null && config.distribution().enabled()) {
            log.info(
                    "serving the list as RPZ zone {} to {} (notify: {})",
                    primary.origin(),
                    config.distribution().allowTransfer().isEmpty()
                            ? "TSIG-signed transfers"
                            : config.distribution().allowTransfer(),
                    config.distribution().notifyTargets());
        }
        startAdmin();
        ready = true;
        return bound;
    }

    /** The admin API and dashboard, on their own event loop; needs the store (tokens, audit). */
    private void startAdmin() throws InterruptedException {
        LiveList live = liveList;
        SyncService service = sync;
        StatsRecorder recorder = stats;
        if (config.admin().listen().isEmpty()) {
            return;
        }
        if (live == null || service == null || recorder == null) {
            log.warn("no admin API: it needs the blocklist store (blocklist.enabled is false)");
            return;
        }
        Tokens tokens = new Tokens(live.store().metaRecords("token/"), System::currentTimeMillis);
        Path tokenFile = config.admin().tokenFile().isEmpty()
                ? config.dataDir().resolve("admin-token")
                : Path.of(config.admin().tokenFile());
        try {
            tokens.bootstrap(System.getenv(Tokens.BOOTSTRAP_ENV), tokenFile);
        } catch (BlocklistStore.StoreException | IllegalArgumentException e) {
            throw new IllegalStateException("admin API: " + e.getMessage(), e);
        }
        AdminContext context = new AdminContext(
                live,
                service,
                recorder,
                resolver.metrics(),
                () -> categories,
                this::setCategory,
                config.blocklist().protectedDomains(),
                () -> config.blocklist().sinkhole(),
                registry::scrape,
                () -> ready,
                () -> ready
                        ? "list version " + listVersion() + " loaded; listening on " + resolver.boundAddresses()
                        : "starting",
                configSource == null ? null : this::reload,
                logLevels,
                System::currentTimeMillis,
                Objects.requireNonNull(clientPolicy.registry()),
                config.admin().sourceFileDirs(),
                appeals(live.store()),
                reports(live.store()),
                audit(live.store()),
                config.stats().zone());
        AdminApi api = new AdminApi(context, tokens);
        adminApi = api;
        io.netty.handler.ssl.SslContext tls = null;
        if (!config.admin().tlsCertificate().isEmpty()) {
            try {
                tls = io.netty.handler.ssl.SslContextBuilder.forServer(
                                new File(config.admin().tlsCertificate()),
                                new File(config.admin().tlsKey()))
                        .build();
            } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
                throw new IllegalStateException("admin.tlsCertificate/tlsKey: " + e.getMessage(), e);
            }
        }
        Transports transports = Transports.best();
        MultiThreadIoEventLoopGroup group = transports.newGroup(1);
        adminGroup = group;
        for (HostPort listen : config.admin().listen()) {
            AdminServer server = new AdminServer(listen.toSocketAddress(), group, transports, tls, api);
            adminServers.add(server);
            log.info("admin API and dashboard on {}://{}/", tls == null ? "http" : "https", text(server.address()));
        }
    }

    private long listVersion() {
        LiveList live = liveList;
        try {
            return live == null ? 0 : live.store().listVersion();
        } catch (BlocklistStore.StoreException e) {
            return -1;
        }
    }

    /** A category's action set through the admin API: stored, then live (the index is rebuilt). */
    private synchronized void setCategory(String category, String action) throws BlocklistStore.StoreException {
        LiveList live = liveList;
        if (live == null) {
            throw new IllegalStateException("no blocklist");
        }
        CategoryOverrides.store(live.store(), category, action);
        categories = CategoryOverrides.apply(live.store(), config.blocklist().categories());
        clientPolicy.apply(config);
        log.info("category {} set to {} through the admin API", category, action);
    }

    /** The admin API (its routes), or null when it is not running. */
    public @Nullable AdminApi adminApi() {
        return adminApi;
    }

    public List<InetSocketAddress> adminAddresses() {
        return adminServers.stream().map(AdminServer::address).toList();
    }

    private void startControlChannel() {
        if (store == null) {
            return;
        }
        try {
            control = ControlChannel.open(
                    config.dataDir(),
                    new ControlCommands(
                            () -> liveList, () -> sync, config.blocklist().protectedDomains(), audit(store)));
        } catch (IOException | UnsupportedOperationException e) {
            log.warn(
                    "no control channel in {} ({}): imports need the appliance stopped",
                    config.dataDir(),
                    e.getMessage());
        }
    }

    private void startBlockPages() throws InterruptedException {
        BlocklistStore s = store;
        if (s == null || config.blocklist().blockPageListen().isEmpty()) {
            return;
        }
        Transports transports = Transports.best();
        MultiThreadIoEventLoopGroup group = transports.newGroup(1);
        blockPageGroup = group;
        for (HostPort listen : config.blocklist().blockPageListen()) {
            BlockPageServer server = new BlockPageServer(
                    listen.toSocketAddress(),
                    group,
                    transports,
                    s,
                    () -> categories,
                    this::precedence,
                    appeals(s),
                    reports(s));
            blockPages.add(server);
            log.info("block page on http://{}/", text(server.address()));
        }
    }

    /** A source's precedence as the index applies it (the operator's own while sync is off). */
    private int precedence(String source) {
        SyncService service = sync;
        return service != null ? service.precedence(source) : SyncService.OPERATOR_PRECEDENCE;
    }

    /** The one appeal box the block pages file into and the admin API reviews; made on first use. */
    private synchronized AppealBox appeals(BlocklistStore s) {
        AppealBox box = appealBox;
        if (box == null) {
            box = new AppealBox(
                    s,
                    host -> {
                        try {
                            return Explainer.explain(s, categories, this::precedence, host)
                                    .blocked();
                        } catch (BlocklistStore.StoreException | IllegalArgumentException notAName) {
                            return false;
                        }
                    },
                    System::currentTimeMillis);
            appealBox = box;
        }
        return box;
    }

    /** The one report box the block pages file into and the admin API decides on; made on first use. */
    private synchronized ReportBox reports(BlocklistStore s) {
        ReportBox box = reportBox;
        if (box == null) {
            box = new ReportBox(s, System::currentTimeMillis, config.stats().zone());
            reportBox = box;
        }
        return box;
    }

    /** The one audit trail every change path writes to; made on first use. */
    private synchronized AuditLog audit(BlocklistStore s) {
        AuditLog trail = auditLog;
        if (trail == null) {
            trail = new AuditLog(
                    s.auditRecords(),
                    new ObjectMapper(),
                    System::currentTimeMillis,
                    config.admin().auditRetention());
            auditLog = trail;
        }
        return trail;
    }

    /**
     * {@link #reload} on SIGHUP ({@code systemctl reload}), recorded in the audit trail as the
     * signal's (an API reload is recorded by the API with its token).
     */
    public ReloadOutcome reloadBySignal() {
        ReloadOutcome outcome = reload();
        BlocklistStore s = store;
        if (s != null) {
            audit(s).recordOrWarn(
                            AuditLog.Actor.local(AuditLog.RELOAD, "SIGHUP", "signal"),
                            "config.reload",
                            "config",
                            null,
                            outcome);
        }
        return outcome;
    }

    public List<InetSocketAddress> blockPageAddresses() {
        return blockPages.stream().map(BlockPageServer::address).toList();
    }

    public Resolver resolver() {
        return resolver;
    }

    /** The sync service, or null when the blocklist is disabled. */
    public @Nullable SyncService sync() {
        return sync;
    }

    /** The live list, or null when the blocklist is disabled. */
    public @Nullable LiveList liveList() {
        return liveList;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The statistics recorder, or null when the blocklist is disabled. */
    public @Nullable StatsRecorder stats() {
        return stats;
    }

    private static String text(InetSocketAddress a) {
        String h = io.netty.util.NetUtil.toAddressString(a.getAddress());
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /**
     * Config keys (prefixes) that {@link #reload} applies live; every other key needs a restart.
     * docs/configuration.md's "Live" column is checked against this list.
     */
    public static final List<String> LIVE_KEYS = List.of(
            "upstream.",
            "access.",
            "limits.",
            "blocklist.categories",
            "blocklist.blockPage",
            "blocklist.ttl",
            "blocklist.negativeTtl",
            "profiles",
            "clients",
            "policy.",
            "dnssec.negativeTrustAnchors",
            "sync.sources",
            "sync.rails",
            "logging.levels");

    /** Keys under a {@link #LIVE_KEYS} prefix that still need a restart. */
    private static final List<String> RESTART_ONLY =
            List.of("blocklist.blockPageListen", "upstream.mode", "upstream.rootHints", "upstream.authorityPort");

    /** Whether {@code key} (e.g. {@code upstream.timeout}) changes live on a reload. */
    public static boolean isLive(String key) {
        return !RESTART_ONLY.contains(key) && LIVE_KEYS.stream().anyMatch(key::startsWith);
    }

    /** Lets {@link #reload} re-read the configuration (SIGHUP, the admin API); set before {@link #start}. */
    public void configSource(Callable<ApplianceConfig> source) {
        this.configSource = source;
    }

    /**
     * Re-reads the configuration and applies what can change while queries flow: upstreams and
     * forward zones, the access list, the block page's addresses and TTLs, category actions, and
     * list sources. Keys that only take effect at start are reported, not applied. A file that
     * does not load changes nothing and the answer says why. No query is dropped: each part is
     * swapped in as one reference.
     */
    public synchronized ReloadOutcome reload() {
        Callable<ApplianceConfig> source = configSource;
        if (source == null) {
            return ReloadOutcome.refused("started without a config file");
        }
        ApplianceConfig next;
        ResolverSettings nextSettings;
        try {
            next = source.call();
            nextSettings = next.resolverSettings(systemNameservers);
        } catch (ConfigException e) {
            return logged(ReloadOutcome.refused(String.join("; ", e.problems())));
        } catch (Exception e) {
            return logged(ReloadOutcome.refused(String.valueOf(e.getMessage())));
        }
        ApplianceConfig now = config;
        ReloadPlan plan = ReloadPlan.of(now, next);
        List<String> changed = new ArrayList<>();
        if (!now.logging().equals(next.logging())) {
            now.logging().levels().keySet().forEach(logger -> logLevels.set(logger, null));
            logLevels.apply(next.logging().levels());
            changed.add("logging.levels");
        }
        if (resolver.reloadCertificates()) {
            changed.add("server.tls certificate");
        }
        boolean upstream = !now.upstream().equals(next.upstream());
        boolean access = !now.access().equals(next.access());
        boolean sinkhole = !now.blocklist().sinkhole().equals(next.blocklist().sinkhole());
        if (!now.limits().equals(next.limits())) {
            resolver.limits(next.limits().settings());
            changed.add("limits");
        }
        if (upstream || access || sinkhole) {
            resolver.reconfigure(
                    nextSettings.upstream(),
                    nextSettings.access(),
                    next.blocklist().sinkhole());
        }
        if (upstream) {
            changed.add("upstream");
        }
        if (access) {
            changed.add("access");
        }
        if (sinkhole) {
            changed.add("blocklist.blockPage/ttl/negativeTtl");
        }
        MissPath misses = missPath;
        if (misses != null
                && !now.dnssec().negativeTrustAnchors().equals(next.dnssec().negativeTrustAnchors())) {
            misses.negativeTrustAnchors(next.dnssec().negativeTrustAnchors());
            changed.add("dnssec.negativeTrustAnchors");
        }
        LiveList live = liveList;
        boolean categoriesChanged =
                !now.blocklist().categories().equals(next.blocklist().categories());
        boolean profilesChanged = !now.profiles().equals(next.profiles())
                || !now.clients().equals(next.clients())
                || !now.policy().equals(next.policy());
        try {
            if (categoriesChanged) {
                categories = live != null
                        ? CategoryOverrides.apply(live.store(), next.blocklist().categories())
                        : next.blocklist().categoryActions();
                changed.add("blocklist.categories");
            }
            if (categoriesChanged || profilesChanged) {
                clientPolicy.apply(next);
            }
            if (profilesChanged) {
                changed.add("profiles/clients/policy");
            }
        } catch (BlocklistStore.StoreException | IllegalArgumentException e) {
            log.warn("reload: the categories and profiles could not be applied: {}", e.getMessage());
        }
        SyncService service = sync;
        BlocklistStore opened = store;
        if (service != null && opened != null && plan.sourcesChange(now)) {
            service.setSources(next.sync().specs());
            for (SourceSpec added : AdminApi.storedSources(opened)) {
                service.putSource(added);
            }
            changed.add("sync.sources");
        }
        config = plan.running();
        return logged(new ReloadOutcome(true, changed, plan.restart(), null));
    }

    private static ReloadOutcome logged(ReloadOutcome outcome) {
        if (outcome.applied()) {
            log.info("{}", outcome.summary());
        } else {
            log.warn("{}", outcome.summary());
        }
        return outcome;
    }

    /** Whether the appliance is up and its event loops run tasks (the systemd watchdog's check). */
    public boolean healthy() {
        return ready && resolver.loopsResponsive(Duration.ofSeconds(2));
    }

    /**
     * A graceful stop: stop reading queries, let the ones in flight be answered (at most {@code
     * server.drainTimeout}), then {@link #close} (statistics flushed, store closed cleanly).
     */
    public void stopGracefully() {
        ready = false;
        try {
            int left = resolver.drain(config.server().drainTimeout());
            if (left > 0) {
                log.warn(
                        "stopping with {} upstream queries still unanswered after {}",
                        left,
                        config.server().drainTimeout());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    @Override
    public void close() {
        log.info("SafeNet DNS stopping");
        ControlChannel c = control;
        if (c != null) {
            c.close();
        }
        SyncService service = sync;
        if (service != null) {
            service.close();
        }
        RpzPrimary primary = rpz;
        if (primary != null) {
            primary.close();
        }
        ready = false;
        adminServers.forEach(AdminServer::close);
        MultiThreadIoEventLoopGroup ag = adminGroup;
        if (ag != null) {
            ag.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        blockPages.forEach(BlockPageServer::close);
        MultiThreadIoEventLoopGroup g = blockPageGroup;
        if (g != null) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        resolver.close();
        MissPath misses = missPath;
        if (misses != null) {
            misses.close();
        }
        QueryTap t = tap;
        if (t != null) {
            t.close(); // after the resolver: the last answers are in the file or at the collector
        }
        StatsRecorder recorder = stats;
        if (recorder != null) {
            recorder.close(); // after the resolver: its last counts go into the last flush
        }
        if (store != null) {
            store.close();
        }
    }
}
