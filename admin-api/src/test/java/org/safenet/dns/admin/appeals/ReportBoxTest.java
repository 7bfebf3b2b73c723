package org.safenet.dns.admin.appeals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.store.BlocklistStore;

/** The report box on a real store: bounds, merging, pruning, decisions and the monthly counts. */
class ReportBoxTest {
    @TempDir
    Path dir;

    private BlocklistStore store;
    /** 2026-11-30 17:30 UTC: already December in Hanoi. */
    private final AtomicLong clock = new AtomicLong(1_796_059_800_000L);

    @BeforeEach
    void open() throws Exception {
        store = BlocklistStore.open(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static InetAddress client(int i) throws Exception {
        return InetAddress.getByName("192.0.2." + i);
    }

    @Test
    void aFullBoxPrunesTheOldestClosedReports_andRefusesWhenAllAreOpen() throws Exception {
        ReportBox box = new ReportBox(store, clock::get, ZoneId.of("UTC"), 3, 100);
        String first = box.file("a.example", "scam", "", "", client(1)).id();
        box.file("b.example", "scam", "", "", client(1));
        box.file("c.example", "scam", "", "", client(1));
        assertThat(box.file("d.example", "scam", "", "", client(1)).outcome()).isEqualTo(ReportBox.Outcome.FULL);

        box.decide(first, false, new ReportBox.Decision(null, "not a scam", "op", "t"));
        assertThat(box.file("d.example", "scam", "", "", client(1)).outcome()).isEqualTo(ReportBox.Outcome.FILED);
        assertThat(box.get(first)).as("the closed report made room").isNull();
        assertThat(box.list("all", 10, null).items())
                .extracting(ReportBox.Report::domain)
                .containsExactly("b.example", "c.example", "d.example");
    }

    @Test
    void aDecidedDomainCanBeReportedAnew_andADecisionIsFinal() throws Exception {
        ReportBox box = new ReportBox(store, clock::get, ZoneId.of("UTC"));
        String id = box.file("a.example", "scam", "one", "", client(1)).id();
        assertThat(box.file("a.example", "scam", "two", "", client(2)))
                .isEqualTo(new ReportBox.Filing(ReportBox.Outcome.MERGED, id, "a.example"));
        ReportBox.Report accepted = box.decide(id, true, new ReportBox.Decision("scam", "", "op", "t"));
        assertThat(accepted.status()).isEqualTo("accepted");
        assertThat(accepted.count()).isEqualTo(2);
        assertThatThrownBy(() -> box.decide(id, false, new ReportBox.Decision(null, "", "op", "t")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("accepted");
        assertThat(box.file("a.example", "scam", "", "", client(3)).outcome()).isEqualTo(ReportBox.Outcome.FILED);
        assertThat(box.list("open", 10, null).items()).hasSize(1);
    }

    @Test
    void monthsAreCountedInTheConfiguredZone_andSurviveARestart() throws Exception {
        ReportBox box = new ReportBox(store, clock::get, ZoneId.of("Asia/Ho_Chi_Minh"));
        String id = box.file("a.example", "scam", "", "", client(1)).id();
        box.file("a.example", "scam", "", "", client(2));
        box.file("b.example", "other", "", "", client(2));
        box.decide(id, true, new ReportBox.Decision("scam", "", "op", "t"));
        ReportBox again = new ReportBox(store, clock::get, ZoneId.of("Asia/Ho_Chi_Minh"));
        assertThat(again.months(YearMonth.of(2026, 11), YearMonth.of(2026, 12)))
                .containsExactly(java.util.Map.entry("2026-12", new ReportBox.Month(3, 1, 0)));
        assertThat(again.list("open", 10, null).items())
                .extracting(ReportBox.Report::domain)
                .containsExactly("b.example");
    }

    @Test
    void domainsAreTakenFromWhatPeopleType() throws Exception {
        assertThat(ReportBox.domainOf(" HTTPS://Shop.Example.vn/a?b#c ")).isEqualTo("shop.example.vn");
        assertThat(ReportBox.domainOf("user:pw@evil.example:8080")).isEqualTo("evil.example");
        assertThat(ReportBox.domainOf("*.wild.example.")).isEqualTo("wild.example");
        assertThat(ReportBox.domainOf("ngân-hàng.vn")).isEqualTo("xn--ngn-hng-dwao.vn");
        for (String bad : new String[] {
            "",
            "   ",
            "localhost",
            "10.0.0.1",
            "a b.example",
            "bad!.example",
            "a..b.example",
            "x".repeat(64) + ".example"
        }) {
            assertThatThrownBy(() -> ReportBox.domainOf(bad)).as(bad).isInstanceOf(ReportBox.Invalid.class);
        }
    }

    @Test
    void pagesFollowTheCursor() throws Exception {
        ReportBox box = new ReportBox(store, clock::get, ZoneId.of("UTC"), 100, 100);
        for (int i = 0; i < 5; i++) {
            clock.addAndGet(1000);
            box.file("p" + i + ".example", "scam", "", "", client(1));
        }
        ReportBox.Page one = box.list("all", 2, null);
        ReportBox.Page two = box.list("all", 2, one.nextCursor());
        ReportBox.Page three = box.list("all", 2, two.nextCursor());
        assertThat(one.items()).extracting(ReportBox.Report::domain).containsExactly("p0.example", "p1.example");
        assertThat(two.items()).extracting(ReportBox.Report::domain).containsExactly("p2.example", "p3.example");
        assertThat(three.items()).extracting(ReportBox.Report::domain).containsExactly("p4.example");
        assertThat(three.nextCursor()).isNull();
    }
}
