package org.safenet.dns.blocklist.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.safenet.dns.blocklist.format.ListEntry;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.format.ListParser;
import org.safenet.dns.blocklist.format.ParseReport;
import org.safenet.dns.testkit.FuzzSeeds;

/**
 * Coverage-guided fuzzing (Jazzer) of every list syntax the importer reads from outside. The
 * parser never throws for content: every line is an entry, ignored, or a rejected line in the
 * report; an entry has a name of at most 255 bytes or an IP trigger. Seeds: small files of our own
 * in {@code src/test/resources/.../ListFuzzTestInputs/<format>/}; in CI the {@code fuzz} profile
 * adds the heads of the real lists in {@code ../shared/data} to the working corpus.
 */
class ListFuzzTest {
    @BeforeAll
    static void seedFromRealLists() {
        // The head of one real list per syntax, when fuzzing (their Unicode names, URLs and odd
        // lines are what the parser meets).
        FuzzSeeds.head(ListFuzzTest.class, "domains", "vn/hostsvn-threat.domains.txt", 60);
        FuzzSeeds.head(ListFuzzTest.class, "domains", "vn/chongluadao-urls.txt", 60);
        FuzzSeeds.head(ListFuzzTest.class, "hosts", "vn/hostsvn-threat-VN.hosts", 60);
        FuzzSeeds.head(ListFuzzTest.class, "adblock", "vn/chongluadao-vn-badsite-filter-agh.txt", 60);
        FuzzSeeds.head(ListFuzzTest.class, "adblock", "aggregate/hagezi-pro.adblock.txt.gz", 60);
        FuzzSeeds.head(ListFuzzTest.class, "rpz", "vn/chongluadao-vn-badsite-filter-rpz.conf", 60);
        FuzzSeeds.head(ListFuzzTest.class, "rpz", "aggregate/hagezi-fake.rpz", 60);
    }

    private static void parse(ListFormat format, byte[] bytes) throws IOException {
        BufferedReader in =
                new BufferedReader(new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8));
        int[] entries = {0};
        ParseReport report = ListParser.parse(format, in, "fuzz", (ListEntry e) -> {
            entries[0]++;
            assertThat(e.name() != null || e.ipTrigger() != null)
                    .as("a name or an IP trigger")
                    .isTrue();
            if (e.name() != null) {
                assertThat(e.name().length).isBetween(1, 255);
            }
            assertThat(e.match()).isNotNull();
            assertThat(e.action()).isNotNull();
        });
        assertThat(report).isNotNull();
        assertThat(entries[0]).isGreaterThanOrEqualTo(0);
    }

    @FuzzTest(maxDuration = "30s")
    void domains(byte[] bytes) throws IOException {
        parse(ListFormat.DOMAINS, bytes);
    }

    @FuzzTest(maxDuration = "30s")
    void hosts(byte[] bytes) throws IOException {
        parse(ListFormat.HOSTS, bytes);
    }

    @FuzzTest(maxDuration = "30s")
    void adblock(byte[] bytes) throws IOException {
        parse(ListFormat.ADBLOCK, bytes);
    }

    @FuzzTest(maxDuration = "30s")
    void rpz(byte[] bytes) throws IOException {
        parse(ListFormat.RPZ, bytes);
    }
}
