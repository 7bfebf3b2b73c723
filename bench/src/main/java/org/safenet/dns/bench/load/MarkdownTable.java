package org.safenet.dns.bench.load;

import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.bench.load.BenchReport.TargetSummary;

/** The summary as a Markdown table, the form {@code docs/benchmarks.md} keeps. */
public final class MarkdownTable {
    private MarkdownTable() {}

    public static String render(BenchReport r) {
        StringBuilder m = new StringBuilder();
        m.append(
                "| target | answers/s | answers per server CPU-s | p50 ms | p99 ms | p99.9 ms | loss % | wrong % | RSS MiB | steal % |");
        boolean step = r.mode().startsWith("step");
        m.append(step ? " knee q/s |\n" : "\n");
        m.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|").append(step ? "---:|\n" : "\n");
        for (TargetSummary s : r.targets()) {
            m.append("| ")
                    .append(s.target())
                    .append(" | ")
                    .append(num(s.qps()))
                    .append(" | ")
                    .append(num(s.answersPerCpuSecond()))
                    .append(" | ")
                    .append(String.format(
                            Locale.ROOT,
                            "%.2f | %.2f | %.2f | %.3f | %.3f",
                            s.latencyMs().p50(),
                            s.latencyMs().p99(),
                            s.latencyMs().p999(),
                            s.lossPercent(),
                            s.wrongPercent()))
                    .append(" | ")
                    .append(num(s.serverRssMiB()))
                    .append(" | ")
                    .append(s.stealPercent() == null ? "-" : String.format(Locale.ROOT, "%.1f", s.stealPercent()))
                    .append(" |");
            if (step) {
                m.append(' ')
                        .append(s.kneeRate() == null ? "-" : s.kneeRate().toString())
                        .append(" |");
            }
            m.append('\n');
        }
        m.append("\n")
                .append(r.mode())
                .append(", ")
                .append(r.protocol())
                .append("; ")
                .append(r.order())
                .append(".\nTraffic: ")
                .append(r.traffic())
                .append(".\nCheck: ")
                .append(r.check())
                .append(".\n");
        for (TargetSummary s : r.targets()) {
            if (s.generatorBusyPercent() > 90) {
                m.append(String.format(
                        Locale.ROOT,
                        "The generator's thread was %.0f%% busy during %s's runs: answers/s there is the generator's"
                                + " limit; compare answers per server CPU-second.\n",
                        s.generatorBusyPercent(),
                        s.target()));
            }
        }
        if (r.generatorCeilingPerCpuSecond() != null) {
            m.append("Load generator ceiling: ")
                    .append(num(r.generatorCeilingPerCpuSecond()))
                    .append(" answers per generator CPU-second (against a trivial responder).\n");
        }
        return m.toString();
    }

    private static String num(@Nullable Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%,.0f", v);
    }
}
