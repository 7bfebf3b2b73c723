package org.safenet.dns.resolver.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopCounterTest {
    private static Map<Long, Long> counted(TopCounter c) {
        Map<Long, Long> out = new HashMap<>();
        c.forEach((k, n, t) -> out.merge(k, n, Long::sum));
        return out;
    }

    @Test
    void fewKeysAreCountedExactly() {
        TopCounter c = new TopCounter(2048, false);
        for (long k = 1; k <= 50; k++) {
            for (int i = 0; i < k; i++) {
                c.add(k * 7919);
            }
        }
        Map<Long, Long> counts = counted(c);
        assertThat(counts).hasSize(50);
        for (long k = 1; k <= 50; k++) {
            assertThat(counts.get(k * 7919)).isEqualTo(k);
        }
    }

    @Test
    void aHeavyHitterSurvivesAFloodOfOneOffKeysAndIsNeverOvercounted() {
        TopCounter c = new TopCounter(64, false); // small, so the flood collides everywhere
        SplittableRandom random = new SplittableRandom(7);
        long heavy = 42;
        Map<Long, Long> truth = new HashMap<>();
        for (int i = 0; i < 1_000_000; i++) {
            long key = i % 10 == 0 ? heavy : random.nextLong();
            truth.merge(key, 1L, Long::sum);
            c.add(key);
        }
        Map<Long, Long> counts = counted(c);
        counts.forEach((k, n) -> assertThat(n).isLessThanOrEqualTo(truth.get(k)));
        // Under by at most a third of its bucket's other arrivals (here about 900,000 / 64).
        assertThat(counts.get(heavy)).isGreaterThan(100_000 - 900_000 / 64 / 3 - 1);
    }

    @Test
    void textsAreKeptOnlyForKeysSeenTwice() {
        TopCounter c = new TopCounter(16, true);
        int once = c.add(1);
        assertThat(c.needsText(once)).isFalse();
        int twice = c.add(1);
        assertThat(twice).isEqualTo(once);
        assertThat(c.needsText(twice)).isTrue();
        c.text(twice, "one.example.");
        assertThat(c.needsText(c.add(1))).isFalse();
        String[] seen = new String[1];
        c.forEach((k, n, t) -> seen[0] = t);
        assertThat(seen[0]).isEqualTo("one.example.");
    }
}
