package org.safenet.dns.appliance;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigException;
import org.safenet.dns.appliance.config.ConfigLoader;
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
        subcommands = {Main.Serve.class, Main.CheckConfig.class, Main.PrintVersion.class})
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
            return new String[] {"SafeNet DNS " + Version.current() + " (Java " + Runtime.version() + ")"};
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
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                appliance.close();
                                stopped.countDown();
                            },
                            "safenet-shutdown"));
            try {
                appliance.start();
            } catch (RuntimeException e) {
                err(spec).println("safenet: cannot start: " + e.getMessage());
                err(spec).flush();
                return 1;
            }
            stopped.await();
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
                out.println("  dataDir:   " + c.dataDir());
                out.flush();
                return 0;
            } catch (ConfigException e) {
                return reportBadConfig(err(spec), e);
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
