package org.safenet.dns.appliance;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.api.AuditLog;
import org.safenet.dns.admin.api.ReloadOutcome;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigException;
import org.safenet.dns.appliance.config.ConfigLoader;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListEntry;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.importer.Explainer;
import org.safenet.dns.blocklist.store.BlocklistStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code serve}, {@code check-config}, {@code version}. */
@Command(
        name = "safenet",
        mixinStandardHelpOptions = true,
        versionProvider = Main.VersionProvider.class,
        description =
                "SafeNet DNS: a resolver appliance that protects whole networks from scam, phishing and malware sites.",
        subcommands = {
            Main.Serve.class,
            Main.CheckConfig.class,
            Main.Import.class,
            Main.Sync.class,
            Main.Lookup.class,
            AdminCommands.Block.class,
            AdminCommands.Unblock.class,
            AdminCommands.Stats.class,
            Main.PrintVersion.class
        })
public final class Main implements Callable<Integer> {
    /** Exit status for a configuration that cannot be used. */
    static final int EXIT_BAD_CONFIG = 2;

    @CommandLine.Spec
    CommandLine.Model.@Nullable CommandSpec spec;

    @Override
    public Integer call() {
        if (spec != null) {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
        return 1;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            // Which Java runs it, and from where: the package's own runtime or one the operator chose.
            return new String[] {
                "SafeNet DNS " + Version.current() + " (Java " + Runtime.version() + ", "
                        + System.getProperty("java.home") + ")"
            };
        }
    }

    /** Options shared by commands that read a config. */
    static class ConfigOptions {
        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "YAML config file; keys it omits keep their defaults.")
        @Nullable
        Path config;

        @Option(
                names = "--listen",
                paramLabel = "HOST:PORT",
                description = "Listen address (repeatable); replaces server.listen.")
        List<String> listen = new ArrayList<>();

        @Option(
                names = "--upstream",
                paramLabel = "HOST:PORT",
                description = "Upstream resolver (repeatable); replaces upstream.servers.")
        List<String> upstreams = new ArrayList<>();

        @Option(names = "--data-dir", paramLabel = "DIR", description = "State directory; replaces dataDir.")
        @Nullable
        String dataDir;

        ApplianceConfig load() throws ConfigException {
            return new ConfigLoader().load(config, new ConfigLoader.Overrides(listen, upstreams, dataDir));
        }
    }

    @Command(
            name = "serve",
            mixinStandardHelpOptions = true,
            description = "Run the resolver until stopped (SIGTERM or Ctrl-C).")
    static final class Serve implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ApplianceConfig config;
            Appliance appliance;
            try {
                config = options.load();
                appliance = new Appliance(config);
            } catch (ConfigException e) {
                return reportBadConfig(err(spec), e);
            }
            CountDownLatch stopped = new CountDownLatch(1);
            SystemdNotifier systemd = SystemdNotifier.fromEnvironment();
            java.util.concurrent.ScheduledExecutorService watchdog = null;
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                systemd.notify("STOPPING=1");
                                appliance.stopGracefully(); // SIGTERM: drain, flush statistics, close the store
                                stopped.countDown();
                            },
                            "safenet-shutdown"));
            if (options.config != null) {
                appliance.configSource(options::load); // the same file and command-line overrides
            }
            // SIGHUP (systemctl reload): re-read the file off the signal thread; a bad file changes
            // nothing. Without --config the reload says so: SIGHUP must never stop the resolver.
            sun.misc.Signal.handle(
                    new sun.misc.Signal("HUP"),
                    signal -> Thread.ofPlatform().name("safenet-reload").start(() -> {
                        // Only a status line (no RELOADING=1). Under systemd 252 one SIGHUP was seen to
                        // bring a second, empty reload right after the first; its "nothing changed" must not
                        // hide what the first one did.
                        ReloadOutcome outcome = appliance.reloadBySignal();
                        if (!outcome.changed().isEmpty()
                                || !outcome.needsRestart().isEmpty()
                                || !outcome.applied()) {
                            systemd.notify("STATUS=" + outcome.summary());
                        }
                    }));
            try {
                appliance.start();
            } catch (Exception e) { // Netty rethrows bind failures (IOException) unchecked-style
                err(spec).println("safenet: cannot start: " + e.getMessage());
                err(spec).flush();
                return 1;
            }
            // Readiness only now: the list is loaded and every listener bound (Type=notify).
            systemd.notify(
                    "READY=1\nSTATUS=answering on " + appliance.resolver().boundAddresses() + "\nMAINPID="
                            + ProcessHandle.current().pid());
            long watchdogMicros = SystemdNotifier.watchdogMicros();
            if (systemd.active() && watchdogMicros > 0) {
                watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "systemd-watchdog");
                    t.setDaemon(true);
                    return t;
                });
                // Ping at half the interval, and only while the event loops answer: a stuck
                // appliance stops pinging and systemd restarts it.
                watchdog.scheduleAtFixedRate(
                        () -> {
                            if (appliance.healthy()) {
                                systemd.notify("WATCHDOG=1");
                            }
                        },
                        0,
                        watchdogMicros / 2,
                        java.util.concurrent.TimeUnit.MICROSECONDS);
            }
            stopped.await();
            if (watchdog != null) {
                watchdog.shutdownNow();
            }
            return 0;
        }
    }

    @Command(
            name = "check-config",
            mixinStandardHelpOptions = true,
            description = "Validate a config file and print the effective settings.")
    static final class CheckConfig implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() {
            try {
                ApplianceConfig c = options.load();
                PrintWriter out = out(spec);
                out.println("config OK" + (options.config == null ? " (embedded defaults)" : ": " + options.config));
                out.println("  listen:    " + c.server().listen());
                out.println("  upstreams: "
                        + (c.upstream().servers().isEmpty()
                                ? "from /etc/resolv.conf"
                                : c.upstream().servers()));
                out.println("  zones:     " + c.upstream().forwardZones().size());
                out.println("  allow:     " + c.access().allow());
                out.println("  cache:     " + c.cache().maxEntries() + " entries");
                out.println("  sources:   "
                        + (c.sync().specs().isEmpty()
                                ? "none"
                                : c.sync().specs().stream()
                                        .map(sp -> sp.name() + " ("
                                                + sp.type().name().toLowerCase(java.util.Locale.ROOT) + ", "
                                                + sp.category() + ", precedence " + sp.precedence()
                                                + (sp.enabled() ? "" : ", disabled") + ")")
                                        .collect(java.util.stream.Collectors.joining(", "))));
                // Names only: tokens, passwords and TSIG secrets are never printed.
                out.println("  rpz zone:  "
                        + (c.distribution().enabled()
                                ? c.distribution().zone() + " to "
                                        + c.distribution().allowTransfer()
                                        + (c.distribution().tsigKey().isEmpty()
                                                ? ""
                                                : " with TSIG key "
                                                        + c.distribution().tsigKey())
                                : "not served"));
                out.println("  dataDir:   " + c.dataDir());
                out.flush();
                return 0;
            } catch (ConfigException e) {
                return reportBadConfig(err(spec), e);
            }
        }
    }

    @Command(
            name = "import",
            mixinStandardHelpOptions = true,
            description = "Import list files into the blocklist store (.gz and .xz are unpacked). "
                    + "The appliance must be stopped; it loads the list at start.")
    static final class Import implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @Option(
                names = "--format",
                required = true,
                paramLabel = "FORMAT",
                description = "domains, hosts, adblock or rpz")
        String format = "";

        @Option(
                names = "--category",
                required = true,
                paramLabel = "CAT",
                description = "scam, phishing, malware, botnet, illegal, adult, gambling, ads or custom")
        String category = "";

        @Option(names = "--source", paramLabel = "NAME", description = "Source name (default: the first file's name).")
        @Nullable
        String source;

        @Option(
                names = "--replace",
                description = "The files become the source's whole content: entries not in them are removed.")
        boolean replace;

        @CommandLine.Parameters(arity = "1..*", paramLabel = "FILE")
        List<Path> files = new ArrayList<>();

        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = out(spec);
            PrintWriter err = err(spec);
            ApplianceConfig config;
            ListFormat listFormat;
            try {
                config = options.load();
                listFormat = ListFormat.parse(format);
                Categories.requireKnown(category);
            } catch (ConfigException e) {
                return reportBadConfig(err, e);
            } catch (IllegalArgumentException e) {
                err.println("safenet import: " + e.getMessage());
                err.flush();
                return 2;
            }
            String sourceName =
                    source != null ? source : files.getFirst().getFileName().toString();
            Path dir = Appliance.storeDir(config.dataDir());
            ImportCommand command = new ImportCommand(
                    listFormat,
                    category,
                    sourceName,
                    replace,
                    files.stream().map(Path::toAbsolutePath).toList());
            try (BlocklistStore store = BlocklistStore.open(dir)) {
                Map<String, Object> what = ControlCommands.importRecord(command);
                what.put(
                        "listVersion",
                        command.run(
                                        store,
                                        ImportCommand.offline(store, config),
                                        config.blocklist().protectedDomains(),
                                        out)
                                .version());
                ControlCommands.offlineAudit(store, config.admin().auditRetention())
                        .recordOrWarn(
                                AuditLog.Actor.local(AuditLog.IMPORT, ControlCommands.localUser(), "command line"),
                                "import",
                                sourceName,
                                null,
                                what);
                out.println("imported into " + dir + " (the appliance applies it when it starts)");
                out.flush();
                return 0;
            } catch (BlocklistStore.StoreException e) {
                if (e.getMessage().contains("in use")) {
                    // A running appliance holds the store: hand the import to it.
                    try {
                        Integer status = ControlChannel.send(config.dataDir(), command.encode(), out);
                        if (status != null) {
                            out.println("handed to the running appliance (control channel "
                                    + config.dataDir().resolve(ControlChannel.SOCKET) + ")");
                            out.flush();
                            return status;
                        }
                    } catch (IOException io) {
                        err.println(
                                "safenet import: the running appliance did not take the import: " + io.getMessage());
                        err.flush();
                        return 1;
                    }
                }
                err.println("safenet import: " + e.getMessage());
                err.flush();
                return 1;
            } catch (IOException e) {
                err.println("safenet import: " + e.getMessage());
                err.flush();
                return 1;
            }
        }
    }

    @Command(
            name = "sync",
            mixinStandardHelpOptions = true,
            description =
                    "Sync the configured list sources now (all enabled ones, or --source), approve or discard "
                            + "a held update, or show the sources' status. Works on a running appliance (through its control "
                            + "channel) and on a stopped one. Exit status: 0 applied or unchanged, 1 failed, 3 held for approval.")
    static final class Sync implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @Option(names = "--source", paramLabel = "NAME", description = "Sync only this source.")
        @Nullable
        String source;

        @Option(names = "--approve", paramLabel = "NAME", description = "Apply the update held for this source.")
        @Nullable
        String approve;

        @Option(names = "--discard", paramLabel = "NAME", description = "Drop the update held for this source.")
        @Nullable
        String discard;

        @Option(names = "--status", description = "Show each source's last sync, next sync and any held update.")
        boolean status;

        @Option(
                names = "--purge",
                paramLabel = "NAME",
                description = "Remove every entry of this source (one no longer configured, or an import).")
        @Nullable
        String purge;

        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = out(spec);
            PrintWriter err = err(spec);
            ApplianceConfig config;
            try {
                config = options.load();
            } catch (ConfigException e) {
                return reportBadConfig(err, e);
            }
            long chosen = java.util.stream.Stream.of(status ? "" : null, approve, discard, purge)
                    .filter(java.util.Objects::nonNull)
                    .count();
            if (chosen > 1 || (chosen == 1 && source != null && !status)) {
                err.println("safenet sync: give at most one of --status, --approve, --discard, --purge"
                        + " (and --source only alone or with --status)");
                err.flush();
                return EXIT_BAD_CONFIG;
            }
            String action = status
                    ? "status"
                    : approve != null ? "approve" : discard != null ? "discard" : purge != null ? "purge" : "run";
            String name = approve != null ? approve : discard != null ? discard : purge != null ? purge : source;
            try {
                Integer status = ControlChannel.send(config.dataDir(), SyncCommand.encode(action, name), out);
                if (status != null) {
                    out.flush();
                    return status;
                }
            } catch (IOException e) {
                err.println("safenet sync: the running appliance did not answer: " + e.getMessage());
                err.flush();
                return 1;
            }
            // No appliance running: open the store ourselves; the next start loads the result.
            try (BlocklistStore store = BlocklistStore.open(Appliance.storeDir(config.dataDir()));
                    org.safenet.dns.blocklist.sync.SyncService sync = offlineSync(config, store)) {
                StringWriter report = new StringWriter();
                int s;
                try (PrintWriter w = new PrintWriter(report)) {
                    s = SyncCommand.run(sync, action, name, w);
                }
                out.print(report);
                out.flush();
                if (!action.equals("status")) {
                    ControlCommands.offlineAudit(store, config.admin().auditRetention())
                            .recordOrWarn(
                                    AuditLog.Actor.local(AuditLog.SYNC, ControlCommands.localUser(), "command line"),
                                    "sync." + action,
                                    name == null ? "all sources" : name,
                                    null,
                                    ControlCommands.syncRecord(s, report.toString()));
                }
                return s;
            } catch (BlocklistStore.StoreException e) {
                err.println("safenet sync: " + e.getMessage());
                err.flush();
                return 1;
            }
        }

        private static org.safenet.dns.blocklist.sync.SyncService offlineSync(
                ApplianceConfig config, BlocklistStore store) {
            org.safenet.dns.blocklist.live.ListWriter writer = new org.safenet.dns.blocklist.live.ListWriter(
                    store,
                    config.sync().precedence(),
                    System::currentTimeMillis,
                    config.distribution().journalVersions());
            org.safenet.dns.blocklist.sync.SyncService sync = new org.safenet.dns.blocklist.sync.SyncService(
                    store,
                    changes -> writer.write(changes).version(),
                    config.blocklist().protectedDomains(),
                    config.dataDir().resolve("sync"),
                    config.sync().keys(),
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                    System::currentTimeMillis,
                    config.sync().initialBackoff());
            sync.setSources(config.sync().specs());
            return sync;
        }
    }

    @Command(
            name = "lookup",
            mixinStandardHelpOptions = true,
            description = "Explain whether and why a name is blocked.")
    static final class Lookup implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @CommandLine.Parameters(index = "0", paramLabel = "NAME")
        String name = "";

        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = out(spec);
            PrintWriter err = err(spec);
            ApplianceConfig config;
            try {
                config = options.load();
            } catch (ConfigException e) {
                return reportBadConfig(err, e);
            }
            try (BlocklistStore store = BlocklistStore.openReadOnly(Appliance.storeDir(config.dataDir()))) {
                Explainer.Explanation x = Explainer.explain(
                        store,
                        config.blocklist().categoryActions(),
                        config.sync().precedence(),
                        name);
                if (x.blocked()) {
                    out.println(x.name() + ": BLOCKED, answered "
                            + x.action().name().toLowerCase(java.util.Locale.ROOT));
                } else if (x.entry() != null && x.entry().action() == ListEntry.Action.ALLOW) {
                    out.println(x.name() + ": not blocked: allowlisted");
                } else if (x.entry() != null) {
                    out.println(x.name() + ": not blocked: an exception (passthru) applies");
                } else {
                    out.println(x.name() + ": not blocked: on no enforced list");
                }
                if (x.entry() != null) {
                    out.println("  by:   " + Explainer.describe(x.entry()));
                }
                x.notes().forEach(n -> out.println("  note: " + n));
                out.println("  list version " + x.version());
                out.flush();
                return 0;
            } catch (BlocklistStore.StoreException | IllegalArgumentException e) {
                err.println("safenet lookup: " + e.getMessage());
                err.flush();
                return 1;
            }
        }
    }

    @Command(name = "version", description = "Print the version.")
    static final class PrintVersion implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = out(spec);
            out.println(new VersionProvider().getVersion()[0]);
            out.flush();
            return 0;
        }
    }

    /** picocli injects the spec before call(); its writers are what tests capture. */
    private static PrintWriter out(CommandLine.Model.@Nullable CommandSpec spec) {
        return java.util.Objects.requireNonNull(spec, "picocli spec")
                .commandLine()
                .getOut();
    }

    private static PrintWriter err(CommandLine.Model.@Nullable CommandSpec spec) {
        return java.util.Objects.requireNonNull(spec, "picocli spec")
                .commandLine()
                .getErr();
    }

    static int reportBadConfig(PrintWriter err, ConfigException e) {
        err.println("safenet: bad configuration:");
        for (String p : e.problems()) {
            err.println("  " + p);
        }
        err.flush();
        return EXIT_BAD_CONFIG;
    }
}
