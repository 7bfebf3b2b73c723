package org.safenet.dns.admin.appeals;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.admin.appeals.AppealBox.Outcome;
import org.safenet.dns.blocklist.store.BlocklistStore;

/** The appeal box over a real store: only listed names, merged per host, bounded per client and in total, paged. */
class AppealBoxTest {
    private static final long HOUR = 3_600_000;

    @TempDir
    Path dir;

    private BlocklistStore store;
    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);

    @BeforeEach
    void open() throws Exception {
        store = BlocklistStore.open(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** A box in which every name under {@code .bad.example} is blocked. */
    private AppealBox box(int max, int perClient) {
        return new AppealBox(store, h -> h.endsWith(".bad.example"), now::get, max, perClient);
    }

    private static InetAddress ip(String text) throws Exception {
        return InetAddress.getByName(text);
    }

    @Test
    void onlyNamesTheListBlocksAreTaken() throws Exception {
        AppealBox box = box(100, 10);
        assertThat(box.file("shop.example", "mine", ip("192.0.2.1")).outcome()).isEqualTo(Outcome.NOT_BLOCKED);
        assertThat(box.file("shop.bad.example", "mine", ip("192.0.2.1")).outcome())
                .isEqualTo(Outcome.FILED);
        assertThat(store.appeals())
                .singleElement()
                .satisfies(a -> assertThat(a.host()).isEqualTo("shop.bad.example"));
    }

    @Test
    void filingsForAPendingHostAreMergedWithTheirDistinctReasons() throws Exception {
        AppealBox box = box(100, 100);
        String id = box.file("shop.bad.example", "my shop", ip("192.0.2.1")).id();
        for (int i = 0; i < 20; i++) {
            now.addAndGet(1_000);
            AppealBox.Filing f =
                    box.file("shop.bad.example", i % 2 == 0 ? "my shop" : "reason " + i, ip("192.0.2." + (i + 2)));
            assertThat(f.outcome()).isEqualTo(Outcome.MERGED);
            assertThat(f.id()).isEqualTo(id);
        }
        assertThat(store.appeals()).hasSize(1);
        BlocklistStore.Appeal a = store.appeals().getFirst();
        assertThat(a.count()).isEqualTo(21);
        assertThat(a.lastMillis()).isEqualTo(now.get());
        assertThat(a.clientAddress()).isEqualTo("192.0.2.1");
        assertThat(a.reasons()).hasSize(AppealBox.MAX_REASONS).startsWith("my shop", "reason 1", "reason 3");
    }

    @Test
    void aClientHasItsShareAnHourAndIPv6CountsPerSlash64() throws Exception {
        AppealBox box = box(100, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(box.file("h" + i + ".bad.example", "r", ip("2001:db8:1:2::" + (i + 1)))
                            .outcome())
                    .isEqualTo(Outcome.FILED);
        }
        assertThat(box.file("h9.bad.example", "r", ip("2001:db8:1:2:ffff::1")).outcome())
                .as("the same /64")
                .isEqualTo(Outcome.RATE_LIMITED);
        assertThat(box.file("h9.bad.example", "r", ip("2001:db8:1:3::1")).outcome())
                .as("another /64")
                .isEqualTo(Outcome.FILED);
        now.addAndGet(HOUR);
        assertThat(box.file("h10.bad.example", "r", ip("2001:db8:1:2::1")).outcome())
                .as("an hour later")
                .isEqualTo(Outcome.FILED);
        assertThat(store.appeals()).hasSize(5);
    }

    @Test
    void aFullBoxPrunesTheOldestReviewedAndRefusesWhenAllArePending() throws Exception {
        AppealBox box = box(20, 1);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            now.addAndGet(1);
            ids.add(box.file("h" + i + ".bad.example", "r", ip("192.0.2." + (i + 1)))
                    .id());
        }
        assertThat(box.file("late.bad.example", "r", ip("198.51.100.1")).outcome())
                .isEqualTo(Outcome.FULL);
        assertThat(box.file("h3.bad.example", "again", ip("198.51.100.2")).outcome())
                .as("a pending host still merges when full")
                .isEqualTo(Outcome.MERGED);
        box.review(ids.get(5), new AppealBox.Review("rejected", "", "op", "t"));
        box.review(ids.get(2), new AppealBox.Review("accepted", "", "op", "t"));
        assertThat(box.file("late.bad.example", "r", ip("198.51.100.3")).outcome())
                .isEqualTo(Outcome.FILED);
        assertThat(store.appealCount()).isEqualTo(19);
        assertThat(box.get(ids.get(2))).as("pruned").isNull();
        assertThat(box.get(ids.get(5))).as("pruned").isNull();
        assertThat(box.get(ids.get(0))).as("pending ones stay").isNotNull();
    }

    @Test
    void aReviewedHostIsAppealedAnewAndDeletingRemovesAppealAndReview() throws Exception {
        AppealBox box = box(100, 100);
        String first = box.file("shop.bad.example", "r", ip("192.0.2.1")).id();
        box.review(first, new AppealBox.Review("rejected", "on the national list", "op", "t"));
        AppealBox.Filing again = box.file("shop.bad.example", "really", ip("192.0.2.1"));
        assertThat(again.outcome()).isEqualTo(Outcome.FILED);
        assertThat(again.id()).isNotEqualTo(first);
        assertThat(box.get(first).status()).isEqualTo("rejected");
        assertThat(box.delete(first)).isTrue();
        assertThat(box.get(first)).isNull();
        assertThat(box.delete(first)).isFalse();
        assertThat(box.delete("not-an-id")).isFalse();
        assertThat(box.file("shop.bad.example", "once more", ip("192.0.2.9")).outcome())
                .as("the newer appeal is still pending: merged")
                .isEqualTo(Outcome.MERGED);
    }

    @Test
    void listingsArePagedWithACursorAndFilteredByStatus() throws Exception {
        AppealBox box = box(100, 100);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            now.addAndGet(1);
            ids.add(box.file("h" + i + ".bad.example", "r", ip("192.0.2.1")).id());
        }
        for (int i = 0; i < 20; i += 4) {
            box.review(ids.get(i), new AppealBox.Review("accepted", "", "op", "t"));
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            AppealBox.Page page = box.list("pending", 7, cursor);
            page.items().forEach(item -> seen.add(item.stored().id()));
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null);
        assertThat(seen).hasSize(15).doesNotHaveDuplicates().isSorted();
        assertThat(pages).isEqualTo(3);
        assertThat(box.list("accepted", 100, null).items()).hasSize(5);
        assertThat(box.list("all", 100, null).items()).hasSize(20);
    }
}
