package org.safenet.dns.bench.load;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.bench.load.LoadEngine.IntervalStats;

/** Everything one {@code safenet bench} invocation measured: the JSON result, and the source of the HTML report. */
public record BenchReport(
        String startedAt,
        Machine machine,
        String command,
        String mode,
        String protocol,
        String order,
        String traffic,
        String check,
        @Nullable Double generatorCeilingPerCpuSecond,
        List<TargetSummary> targets,
        List<RunResult> runs) {

    public record Machine(int cpus, String kernel, String java, String transport) {}

    /** Latencies in milliseconds. */
    public record Latency(double p50, double p90, double p99, double p999, double max, double mean) {}

    /** One run of one target (one round, or one step of a step run). */
    public record RunResult(
            String target,
            String address,
            int round,
            double offeredRate,
            int outstanding,
            double seconds,
            long sent,
            long answered,
            long lost,
            long notSent,
            long good,
            long wrong,
            long unmatched,
            long truncated,
            double qps,
            double lossPercent,
            Map<String, Long> rcodes,
            Latency latencyMs,
            List<double[]> percentileCurve,
            List<IntervalStats> intervals,
            @Nullable Double serverCpuSeconds,
            @Nullable Double answersPerCpuSecond,
            @Nullable Double goodAnswersPerCpuSecond,
            @Nullable Double serverRssMiB,
            @Nullable Double stealPercent,
            double maxSendLagMs,
            double generatorCpuSeconds,
            double generatorBusyPercent,
            List<String> wrongExamples) {}

    /** A target over all its runs; latency from the merged histogram. */
    public record TargetSummary(
            String target,
            String address,
            int runs,
            long sent,
            long answered,
            long lost,
            long good,
            long wrong,
            double qps,
            double lossPercent,
            double wrongPercent,
            Latency latencyMs,
            @Nullable Double answersPerCpuSecond,
            @Nullable Double serverRssMiB,
            @Nullable Double stealPercent,
            @Nullable Long kneeRate,
            double generatorBusyPercent,
            List<String> wrongExamples) {}
}
