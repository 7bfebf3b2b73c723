package org.safenet.dns.bench.load;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.bench.load.BenchReport.Latency;
import org.safenet.dns.bench.load.BenchReport.RunResult;
import org.safenet.dns.bench.load.BenchReport.TargetSummary;
import org.safenet.dns.bench.load.LoadEngine.Measured;
import org.safenet.dns.bench.load.LoadEngine.Plan;
import org.safenet.dns.resolver.listen.Transports;

/**
 * Runs a benchmark over one or more targets: optional warm-up, then rounds that alternate between
 * the targets (one target at a time, so they never compete for the machine), or a step run that
 * raises the open-loop rate until loss or p99 crosses a limit. Reads each target's CPU and memory
 * around its runs and builds the {@link BenchReport}.
 */
public final class LoadRunner {
    private static final String[] RCODE_NAMES = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15"
    };

    /** Step mode: start rate, increment, highest rate, and the limits that define the knee. */
    public record StepPlan(long startRate, long increment, long maxRate, double maxLossPercent, double maxP99Ms) {
        public StepPlan {
            if (startRate <= 0 || increment <= 0 || maxRate < startRate) {
                throw new IllegalArgumentException("step: need 0 < start <= max and a positive increment, got "
                        + startRate + ":" + increment + ":" + maxRate);
            }
        }
    }

    /** Prints a line per second (or not); called on the generator's event loop. */
    public interface ProgressSink {
        void show(String target, LoadEngine.IntervalStats s, long outstanding);

        void done();
    }

    private final Transports transports;
    private final List<Target> targets;
    private final Traffic traffic;
    private final AnswerCheck check;
    private final Plan plan;
    private final Duration warmup;
    private final int rounds;
    private final @Nullable StepPlan step;
    private final ProgressSink progress;
    /** Each target's latency histograms, one per run, merged for its summary. */
    private final Map<String, List<Histogram>> histograms = new LinkedHashMap<>();

    public LoadRunner(
            Transports transports,
            List<Target> targets,
            Traffic traffic,
            AnswerCheck check,
            Plan plan,
            Duration warmup,
            int rounds,
            @Nullable StepPlan step,
            ProgressSink progress) {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no target: give at least one --target HOST:PORT");
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1");
        }
        this.transports = transports;
        this.targets = List.copyOf(targets);
        this.traffic = traffic;
        this.check = check;
        this.plan = plan;
        this.warmup = warmup;
        this.rounds = rounds;
        this.step = step;
        this.progress = progress;
    }

    public BenchReport run(String command, @Nullable Double generatorCeilingPerCpuSecond)
            throws IOException, InterruptedException {
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        MultiThreadIoEventLoopGroup group = transports.newGroup(1);
        List<RunResult> runs = new ArrayList<>();
        Map<String, Long> knees = new LinkedHashMap<>();
        long salt = started.getEpochSecond() * 1_000_003L;
        try {
            if (!warmup.isZero()) {
                for (Target t : targets) {
                    Plan warm = plan.withDuration(warmup).withSalt(salt += 1L << 40);
                    LoadEngine.run(group, transports, t.address(), traffic, check, warm, LoadEngine.Progress.NONE);
                }
            }
            if (step == null) {
                for (int round = 1; round <= rounds; round++) {
                    for (Target t : targets) {
                        runs.add(runOnce(group, t, round, plan.withSalt(salt += 1L << 40)));
                    }
                }
            } else {
                for (Target t : targets) {
                    Long knee = null;
                    int index = 1;
                    for (long rate = step.startRate(); rate <= step.maxRate(); rate += step.increment(), index++) {
                        RunResult r =
                                runOnce(group, t, index, plan.withRate(rate).withSalt(salt += 1L << 40));
                        runs.add(r);
                        if (r.lossPercent() > step.maxLossPercent()
                                || r.latencyMs().p99() > step.maxP99Ms()) {
                            break;
                        }
                        knee = rate;
                    }
                    knees.put(t.label(), knee);
                }
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        List<TargetSummary> summaries = new ArrayList<>();
        for (Target t : targets) {
            summaries.add(summarize(t, runs, knees.get(t.label())));
        }
        return new BenchReport(
                started.toString(),
                new BenchReport.Machine(
                        machineCpus(),
                        System.getProperty("os.name") + " " + System.getProperty("os.version"),
                        Runtime.version().toString(),
                        transports.name()),
                command,
                describeMode(),
                plan.protocol().name(),
                targets.size() == 1
                        ? "one target"
                        : "alternating: one target at a time, in the order given, " + rounds + " round(s)",
                traffic.description(),
                check.describe(),
                generatorCeilingPerCpuSecond,
                summaries,
                runs);
    }

    /** CPUs of the machine, not of this process's affinity mask (the generator usually runs pinned to one). */
    private static int machineCpus() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            int n = (int) lines.filter(l -> l.startsWith("processor")).count();
            return n > 0 ? n : Runtime.getRuntime().availableProcessors();
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    private String describeMode() {
        if (step != null) {
            return String.format(
                    java.util.Locale.ROOT,
                    "step: open loop from %d to %d q/s by %d, %s per step; knee = highest rate with loss <= %.2f%% and p99 <= %.1f ms",
                    step.startRate(),
                    step.maxRate(),
                    step.increment(),
                    plan.duration(),
                    step.maxLossPercent(),
                    step.maxP99Ms());
        }
        return plan.openLoop()
                ? "open loop at " + plan.rate() + " q/s for " + plan.duration()
                        + " (latency from the scheduled send time)"
                : "closed loop, " + plan.outstanding() + " outstanding, for " + plan.duration();
    }

    private RunResult runOnce(MultiThreadIoEventLoopGroup group, Target t, int round, Plan p)
            throws IOException, InterruptedException {
        double cpu0 = t.pid() > 0 ? ProcessStats.cpuSeconds(t.pid()) : -1;
        long[] steal0 = ProcessStats.stealAndTotal();
        Measured m = LoadEngine.run(
                group,
                transports,
                t.address(),
                traffic,
                check,
                p,
                (s, outstanding) -> progress.show(t.label(), s, outstanding));
        progress.done();
        histograms.computeIfAbsent(t.label(), k -> new ArrayList<>()).add(m.latencyMicros());
        double cpu1 = t.pid() > 0 ? ProcessStats.cpuSeconds(t.pid()) : -1;
        double rss = t.pid() > 0 ? ProcessStats.residentMiB(t.pid()) : -1;
        double steal = ProcessStats.stealPercent(steal0, ProcessStats.stealAndTotal());
        Double cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : null;
        return new RunResult(
                t.label(),
                t.addressText(),
                round,
                p.rate(),
                p.openLoop() ? 0 : p.outstanding(),
                m.sendSeconds(),
                m.sent(),
                m.answered(),
                m.lost(),
                m.notSent(),
                m.good(),
                m.wrong(),
                m.unmatched(),
                m.truncated(),
                m.sendSeconds() > 0 ? m.answered() / m.sendSeconds() : 0,
                m.sent() > 0 ? 100.0 * m.lost() / m.sent() : 0,
                rcodes(m.rcodes()),
                latency(m.latencyMicros()),
                percentileCurve(m.latencyMicros()),
                m.intervals(),
                cpu,
                cpu != null && cpu > 0 ? m.answered() / cpu : null,
                cpu != null && cpu > 0 ? m.good() / cpu : null,
                rss >= 0 ? rss : null,
                steal >= 0 ? steal : null,
                m.maxSendLagMs(),
                m.generatorCpuSeconds(),
                m.sendSeconds() > 0 ? 100 * m.generatorCpuSeconds() / m.sendSeconds() : 0,
                m.wrongExamples());
    }

    private static Map<String, Long> rcodes(long[] counts) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
                out.put(RCODE_NAMES[i], counts[i]);
            }
        }
        return out;
    }

    static Latency latency(Histogram h) {
        return new Latency(
                LoadEngine.percentileMs(h, 50),
                LoadEngine.percentileMs(h, 90),
                LoadEngine.percentileMs(h, 99),
                LoadEngine.percentileMs(h, 99.9),
                h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0,
                h.getTotalCount() == 0 ? 0 : h.getMean() / 1000.0);
    }

    /** (percentile, latency ms) points for the distribution chart: 0, 50, 75, 87.5 ... up to the max. */
    static List<double[]> percentileCurve(Histogram h) {
        List<double[]> out = new ArrayList<>();
        if (h.getTotalCount() == 0) {
            return out;
        }
        for (double missing = 100; missing >= 0.001; missing /= 2) {
            double p = 100 - missing;
            out.add(new double[] {p, h.getValueAtPercentile(p) / 1000.0});
        }
        out.add(new double[] {100, h.getMaxValue() / 1000.0});
        return out;
    }

    private TargetSummary summarize(Target t, List<RunResult> runs, @Nullable Long knee) {
        List<RunResult> mine =
                runs.stream().filter(r -> r.target().equals(t.label())).toList();
        long sent = 0;
        long answered = 0;
        long lost = 0;
        long good = 0;
        long wrong = 0;
        double seconds = 0;
        double cpu = 0;
        boolean haveCpu = !mine.isEmpty();
        double rss = -1;
        double stealSum = 0;
        int stealRuns = 0;
        double generatorBusy = 0;
        List<String> examples = new ArrayList<>();
        Histogram merged = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        for (RunResult r : mine) {
            sent += r.sent();
            answered += r.answered();
            lost += r.lost();
            good += r.good();
            wrong += r.wrong();
            seconds += r.seconds();
            if (r.serverCpuSeconds() != null) {
                cpu += r.serverCpuSeconds();
            } else {
                haveCpu = false;
            }
            if (r.serverRssMiB() != null) {
                rss = Math.max(rss, r.serverRssMiB());
            }
            generatorBusy = Math.max(generatorBusy, r.generatorBusyPercent());
            if (r.stealPercent() != null) {
                stealSum += r.stealPercent();
                stealRuns++;
            }
            for (String e : r.wrongExamples()) {
                if (examples.size() < 10) {
                    examples.add(e);
                }
            }
        }
        for (Histogram h : histograms.getOrDefault(t.label(), List.of())) {
            merged.add(h);
        }
        return new TargetSummary(
                t.label(),
                t.addressText(),
                mine.size(),
                sent,
                answered,
                lost,
                good,
                wrong,
                seconds > 0 ? answered / seconds : 0,
                sent > 0 ? 100.0 * lost / sent : 0,
                answered > 0 ? 100.0 * wrong / answered : 0,
                latency(merged),
                haveCpu && cpu > 0 ? answered / cpu : null,
                rss >= 0 ? rss : null,
                stealRuns > 0 ? stealSum / stealRuns : null,
                knee,
                generatorBusy,
                examples);
    }
}
