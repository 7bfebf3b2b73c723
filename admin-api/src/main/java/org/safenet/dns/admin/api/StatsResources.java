package org.safenet.dns.admin.api;

import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.FrequentLongsSketch;
import org.safenet.dns.admin.stats.FleetStats;
import org.safenet.dns.admin.stats.StatsBucket;
import org.safenet.dns.admin.stats.StatsRecorder;
import org.safenet.dns.admin.stats.StatsRecorder.Resolution;
import org.safenet.dns.resolver.stats.ClientKeys;
import org.safenet.dns.resolver.stats.CounterTotals;

/**
 * Statistics: totals for a period (the figures a monthly report quotes, in one call), time
 * series, top blocked names and top clients. Reads flush what the resolver counted first (at
 * most once a second), so an answer includes the last queries.
 */
final class StatsResources {
    /** UltraLogLog at precision 11: relative standard error of the distinct counts. */
    static final double DISTINCT_RELATIVE_ERROR = FleetStats.RELATIVE_ERROR;

    private static final StatsBucket EMPTY = new StatsBucket();

    private final AdminContext context;

    StatsResources(AdminContext context) {
        this.context = context;
    }

    void register(Routes routes) {
        routes.add("GET", "/api/v1/stats", Role.VIEWER, this::totals);
        routes.add("GET", "/api/v1/stats/series", Role.VIEWER, this::series);
        routes.add("GET", "/api/v1/stats/top", Role.VIEWER, this::top);
        routes.add("GET", "/api/v1/stats/export", Role.VIEWER, this::export);
        routes.add("POST", "/api/v1/stats/merge", Role.VIEWER, this::merge);
    }

    /** This node's totals for a period with the sketches behind them, for a fleet-wide merge. */
    private Object export(ApiRequest r) throws Exception {
        StatsRecorder stats = context.stats();
        stats.flushIfStale();
        Range range = range(r, stats.earliest(context.clock().getAsLong()));
        StatsBucket b = stats.total(range.resolution(), range.from(), range.to());
        return FleetStats.export(
                b,
                nodeName(),
                Instant.ofEpochMilli(range.from()).toString(),
                Instant.ofEpochMilli(range.to()).toString(),
                range.resolution().name().toLowerCase(Locale.ROOT));
    }

    /** The body of a merge: the nodes' exports. */
    record MergeRequest(List<FleetStats.Export> exports) {}

    /** Several nodes' exports as one report: counters summed, distinct clients counted once. */
    private Object merge(ApiRequest r) {
        MergeRequest body = r.body(MergeRequest.class);
        if (body.exports() == null || body.exports().isEmpty()) {
            throw ApiException.badRequest(
                    "invalid_field", "exports: give one export per node (GET /api/v1/stats/export)");
        }
        StatsBucket merged;
        try {
            merged = FleetStats.merge(body.exports());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_export", e.getMessage());
        }
        return FleetStats.report(merged, body.exports(), DISTINCT_RELATIVE_ERROR);
    }

    private static String nodeName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "safenet-dns";
        }
    }

    /** A time parameter: an ISO instant (2026-11-01T00:00:00Z), a date (2026-11-01, midnight local), or epoch ms. */
    private long time(ApiRequest r, String name, long otherwise) {
        String v = r.param(name);
        if (v == null || v.isEmpty()) {
            return otherwise;
        }
        try {
            if (v.chars().allMatch(Character::isDigit)) {
                return Long.parseLong(v);
            }
            if (v.length() == 10) {
                return LocalDate.parse(v)
                        .atStartOfDay(context.stats().settings().zone())
                        .toInstant()
                        .toEpochMilli();
            }
            return Instant.parse(v).toEpochMilli();
        } catch (DateTimeParseException | NumberFormatException e) {
            throw ApiException.badRequest(
                    "invalid_time",
                    name
                            + " must be a date (2026-11-01), an ISO-8601 time (2026-11-01T00:00:00Z) or epoch milliseconds, not '"
                            + v + "'");
        }
    }

    private record Range(long from, long to, Resolution resolution) {}

    private Range range(ApiRequest r, long defaultFrom) {
        long now = context.clock().getAsLong();
        long from = time(r, "from", defaultFrom);
        long to = time(r, "to", now + 1);
        if (to <= from) {
            throw ApiException.badRequest("invalid_time", "to must be after from");
        }
        StatsRecorder stats = context.stats();
        Resolution res =
                r.param("resolution") == null ? stats.resolutionFor(from, to) : resolution(r.param("resolution"));
        // Whole buckets: from rounds down, to rounds up, to the resolution.
        long start = stats.startOf(res, from);
        long end = stats.startOf(res, to - 1);
        end = stats.next(res, end);
        return new Range(start, end, res);
    }

    private static Resolution resolution(String text) {
        try {
            return Resolution.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_parameter", e.getMessage());
        }
    }

    private Object totals(ApiRequest r) throws Exception {
        StatsRecorder stats = context.stats();
        stats.flushIfStale();
        Range range = range(r, stats.earliest(context.clock().getAsLong())); // default: all kept history
        StatsBucket b = stats.total(range.resolution(), range.from(), range.to());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("from", Instant.ofEpochMilli(range.from()).toString());
        out.put("to", Instant.ofEpochMilli(range.to()).toString());
        out.put("resolution", range.resolution().name().toLowerCase(Locale.ROOT));
        out.putAll(b.counts());
        out.put("answers", b.answers());
        out.put("actions", b.actions());
        out.put("blockedByCategory", b.blockedByCategory());
        out.put("blockedByProfile", b.blockedByProfile());
        Map<String, Long> byCategory = new LinkedHashMap<>();
        b.blockedClientsByCategory().forEach((k, v) -> byCategory.put(k, Math.round(v.getDistinctCountEstimate())));
        out.put("protectedClientsByCategory", byCategory);
        out.put("distinctCountRelativeError", DISTINCT_RELATIVE_ERROR);
        out.put("clientKeys", b.clientKeyMode());
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("version", context.live().store().listVersion());
        Map<String, Long> bySource = new LinkedHashMap<>();
        long entries = 0;
        for (String source : context.live().store().sourcesWithEntries()) {
            long n = context.live().store().sourceSize(source);
            bySource.put(source, n);
            entries += n;
        }
        list.put("entries", entries); // block and allow entries, per source (a name two sources list counts twice)
        list.put("entriesBySource", bySource);
        out.put("list", list);
        CounterTotals live = context.metrics().totals();
        Map<String, Object> sinceStart = new LinkedHashMap<>();
        sinceStart.put("since", Instant.ofEpochMilli(stats.startedMillis()).toString());
        sinceStart.put("queries", live.queries());
        sinceStart.put("blocked", live.blocked());
        sinceStart.put("cacheHits", live.cacheHits());
        out.put("sinceStart", sinceStart);
        return out;
    }

    private Object series(ApiRequest r) throws Exception {
        StatsRecorder stats = context.stats();
        stats.flushIfStale();
        long now = context.clock().getAsLong();
        Range range = range(r, now - 3_600_000);
        long points = (range.to() - range.from())
                / switch (range.resolution()) {
                    case MINUTE -> 60_000L;
                    case HOUR -> 3_600_000L;
                    case DAY -> 86_400_000L;
                };
        if (points > 5000) {
            throw ApiException.badRequest(
                    "range_too_large",
                    "that is " + points + " " + range.resolution().name().toLowerCase(Locale.ROOT)
                            + "s; ask for at most 5000 points (a coarser resolution or a shorter range)");
        }
        // Every bucket of the range, empty ones as zeros, so a chart's time axis has no holes.
        Map<Long, StatsBucket> stored = new java.util.HashMap<>();
        for (StatsRecorder.Stored s : stats.buckets(range.resolution(), range.from(), range.to())) {
            stored.put(s.start(), s.bucket());
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (long t = range.from(); t < range.to(); t = stats.next(range.resolution(), t)) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("start", Instant.ofEpochMilli(t).toString());
            p.putAll(stored.getOrDefault(t, EMPTY).counts());
            out.add(p);
        }
        return Map.of(
                "from", Instant.ofEpochMilli(range.from()).toString(),
                "to", Instant.ofEpochMilli(range.to()).toString(),
                "resolution", range.resolution().name().toLowerCase(Locale.ROOT),
                "points", out);
    }

    private Object top(ApiRequest r) throws Exception {
        StatsRecorder stats = context.stats();
        stats.flushIfStale();
        String kind = r.param("kind") == null ? "blocked" : r.param("kind");
        if (!kind.equals("blocked") && !kind.equals("clients") && !kind.equals("limited")) {
            throw ApiException.badRequest(
                    "invalid_parameter",
                    "kind must be blocked (names), clients or limited (clients over a rate limit), not '" + kind + "'");
        }
        int limit = r.intParam("limit", 10, 1, 100);
        long now = context.clock().getAsLong();
        Range range = range(r, now - 86_400_000);
        StatsBucket b = stats.total(range.resolution(), range.from(), range.to());
        FrequentLongsSketch sketch = switch (kind) {
            case "blocked" -> b.topBlockedNames();
            case "limited" -> b.topLimited();
            default -> b.topClients();
        };
        ClientKeys.Mode mode = ClientKeys.Mode.parse(b.clientKeyMode());
        List<Map<String, Object>> items = new ArrayList<>();
        for (FrequentLongsSketch.Row row : sketch.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES)) {
            if (items.size() == limit) {
                break;
            }
            Map<String, Object> item = new LinkedHashMap<>();
            if (kind.equals("blocked")) {
                String name = b.nameOf(row.getItem());
                item.put(
                        "name",
                        name == null
                                ? "(name not kept)"
                                : name.endsWith(".") ? name.substring(0, name.length() - 1) : name);
            } else {
                item.put("client", ClientKeys.describe(row.getItem(), mode));
            }
            item.put("count", row.getEstimate());
            item.put("lowerBound", row.getLowerBound());
            item.put("upperBound", row.getUpperBound());
            items.add(item);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", kind);
        out.put("from", Instant.ofEpochMilli(range.from()).toString());
        out.put("to", Instant.ofEpochMilli(range.to()).toString());
        out.put("items", items);
        out.put("maxError", sketch.getMaximumError());
        out.put("clientKeys", kind.equals("blocked") ? null : b.clientKeyMode());
        return out;
    }
}
