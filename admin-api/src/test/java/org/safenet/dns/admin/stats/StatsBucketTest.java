package org.safenet.dns.admin.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.apache.datasketches.frequencies.ErrorType;
import org.junit.jupiter.api.Test;

class StatsBucketTest {
    @Test
    void limitedCountsAndTopLimitedClientsSurviveEncodingAndMerging() throws Exception {
        StatsBucket b = new StatsBucket();
        b.queries = 100;
        b.limited = 40;
        b.topLimited.update(7L, 30);
        b.topLimited.update(9L, 10);

        StatsBucket read = StatsBucket.decode(b.encode());
        assertThat(read.limited()).isEqualTo(40);
        assertThat(read.topLimited().getEstimate(7L)).isEqualTo(30);

        read.merge(b);
        assertThat(read.limited()).isEqualTo(80);
        assertThat(read.topLimited()
                        .getFrequentItems(ErrorType.NO_FALSE_NEGATIVES)[0]
                        .getItem())
                .isEqualTo(7L);
        assertThat(read.topLimited().getEstimate(7L)).isEqualTo(60);
    }

    @Test
    void aBucketWrittenBeforeTheLimitsStatisticsStillReads() throws Exception {
        StatsBucket b = new StatsBucket();
        b.queries = 12;
        b.blocked = 3;
        StatsBucket.add(b.blockedByProfile, "school", 3);
        byte[] now = b.encode();
        // The earlier layout ended after the profiles' counts: drop the appended long and sketch.
        int appended = Long.BYTES + Integer.BYTES + b.topLimited.toByteArray().length;
        StatsBucket old = StatsBucket.decode(Arrays.copyOf(now, now.length - appended));
        assertThat(old.queries()).isEqualTo(12);
        assertThat(old.blockedByProfile()).containsEntry("school", 3L);
        assertThat(old.limited()).isZero();
        assertThat(old.topLimited().isEmpty()).isTrue();
    }
}
