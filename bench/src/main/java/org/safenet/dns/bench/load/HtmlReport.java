package org.safenet.dns.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.bench.load.BenchReport.RunResult;
import org.safenet.dns.bench.load.BenchReport.TargetSummary;
import org.safenet.dns.bench.load.LoadEngine.IntervalStats;

/**
 * The HTML report: one self-contained file (styles inline, charts as inline SVG drawn here, no
 * script), so it opens offline in any browser and can be attached to a ticket. Well-formed XML,
 * which is also how the tests read it back.
 */
public final class HtmlReport {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"
    };
    private static final int W = 720;
    private static final int H = 300;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 20;
    private static final int BOTTOM = 45;

    private HtmlReport() {}

    record Series(String name, String color, boolean dashed, List<double[]> points) {}

    public static String render(BenchReport report) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n")
                .append("<meta charset=\"utf-8\"/>\n<title>SafeNet DNS bench report ")
                .append(esc(report.startedAt()))
                .append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}")
                .append(
                        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                .append("th{background:#f3f3f3}td.l,th.l{text-align:left}.bad{color:#b00;font-weight:bold}")
                .append(
                        "svg{background:#fff;border:1px solid #ddd;margin:0.5em 0}dt{font-weight:bold}code{background:#f6f6f6}")
                .append("\n</style>\n</head>\n<body>\n");
        h.append("<h1>SafeNet DNS load test</h1>\n<dl>\n");
        dl(h, "Started", report.startedAt());
        dl(h, "Command", report.command());
        dl(h, "Mode", report.mode() + ", " + report.protocol());
        dl(h, "Order", report.order());
        dl(h, "Traffic", report.traffic());
        dl(h, "Answer check", report.check());
        dl(
                h,
                "Machine",
                report.machine().cpus() + " CPUs, " + report.machine().kernel() + ", Java "
                        + report.machine().java() + ", " + report.machine().transport());
        dl(
                h,
                "Generator ceiling",
                report.generatorCeilingPerCpuSecond() == null
                        ? "not measured (--no-calibrate)"
                        : fmt0(report.generatorCeilingPerCpuSecond())
                                + " answers per generator CPU-second against a trivial responder: rates near it"
                                + " measure the generator, not the target (see 'generator busy' per run)");
        h.append("</dl>\n");

        h.append("<h2>Summary</h2>\n<table>\n<tr><th class=\"l\">target</th><th>runs</th><th>answers/s</th>")
                .append(
                        "<th>answers per server CPU-s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th>")
                .append("<th>max ms</th><th>sent</th><th>lost</th><th>loss %</th><th>wrong %</th><th>RSS MiB</th>")
                .append("<th>steal %</th><th>knee q/s</th></tr>\n");
        for (TargetSummary s : report.targets()) {
            h.append("<tr><td class=\"l\">")
                    .append(esc(s.target()))
                    .append(" <small>")
                    .append(esc(s.address()))
                    .append("</small></td>");
            td(h, Integer.toString(s.runs()));
            td(h, fmt0(s.qps()));
            td(h, s.answersPerCpuSecond() == null ? "-" : fmt0(s.answersPerCpuSecond()));
            td(h, fmt3(s.latencyMs().p50()));
            td(h, fmt3(s.latencyMs().p90()));
            td(h, fmt3(s.latencyMs().p99()));
            td(h, fmt3(s.latencyMs().p999()));
            td(h, fmt3(s.latencyMs().max()));
            td(h, Long.toString(s.sent()));
            td(h, Long.toString(s.lost()));
            td(h, String.format(Locale.ROOT, "%.3f", s.lossPercent()));
            h.append(s.wrong() > 0 ? "<td class=\"bad\">" : "<td>")
                    .append(String.format(Locale.ROOT, "%.3f", s.wrongPercent()))
                    .append("</td>");
            td(h, s.serverRssMiB() == null ? "-" : fmt0(s.serverRssMiB()));
            td(h, s.stealPercent() == null ? "-" : String.format(Locale.ROOT, "%.1f", s.stealPercent()));
            td(h, s.kneeRate() == null ? "-" : Long.toString(s.kneeRate()));
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        for (TargetSummary s : report.targets()) {
            if (!s.wrongExamples().isEmpty()) {
                h.append("<p class=\"bad\">Wrong answers from ")
                        .append(esc(s.target()))
                        .append(":</p>\n<ul>\n");
                for (String e : s.wrongExamples()) {
                    h.append("<li><code>").append(esc(e)).append("</code></li>\n");
                }
                h.append("</ul>\n");
            }
        }

        h.append("<h2>Answers per second over time</h2>\n");
        h.append(chart("time (s)", "answers/s", overTime(report, s -> s.answered()), false, 0));
        h.append("<h2>Latency over time (p99 solid, p50 dashed)</h2>\n");
        List<Series> latency = new ArrayList<>(overTime(report, IntervalStats::p99Ms));
        for (Series s : overTime(report, IntervalStats::p50Ms)) {
            latency.add(new Series(s.name() + " p50", s.color(), true, s.points()));
        }
        h.append(chart("time (s)", "latency (ms)", latency, false, 0));
        h.append("<h2>Latency distribution</h2>\n");
        h.append(chart("percentile", "latency (ms)", distribution(report), true, 0));
        if (report.mode().startsWith("step")) {
            h.append("<h2>Step run: answered vs offered rate</h2>\n");
            h.append(chart("offered q/s", "answers/s", stepSeries(report, RunResult::qps), false, 0));
            h.append("<h2>Step run: p99 vs offered rate</h2>\n");
            h.append(chart(
                    "offered q/s",
                    "p99 (ms)",
                    stepSeries(report, r -> r.latencyMs().p99()),
                    false,
                    0));
        }

        h.append("<h2>Runs</h2>\n<table>\n<tr><th class=\"l\">target</th><th>round/step</th><th>offered q/s</th>")
                .append("<th>seconds</th><th>sent</th><th>answered</th><th>lost</th><th>not sent</th><th>wrong</th>")
                .append("<th>answers/s</th><th>server CPU s</th><th>answers/CPU-s</th><th>p50</th><th>p99</th>")
                .append("<th>max send lag ms</th><th>generator busy %</th><th class=\"l\">rcodes</th></tr>\n");
        for (RunResult r : report.runs()) {
            h.append("<tr><td class=\"l\">").append(esc(r.target())).append("</td>");
            td(h, Integer.toString(r.round()));
            td(h, r.offeredRate() > 0 ? fmt0(r.offeredRate()) : "closed " + r.outstanding());
            td(h, String.format(Locale.ROOT, "%.1f", r.seconds()));
            td(h, Long.toString(r.sent()));
            td(h, Long.toString(r.answered()));
            td(h, Long.toString(r.lost()));
            td(h, Long.toString(r.notSent()));
            td(h, Long.toString(r.wrong()));
            td(h, fmt0(r.qps()));
            td(h, r.serverCpuSeconds() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.serverCpuSeconds()));
            td(h, r.answersPerCpuSecond() == null ? "-" : fmt0(r.answersPerCpuSecond()));
            td(h, fmt3(r.latencyMs().p50()));
            td(h, fmt3(r.latencyMs().p99()));
            td(h, fmt3(r.maxSendLagMs()));
            h.append(r.generatorBusyPercent() > 90 ? "<td class=\"bad\">" : "<td>")
                    .append(String.format(Locale.ROOT, "%.0f", r.generatorBusyPercent()))
                    .append("</td>");
            h.append("<td class=\"l\">").append(esc(r.rcodes().toString())).append("</td></tr>\n");
        }
        h.append("</table>\n<p><small>Latency is measured from the scheduled send time in open loop (so queueing")
                .append(" delay counts), from the send in closed loop. A query unanswered within the timeout is lost.")
                .append(" Answers per server CPU-second: answers divided by the target process tree's user+system")
                .append(" CPU time over the run (from /proc), the figure that still separates servers when the")
                .append(" generator's core saturates first. Generator busy: the generator thread's CPU time over the")
                .append(
                        " run; above 90% the generator, not the target, limits answers/s.</small></p>\n</body>\n</html>\n");
        return h.toString();
    }

    private static List<Series> overTime(BenchReport report, ToDoubleFunction<IntervalStats> value) {
        List<Series> out = new ArrayList<>();
        List<String> labels =
                report.targets().stream().map(TargetSummary::target).toList();
        for (RunResult r : report.runs()) {
            List<double[]> pts = new ArrayList<>();
            for (IntervalStats s : r.intervals()) {
                pts.add(new double[] {s.second(), value.applyAsDouble(s)});
            }
            int idx = labels.indexOf(r.target());
            out.add(new Series(r.target() + " #" + r.round(), COLORS[Math.max(0, idx) % COLORS.length], false, pts));
        }
        return out;
    }

    /** Percentile p drawn at x = log10(100 / (100 - p)): 90 at 1, 99 at 2, 99.9 at 3. */
    private static List<Series> distribution(BenchReport report) {
        List<Series> out = new ArrayList<>();
        List<String> labels =
                report.targets().stream().map(TargetSummary::target).toList();
        for (RunResult r : report.runs()) {
            List<double[]> pts = new ArrayList<>();
            for (double[] pv : r.percentileCurve()) {
                double x = pv[0] >= 100 ? 5 : Math.min(5, Math.log10(100 / (100 - pv[0])));
                pts.add(new double[] {x, pv[1]});
            }
            int idx = labels.indexOf(r.target());
            out.add(new Series(r.target() + " #" + r.round(), COLORS[Math.max(0, idx) % COLORS.length], false, pts));
        }
        return out;
    }

    private static List<Series> stepSeries(BenchReport report, ToDoubleFunction<RunResult> value) {
        List<Series> out = new ArrayList<>();
        int i = 0;
        for (TargetSummary t : report.targets()) {
            List<double[]> pts = new ArrayList<>();
            for (RunResult r : report.runs()) {
                if (r.target().equals(t.target())) {
                    pts.add(new double[] {r.offeredRate(), value.applyAsDouble(r)});
                }
            }
            out.add(new Series(t.target(), COLORS[i++ % COLORS.length], false, pts));
        }
        return out;
    }

    /** A line chart as inline SVG, axes from 0 (or the data's minimum x) to a rounded maximum. */
    static String chart(String xLabel, String yLabel, List<Series> series, boolean percentileAxis, double minX) {
        double maxX = minX + 1e-9;
        double maxY = 1e-9;
        for (Series s : series) {
            for (double[] p : s.points()) {
                maxX = Math.max(maxX, p[0]);
                maxY = Math.max(maxY, p[1]);
            }
        }
        maxY = niceCeiling(maxY);
        maxX = percentileAxis ? 5 : niceCeiling(maxX);
        int legendRows = (series.size() + 2) / 3;
        int height = H + legendRows * 16;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(W)
                .append("\" height=\"")
                .append(height)
                .append("\" viewBox=\"0 0 ")
                .append(W)
                .append(' ')
                .append(height)
                .append("\" font-size=\"11\" font-family=\"sans-serif\">\n");
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        for (int i = 0; i <= 5; i++) {
            double v = maxY * i / 5;
            double y = TOP + plotH - plotH * i / 5.0;
            s.append(line(LEFT, y, LEFT + plotW, y, "#eee")).append(text(LEFT - 6, y + 4, "end", tick(v)));
        }
        if (percentileAxis) {
            String[] ticks = {"0", "90", "99", "99.9", "99.99", "99.999"};
            for (int i = 0; i < ticks.length; i++) {
                double x = LEFT + plotW * (i - minX) / (maxX - minX);
                s.append(line(x, TOP, x, TOP + plotH, "#eee")).append(text(x, TOP + plotH + 14, "middle", ticks[i]));
            }
        } else {
            for (int i = 0; i <= 5; i++) {
                double v = minX + (maxX - minX) * i / 5;
                double x = LEFT + plotW * i / 5.0;
                s.append(line(x, TOP, x, TOP + plotH, "#eee")).append(text(x, TOP + plotH + 14, "middle", tick(v)));
            }
        }
        s.append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#444"))
                .append(line(LEFT, TOP, LEFT, TOP + plotH, "#444"))
                .append(text(LEFT + plotW / 2.0, TOP + plotH + 32, "middle", xLabel))
                .append("<text x=\"14\" y=\"")
                .append(TOP + plotH / 2)
                .append("\" text-anchor=\"middle\" transform=\"rotate(-90 14 ")
                .append(TOP + plotH / 2)
                .append(")\">")
                .append(esc(yLabel))
                .append("</text>\n");
        for (Series ser : series) {
            if (ser.points().isEmpty()) {
                continue;
            }
            StringBuilder pts = new StringBuilder();
            for (double[] p : ser.points()) {
                double x = LEFT + plotW * (p[0] - minX) / (maxX - minX);
                double y = TOP + plotH - plotH * Math.min(p[1], maxY) / maxY;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            s.append("<polyline fill=\"none\" stroke=\"")
                    .append(ser.color())
                    .append("\" stroke-width=\"1.5\"")
                    .append(ser.dashed() ? " stroke-dasharray=\"4 3\"" : "")
                    .append(" points=\"")
                    .append(pts.toString().strip())
                    .append("\"><title>")
                    .append(esc(ser.name()))
                    .append("</title></polyline>\n");
        }
        for (int i = 0; i < series.size(); i++) {
            Series ser = series.get(i);
            double x = LEFT + (i % 3) * 220;
            double y = H + (i / 3) * 16 - 4;
            s.append(line(x, y - 4, x + 18, y - 4, ser.color())).append(text(x + 22, y, "start", ser.name()));
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double niceCeiling(double v) {
        double mag = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * mag >= v) {
                return m * mag;
            }
        }
        return 10 * mag;
    }

    private static String tick(double v) {
        if (v >= 10_000) {
            return String.format(Locale.ROOT, "%.0fk", v / 1000);
        }
        if (v >= 10 || v == 0) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.2g", v);
    }

    private static String line(double x1, double y1, double x2, double y2, String color) {
        return String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                x1,
                y1,
                x2,
                y2,
                color);
    }

    private static String text(double x, double y, String anchor, String t) {
        return String.format(
                Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n", x, y, anchor, esc(t));
    }

    private static void dl(StringBuilder h, String term, String value) {
        h.append("<dt>")
                .append(esc(term))
                .append("</dt><dd>")
                .append(esc(value))
                .append("</dd>\n");
    }

    private static void td(StringBuilder h, String v) {
        h.append("<td>").append(esc(v)).append("</td>");
    }

    static String fmt0(@Nullable Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String fmt3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
            }
        }
        return out.toString();
    }
}
