package org.safenet.dns.admin.stats;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Statistics that several nodes add up: one node's totals for a period as a versioned export
 * (the counters and the sketches behind its distinct counts and top lists), and the merge of any
 * number of exports. Counters add; distinct clients (UltraLogLog) and top lists (frequent items)
 * merge as sketches, so a client seen by three nodes is counted once, within the sketch's error.
 * Every node hashes client addresses the same way ({@code ClientKeys.hashOf}, unkeyed), which is
 * what makes their sketches mergeable.
 */
public final class FleetStats {
    /** The export's {@code format}. */
    public static final String FORMAT = "safenet-stats";
    /** The export's {@code version}; a merge refuses others. */
    public static final int VERSION = 1;
    /** UltraLogLog at precision 11 (StatsWindow.DISTINCT_PRECISION): relative standard error of a distinct count. */
    public static final double RELATIVE_ERROR = 0.0128;

    private FleetStats() {}

    /**
     * One node's export of a period, as the API serves it (see docs/admin-api.md).
     *
     * @param format {@link #FORMAT}
     * @param version {@link #VERSION}
     * @param node the node's name (its host name), for the report
     * @param from the period's start, ISO-8601
     * @param to its end (exclusive)
     * @param resolution the buckets it was added from
     * @param bucket the merged bucket in the store's own encoding, base64
     */
    public record Export(
            String format, int version, String node, String from, String to, String resolution, String bucket) {}

    /** The export of {@code total}. */
    public static Export export(StatsBucket total, String node, String from, String to, String resolution) {
        return new Export(
                FORMAT, VERSION, node, from, to, resolution, Base64.getEncoder().encodeToString(total.encode()));
    }

    /**
     * The merge of {@code exports}: one bucket as if one appliance had seen all their traffic.
     *
     * @throws IllegalArgumentException naming the export (by position and node) that is not one
     */
    public static StatsBucket merge(List<Export> exports) {
        StatsBucket merged = new StatsBucket();
        for (int i = 0; i < exports.size(); i++) {
            Export e = exports.get(i);
            String which = "exports[" + i + "]" + (e.node() == null ? "" : " (" + e.node() + ")");
            if (!FORMAT.equals(e.format())) {
                throw new IllegalArgumentException(which + ": format must be " + FORMAT + ", not " + e.format());
            }
            if (e.version() != VERSION) {
                throw new IllegalArgumentException(
                        which + ": version " + e.version() + " is not known to this version (" + VERSION + ")");
            }
            try {
                merged.merge(StatsBucket.decode(Base64.getDecoder().decode(e.bucket())));
            } catch (IllegalArgumentException | NullPointerException | IOException bad) {
                throw new IllegalArgumentException(
                        which + ": bucket is not a statistics bucket: " + bad.getMessage(), bad);
            }
        }
        return merged;
    }

    /**
     * The merged report (what {@code POST /api/v1/stats/merge} answers and {@code safenet stats
     * --node ...} prints): the nodes, the summed counters and the fleet's distinct counts.
     */
    public static Map<String, Object> report(StatsBucket merged, List<Export> exports, double relativeError) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (Export e : exports) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("node", e.node());
            n.put("from", e.from());
            n.put("to", e.to());
            nodes.add(n);
        }
        out.put("nodes", nodes);
        out.putAll(merged.counts());
        out.put("answers", merged.answers());
        out.put("actions", merged.actions());
        out.put("blockedByCategory", merged.blockedByCategory());
        Map<String, Long> byCategory = new LinkedHashMap<>();
        merged.blockedClientsByCategory()
                .forEach((k, v) -> byCategory.put(k, Math.round(v.getDistinctCountEstimate())));
        out.put("protectedClientsByCategory", byCategory);
        out.put("distinctCountRelativeError", relativeError);
        return out;
    }
}
