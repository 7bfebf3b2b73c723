package org.safenet.dns.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.bench.SharedData;
import org.safenet.dns.bench.load.BenchReport.TargetSummary;
import org.safenet.dns.bench.load.LoadEngine.Plan;
import org.safenet.dns.bench.load.LoadEngine.Protocol;
import org.safenet.dns.resolver.DurationText;
import org.safenet.dns.resolver.listen.Transports;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code safenet bench}: the load generator. Exit status 0 when every target answered right, 2
 * when a target never answered, 3 when a target's wrong answers exceed {@code --max-wrong}, 1 on
 * bad options or I/O errors.
 */
@Command(
        name = "safenet bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        subcommands = {BenchMain.ResponderCommand.class},
        description = {
            "Load-tests DNS servers with realistic traffic and writes result.json, report.html and summary.md.",
            "Example: ./safenet bench --target safenet=127.0.0.1:5353 --target unbound=127.0.0.1:5354"
                    + " --rate 20000 --duration 30s --blocked-percent 10 --expect-blocked sinkhole:127.0.0.1"
        })
public final class BenchMain implements Callable<Integer> {
    static final int EXIT_NEVER_ANSWERED = 2;
    static final int EXIT_WRONG_ANSWERS = 3;

    @Option(
            names = "--target",
            paramLabel = "[LABEL=]HOST:PORT[,pid=PID]",
            description = "Server to test (repeat for a side-by-side run). With pid= (a process on this machine)"
                    + " its CPU time and memory are reported.")
    List<String> targets = new ArrayList<>();

    @Option(names = "--tcp", description = "Query over TCP (persistent, pipelined connections) instead of UDP.")
    boolean tcp;

    @Option(
            names = "--duration",
            defaultValue = "10s",
            description = "Length of each measured run (default ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--queries", description = "Stop each run after this many queries (default: only the duration).")
    @Nullable
    Long queries;

    @Option(
            names = "--warmup",
            defaultValue = "0s",
            description = "Unmeasured run per target first, e.g. to fill caches.")
    String warmup;

    @Option(
            names = "--rounds",
            defaultValue = "1",
            description = "Measured runs per target, alternating between targets.")
    int rounds;

    @Option(
            names = "--outstanding",
            defaultValue = "100",
            description = "Closed loop: queries in flight (default ${DEFAULT-VALUE}).")
    int outstanding;

    @Option(names = "--rate", description = "Open loop: queries per second, sent on schedule whatever the answers.")
    @Nullable
    Long rate;

    @Option(
            names = "--step",
            paramLabel = "START:INCREMENT:MAX",
            description = "Step mode: open-loop runs from START q/s up by INCREMENT until MAX, loss or p99 limits.")
    @Nullable
    String step;

    @Option(
            names = "--max-loss",
            defaultValue = "1",
            description = "Step mode: loss %% that ends the steps (default ${DEFAULT-VALUE}).")
    double maxLoss;

    @Option(
            names = "--max-p99",
            defaultValue = "50ms",
            description = "Step mode: p99 that ends the steps (default ${DEFAULT-VALUE}).")
    String maxP99;

    @Option(
            names = "--timeout",
            defaultValue = "2s",
            description = "A query unanswered this long is lost (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--sockets", defaultValue = "4", description = "UDP sockets or TCP connections (65,536 IDs each).")
    int sockets;

    @Option(
            names = "--query-file",
            description = "dnsperf-format queries ('name TYPE' per line, .gz allowed) instead of a generated mix.")
    @Nullable
    Path queryFile;

    @Option(
            names = "--popular",
            description = "Popular names, by rank (default ../shared/data/derived/top-domains-not-blocked.txt).")
    @Nullable
    Path popular;

    @Option(names = "--popular-limit", defaultValue = "100000", description = "Popular names used (the top N).")
    int popularLimit;

    @Option(
            names = "--zipf",
            defaultValue = "1.0",
            description = "Zipf exponent over popular names' ranks (default ${DEFAULT-VALUE}).")
    double zipf;

    @Option(
            names = "--blocked",
            description = "Blocked names (default ../shared/data/derived/blocked-domains-1m.txt.gz).")
    @Nullable
    Path blocked;

    @Option(
            names = "--blocked-limit",
            defaultValue = "100000",
            description = "Blocked names used: the first N of the list (load the same N into the target).")
    int blockedLimit;

    @Option(
            names = "--blocked-percent",
            defaultValue = "10",
            description = "Share of queries for blocked names (default ${DEFAULT-VALUE}).")
    double blockedPercent;

    @Option(
            names = "--blocked-subdomain-percent",
            defaultValue = "30",
            description = "Of those, share asked as a subdomain (www., login., ...).")
    double blockedSubdomainPercent;

    @Option(
            names = "--unique-percent",
            defaultValue = "5",
            description = "Share of never-seen names (cache misses) (default ${DEFAULT-VALUE}).")
    double uniquePercent;

    @Option(
            names = "--unique-zone",
            defaultValue = "nx.safenet-bench.test",
            description = "Zone the never-seen names are under.")
    String uniqueZone;

    @Option(
            names = "--types",
            defaultValue = "A:70,AAAA:25,HTTPS:5",
            description = "Query type mix (default ${DEFAULT-VALUE}).")
    String types;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Seed of the generated mix: the same seed, the same queries.")
    long seed;

    @Option(
            names = "--mix-length",
            defaultValue = "500000",
            description = "Generated queries, cycled through during a run.")
    int mixLength;

    @Option(names = "--no-edns", description = "Send queries without an EDNS OPT record.")
    boolean noEdns;

    @Option(
            names = "--expect-blocked",
            defaultValue = "any",
            paramLabel = "sinkhole:ADDR[,ADDR6]|nxdomain|any",
            description =
                    "How the targets answer blocked names; wrong answers are counted and reported (default ${DEFAULT-VALUE}).")
    String expectBlocked;

    @Option(
            names = "--max-wrong",
            defaultValue = "0.1",
            description = "Wrong answers %% above which the exit status is 3.")
    double maxWrong;

    @Option(
            names = "--no-calibrate",
            description = "Do not measure the generator's own ceiling against a built-in trivial responder (3 s;"
                    + " the 2 s JIT warm-up against it always runs).")
    boolean noCalibrate;

    @Option(
            names = "--out",
            description = "Directory for result.json, report.html and summary.md (default bench-results/<time>).")
    @Nullable
    Path out;

    @Option(names = "--quiet", description = "No progress line.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.@Nullable CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    private PrintWriter stdout() {
        return spec != null
                ? spec.commandLine().getOut()
                : new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter outStream = stdout();
        PrintStream err = System.err;
        List<Target> parsedTargets;
        Traffic traffic;
        AnswerCheck check;
        Plan plan;
        LoadRunner.StepPlan stepPlan = null;
        Duration warm;
        try {
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("give at least one --target HOST:PORT (see --help)");
            }
            parsedTargets = targets.stream().map(Target::parse).toList();
            check = AnswerCheck.parse(expectBlocked);
            Duration runFor = parseDuration(duration, "--duration");
            warm = parseDuration(warmup, "--warmup");
            if (step != null) {
                String[] parts = step.split(":");
                if (parts.length != 3) {
                    throw new IllegalArgumentException("--step: expected START:INCREMENT:MAX, got '" + step + "'");
                }
                stepPlan = new LoadRunner.StepPlan(
                        Long.parseLong(parts[0]),
                        Long.parseLong(parts[1]),
                        Long.parseLong(parts[2]),
                        maxLoss,
                        parseDuration(maxP99, "--max-p99").toNanos() / 1e6);
            }
            long openRate = stepPlan != null ? stepPlan.startRate() : rate != null ? rate : 0;
            if (rate != null && rate <= 0) {
                throw new IllegalArgumentException("--rate must be positive, got " + rate);
            }
            plan = new Plan(
                    tcp ? Protocol.TCP : Protocol.UDP,
                    sockets,
                    openRate,
                    outstanding,
                    runFor,
                    queries != null ? queries : Long.MAX_VALUE,
                    parseDuration(timeout, "--timeout"),
                    0);
            traffic = traffic();
        } catch (IllegalArgumentException e) {
            err.println("safenet bench: " + e.getMessage());
            return 1;
        }

        Transports transports = Transports.best();
        // Always warm the generator's JIT first: a cold first second would be charged to the first target.
        Double ceiling = calibrate(transports, traffic, plan, err, !noCalibrate);
        LoadRunner runner = new LoadRunner(
                transports, parsedTargets, traffic, check, plan, warm, rounds, stepPlan, progressSink(err));
        BenchReport report;
        try {
            report = runner.run("safenet bench " + String.join(" ", originalArgs()), ceiling);
        } catch (IOException e) {
            err.println("safenet bench: " + e.getMessage());
            return 1;
        }

        Path dir = out != null
                ? out
                : Path.of("bench-results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        json.writeValue(dir.resolve("result.json").toFile(), report);
        Files.writeString(dir.resolve("report.html"), HtmlReport.render(report), StandardCharsets.UTF_8);
        String markdown = MarkdownTable.render(report);
        Files.writeString(dir.resolve("summary.md"), markdown, StandardCharsets.UTF_8);
        outStream.print(markdown);
        outStream.println("\nwrote " + dir.resolve("result.json") + ", " + dir.resolve("report.html") + ", "
                + dir.resolve("summary.md"));
        outStream.flush();

        int status = 0;
        for (TargetSummary s : report.targets()) {
            if (s.answered() == 0) {
                err.println("safenet bench: " + s.target() + " (" + s.address() + ") never answered: is it running,"
                        + " listening on that address, and allowing this client?");
                status = Math.max(status, EXIT_NEVER_ANSWERED);
            } else if (s.wrongPercent() > maxWrong) {
                err.println(String.format(
                        Locale.ROOT,
                        "safenet bench: %s answered %.2f%% wrong (limit %.2f%%), e.g. %s",
                        s.target(),
                        s.wrongPercent(),
                        maxWrong,
                        s.wrongExamples().isEmpty() ? "-" : s.wrongExamples().getFirst()));
                status = Math.max(status, EXIT_WRONG_ANSWERS);
            }
        }
        return status;
    }

    /** A duration option (500ms, 30s, 5m ...), its error naming the option. */
    static Duration parseDuration(String text, String option) {
        try {
            return DurationText.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }

    private List<String> originalArgs() {
        return spec != null ? spec.commandLine().getParseResult().originalArgs() : List.of();
    }

    private Traffic traffic() throws IOException {
        boolean edns = !noEdns;
        if (queryFile != null) {
            return Traffic.fromQueryFile(queryFile, edns);
        }
        Path popularFile = popular != null ? popular : SharedData.find("derived/top-domains-not-blocked.txt");
        Path blockedFile = blocked != null ? blocked : SharedData.find("derived/blocked-domains-1m.txt.gz");
        return Traffic.generate(new Traffic.MixSpec(
                popularFile,
                popularLimit,
                zipf,
                blockedFile,
                blockedLimit,
                blockedPercent,
                blockedSubdomainPercent,
                uniquePercent,
                uniqueZone,
                Traffic.parseTypeWeights(types),
                seed,
                mixLength,
                edns));
    }

    /** Closed loop against an in-process trivial responder: what this generator can do at most here. */
    static @Nullable Double calibrate(
            Transports transports, Traffic traffic, Plan plan, PrintStream err, boolean measure)
            throws IOException, InterruptedException {
        try (Responder responder = Responder.start(
                transports,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                (Inet4Address) InetAddress.getByName("192.0.2.1"),
                Duration.ZERO)) {
            Plan calibration = new Plan(
                    plan.protocol() == Protocol.TCP ? Protocol.UDP : plan.protocol(),
                    plan.sockets(),
                    0,
                    200,
                    Duration.ofSeconds(3),
                    Long.MAX_VALUE,
                    Duration.ofSeconds(1),
                    7);
            var group = transports.newGroup(1);
            try {
                // The first seconds of a JVM run interpreted code: warm up, then measure.
                LoadEngine.run(
                        group,
                        transports,
                        responder.address(),
                        traffic,
                        AnswerCheck.none(),
                        calibration.withDuration(Duration.ofSeconds(2)),
                        LoadEngine.Progress.NONE);
                if (!measure) {
                    return null;
                }
                LoadEngine.Measured m = LoadEngine.run(
                        group,
                        transports,
                        responder.address(),
                        traffic,
                        AnswerCheck.none(),
                        calibration.withSalt(11),
                        LoadEngine.Progress.NONE);
                // Per generator CPU-second: what one core running only the generator could send and
                // match, whatever else shares the core (here the responder, when pinned together).
                double ceiling = m.answered() / Math.max(1e-9, m.generatorCpuSeconds());
                err.println(String.format(
                        Locale.ROOT,
                        "safenet bench: generator ceiling: %,.0f answers per generator CPU-second (%,.0f q/s"
                                + " against a trivial responder in this process, sharing its cores)",
                        ceiling,
                        m.answered() / m.sendSeconds()));
                return ceiling;
            } finally {
                group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
                        .awaitUninterruptibly();
            }
        }
    }

    private LoadRunner.ProgressSink progressSink(PrintStream err) {
        Console console = System.console();
        boolean terminal = !quiet && console != null && console.isTerminal();
        return new LoadRunner.ProgressSink() {
            @Override
            public void show(String target, LoadEngine.IntervalStats s, long inFlight) {
                if (terminal) {
                    long done = s.answered() + s.lost();
                    err.printf(
                            Locale.ROOT,
                            "\r%-12s %4ds  %,9d answers/s  p99 %8.3f ms  loss %6.2f%%  in flight %,7d ",
                            target,
                            s.second(),
                            s.answered(),
                            s.p99Ms(),
                            done > 0 ? 100.0 * s.lost() / done : 0.0,
                            inFlight);
                }
            }

            @Override
            public void done() {
                if (terminal) {
                    err.println();
                }
            }
        };
    }

    @Command(
            name = "responder",
            mixinStandardHelpOptions = true,
            description = "A trivial UDP DNS responder (A -> one address, else NODATA) for calibrating the generator.")
    static final class ResponderCommand implements Callable<Integer> {
        @Option(
                names = "--listen",
                defaultValue = "127.0.0.1:5399",
                description = "Address (default ${DEFAULT-VALUE}).")
        String listen;

        @Option(names = "--answer", defaultValue = "192.0.2.1", description = "The A record's address.")
        String answer;

        @Option(
                names = "--service-time",
                defaultValue = "0s",
                description = "Answer one query at a time, each taking this long.")
        String serviceTime;

        @Override
        public Integer call() throws Exception {
            InetAddress a = InetAddress.getByName(answer);
            if (!(a instanceof Inet4Address v4)) {
                System.err.println("safenet bench responder: --answer must be an IPv4 address");
                return 1;
            }
            InetSocketAddress at =
                    org.safenet.dns.resolver.HostPort.parse(listen, 53).toSocketAddress();
            try (Responder r =
                    Responder.start(Transports.best(), at, v4, parseDuration(serviceTime, "--service-time"))) {
                System.out.println("responder listening on " + r.address());
                Thread.currentThread().join();
            }
            return 0;
        }
    }
}
