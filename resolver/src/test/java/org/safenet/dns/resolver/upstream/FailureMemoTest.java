package org.safenet.dns.resolver.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailureMemoTest {
    @Test
    void aFailedQuestionIsNotAskedAgainUntilItsTimeIsUp() {
        FailureMemo memo = new FailureMemo(10);
        memo.remember("a/1", 1_000, 5_000);
        assertThat(memo.failedRecently("a/1", 1_000)).isTrue();
        assertThat(memo.failedRecently("a/1", 5_999)).isTrue();
        assertThat(memo.failedRecently("b/1", 1_000)).isFalse();
        assertThat(memo.failedRecently("a/1", 6_000)).isFalse();
        assertThat(memo.size()).as("forgotten once it may be asked again").isZero();
    }

    @Test
    void aFloodOfDistinctFailuresKeepsTheNewestWithinTheBound() {
        FailureMemo memo = new FailureMemo(1_000);
        for (int i = 0; i < 50_000; i++) {
            memo.remember("n" + i + "/1", 1_000 + i / 100, 5_000);
        }
        assertThat(memo.size()).isEqualTo(1_000);
        assertThat(memo.failedRecently("n49999/1", 1_500)).as("the newest").isTrue();
        assertThat(memo.failedRecently("n0/1", 1_500))
                .as("the oldest, forgotten")
                .isFalse();
    }

    @Test
    void expiredEntriesMakeRoomBeforeUnexpiredOnesAreForgotten() {
        FailureMemo memo = new FailureMemo(3);
        memo.remember("old/1", 0, 100);
        memo.remember("x/1", 50, 1_000);
        memo.remember("y/1", 60, 1_000);
        memo.remember("z/1", 200, 1_000); // old/1 expired at 100: it goes, x and y stay
        assertThat(memo.size()).isEqualTo(3);
        assertThat(memo.failedRecently("x/1", 200)).isTrue();
        assertThat(memo.failedRecently("y/1", 200)).isTrue();
        assertThat(memo.failedRecently("z/1", 200)).isTrue();
    }

    @Test
    void aRepeatedFailureTakesItsNewTime() {
        FailureMemo memo = new FailureMemo(2);
        memo.remember("a/1", 0, 100);
        memo.remember("b/1", 10, 1_000);
        memo.remember("a/1", 90, 1_000); // a again: now the newest, until 1,090
        memo.remember("c/1", 95, 1_000); // full: the oldest (b) goes
        assertThat(memo.failedRecently("a/1", 500)).isTrue();
        assertThat(memo.failedRecently("b/1", 500)).isFalse();
        assertThat(memo.failedRecently("c/1", 500)).isTrue();
    }
}
