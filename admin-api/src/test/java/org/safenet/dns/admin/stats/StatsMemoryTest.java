package org.safenet.dns.admin.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.stats.LoopCounters;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * The statistics stay within fixed memory however many distinct names and clients go by: a
 * generated stream of 3 million queries from 2 million distinct clients, blocking 1 million
 * distinct names, with one heavy hitter among them. The heap the sketches hold and the stored
 * bucket's size are measured; the distinct counts are within the sketch's error.
 */
class StatsMemoryTest {
    @TempDir
    Path dir;

    @Test
    void millionsOfDistinctNamesAndClientsFitInFixedMemory() throws Exception {
        PolicyCategories.register(Categories.KNOWN);
        ResolverMetrics metrics = new ResolverMetrics(new SimpleMeterRegistry());
        try (BlocklistStore store = BlocklistStore.open(dir.resolve("store"))) {
            StatsRecorder recorder = new StatsRecorder(
                    metrics, store.statsRecords(), StatsRecorder.Settings.defaults(), System::currentTimeMillis);
            LoopCounters counters = metrics.counters();
            Verdict scam = new Verdict(PolicyAction.SINKHOLE, "scam", "test", Verdict.EDE_BLOCKED, null);
            long heapBefore = usedHeapAfterGc();
            SplittableRandom random = new SplittableRandom(42);
            int clients = 2_000_000;
            int names = 1_000_000;
            byte[] heavy = DnsNames.toWire("heavy.scam.example");
            for (int i = 0; i < 3_000_000; i++) {
                int client = i < clients ? i : random.nextInt(clients);
                InetAddress address = InetAddress.getByAddress(
                        new byte[] {10, (byte) (client >>> 16), (byte) (client >>> 8), (byte) client});
                counters.query();
                counters.client(address);
                if (i < names) {
                    counters.policyHit(scam, ParsedQuery.forName(DnsNames.toWire("n" + i + ".scam.example")), address);
                } else if (i < names + 100_000) {
                    counters.policyHit(scam, ParsedQuery.forName(heavy), address);
                }
            }
            long heapWithWindow = usedHeapAfterGc();
            recorder.flush();
            StatsBucket stored = recorder.total(StatsRecorder.Resolution.MINUTE, 0, Long.MAX_VALUE);
            byte[] encoded = stored.encode();
            System.out.printf(
                    "stats memory: heap held by one window after 3M queries %d KiB; stored minute bucket %d KiB%n",
                    (heapWithWindow - heapBefore) >> 10, encoded.length >> 10);

            assertThat(heapWithWindow - heapBefore).isLessThan(16L << 20);
            assertThat(encoded.length).isLessThan(64 << 10);
            assertThat((double) stored.distinctClients()).isCloseTo(clients, within(clients * 0.04));
            // clients 0..1.1M hit a block (the first million names, then the heavy hitter)
            assertThat((double) stored.protectedClients()).isCloseTo(1_100_000, within(1_100_000 * 0.04));
            assertThat((double) stored.distinctBlockedNames()).isCloseTo(names + 1, within(names * 0.04));
            assertThat(stored.queries()).isEqualTo(3_000_000);
            assertThat(stored.blocked()).isEqualTo(1_100_000);

            var top = stored.topBlockedNames()
                    .getFrequentItems(org.apache.datasketches.frequencies.ErrorType.NO_FALSE_NEGATIVES);
            assertThat(stored.nameOf(top[0].getItem())).isEqualTo("heavy.scam.example.");
            // Counted in the loop's top counter (never over, under by at most a third of its bucket's
            // other arrivals), then in the stored sketch (within its bounds).
            assertThat(top[0].getLowerBound()).isLessThanOrEqualTo(100_000);
            assertThat(top[0].getUpperBound()).isGreaterThanOrEqualTo(99_000);
            recorder.close();
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
