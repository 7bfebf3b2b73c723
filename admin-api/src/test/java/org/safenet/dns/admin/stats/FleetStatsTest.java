package org.safenet.dns.admin.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.dynatrace.hash4j.distinctcount.UltraLogLog;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.stats.ClientKeys;
import org.safenet.dns.resolver.stats.StatsWindow;

/** Three nodes with overlapping clients: the merge counts each client once. */
class FleetStatsTest {
    /** A node that saw {@code clients} (10.0.x.y addresses from {@code first}), each blocked once for scam. */
    private static StatsBucket node(int first, int clients) throws Exception {
        StatsBucket b = new StatsBucket();
        b.queries = clients * 3L;
        b.blocked = clients;
        b.blockedByCategory.put("scam", (long) clients);
        UltraLogLog scam = UltraLogLog.create(StatsWindow.DISTINCT_PRECISION);
        for (int i = first; i < first + clients; i++) {
            long h = ClientKeys.hashOf(
                    InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}));
            b.clients.add(h);
            b.blockedClients.add(h);
            scam.add(h);
        }
        b.blockedClientsByCategory.put("scam", scam);
        return b;
    }

    @Test
    void overlappingNodes_countEachClientOnce_withinTheSketchError() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<FleetStats.Export> exports = List.of(
                FleetStats.export(node(0, 20_000), "a", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", "hour"),
                FleetStats.export(node(10_000, 20_000), "b", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", "hour"),
                FleetStats.export(node(25_000, 10_000), "c", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", "hour"));
        // Through JSON, as the API and the command line carry them.
        List<FleetStats.Export> carried =
                List.of(json.readValue(json.writeValueAsString(exports), FleetStats.Export[].class));
        StatsBucket merged = FleetStats.merge(carried);
        assertThat(merged.queries()).isEqualTo(3 * 50_000L);
        assertThat(merged.blockedByCategory()).containsEntry("scam", 50_000L);
        // The truth: clients 0..34,999, i.e. 35,000; summing the nodes would say 50,000.
        double bound = 35_000 * 4 * FleetStats.RELATIVE_ERROR; // four standard errors
        assertThat((double) merged.distinctClients()).isCloseTo(35_000, within(bound));
        assertThat((double) merged.protectedClients()).isCloseTo(35_000, within(bound));
        assertThat(FleetStats.report(merged, carried, FleetStats.RELATIVE_ERROR))
                .containsKey("protectedClientsByCategory")
                .extractingByKey("nodes")
                .asList()
                .hasSize(3);
    }

    @Test
    void badExports_areRefusedByPositionAndNode() throws Exception {
        FleetStats.Export good = FleetStats.export(node(0, 10), "a", "x", "y", "hour");
        assertThatThrownBy(() -> FleetStats.merge(
                        List.of(good, new FleetStats.Export("safenet-stats", 2, "b", "x", "y", "hour", good.bucket()))))
                .hasMessageContaining("exports[1] (b): version 2 is not known");
        assertThatThrownBy(() -> FleetStats.merge(
                        List.of(new FleetStats.Export("something-else", 1, "c", "x", "y", "hour", good.bucket()))))
                .hasMessageContaining("exports[0] (c): format must be safenet-stats");
        assertThatThrownBy(() -> FleetStats.merge(
                        List.of(new FleetStats.Export("safenet-stats", 1, "d", "x", "y", "hour", "bm90IGEgYnVja2V0"))))
                .hasMessageContaining("exports[0] (d): bucket is not a statistics bucket");
        assertThatThrownBy(() -> FleetStats.merge(
                        List.of(new FleetStats.Export("safenet-stats", 1, "e", "x", "y", "hour", "%%%"))))
                .hasMessageContaining("exports[0] (e): bucket is not a statistics bucket");
    }
}
