package org.safenet.dns.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.bench.load.PreparedQuery.Kind;
import org.safenet.dns.testkit.SharedData;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

class TrafficTest {
    @TempDir
    Path dir;

    private Traffic.MixSpec spec(long seed) {
        return new Traffic.MixSpec(
                SharedData.path("derived/top-domains-not-blocked.txt"),
                10_000,
                1.0,
                SharedData.path("derived/blocked-domains-vn-scam.txt"),
                5_000,
                10,
                30,
                5,
                "nx.example.test",
                Traffic.parseTypeWeights("A:70,AAAA:25,HTTPS:5"),
                seed,
                20_000,
                true);
    }

    @Test
    void theMixHasTheAskedSharesAndIsTheSameForTheSameSeed() throws Exception {
        Traffic a = Traffic.generate(spec(7));
        Traffic b = Traffic.generate(spec(7));
        Traffic c = Traffic.generate(spec(8));
        assertThat(a.queries()).hasSize(20_000);
        assertThat(a.queries().stream().map(PreparedQuery::name).toList())
                .isEqualTo(b.queries().stream().map(PreparedQuery::name).toList())
                .isNotEqualTo(c.queries().stream().map(PreparedQuery::name).toList());

        Map<Kind, Long> kinds =
                a.queries().stream().collect(Collectors.groupingBy(PreparedQuery::kind, Collectors.counting()));
        assertThat(kinds.get(Kind.BLOCKED)).isBetween(1700L, 2300L); // 10% of 20,000
        assertThat(kinds.get(Kind.UNIQUE)).isBetween(800L, 1200L); // 5%
        Map<Integer, Long> types =
                a.queries().stream().collect(Collectors.groupingBy(PreparedQuery::type, Collectors.counting()));
        assertThat(types.get(Type.A)).isBetween(13_400L, 14_600L); // 70%
        assertThat(types.get(Type.HTTPS)).isBetween(800L, 1200L); // 5%

        // Zipf s=1: the top-ranked name is asked far more often than one ranked 1,000th.
        List<String> popularNames = a.queries().stream()
                .filter(q -> q.kind() == Kind.POPULAR)
                .map(PreparedQuery::name)
                .toList();
        assertThat(popularNames.stream().filter("google.com."::equals).count()).isGreaterThan(1000);
    }

    @Test
    void everyPreparedQueryIsAWellFormedDnsQuery() throws Exception {
        for (PreparedQuery q : Traffic.generate(spec(3)).queries().subList(0, 500)) {
            Message m = new Message(q.wire());
            assertThat(m.getQuestion().getType()).isEqualTo(q.type());
            assertThat(m.getHeader().getFlag(org.xbill.DNS.Flags.RD)).isTrue();
            assertThat(m.getOPT()).isNotNull();
            assertThat(m.getQuestion().getName().toString()).isEqualTo(q.name());
        }
    }

    @Test
    void uniqueLabelsAreWrittenPerSend() {
        PreparedQuery q = PreparedQuery.unique("nx.example.test", Type.A, false);
        assertThat(q.name()).isEqualTo("u000000000000.nx.example.test.");
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int j = 0; j < PreparedQuery.UNIQUE_DIGITS; j++) {
            a.append((char) LoadEngine.uniqueDigit(35, j));
            b.append((char) LoadEngine.uniqueDigit(36, j));
        }
        assertThat(a).hasToString("00000000000z");
        assertThat(b).hasToString("000000000010");
    }

    @Test
    void aQueryFileReadsDnsperfLinesAndNamesTheBadLine() throws Exception {
        Path good = dir.resolve("q.txt");
        Files.writeString(good, "# comment\n\nexample.com A\nexample.org aaaa\nexample.net\n");
        Traffic t = Traffic.fromQueryFile(good, false);
        assertThat(t.queries()).extracting(PreparedQuery::type).containsExactly(Type.A, Type.AAAA, Type.A);

        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "example.com A\nexample.org NOSUCHTYPE\n");
        assertThatThrownBy(() -> Traffic.fromQueryFile(bad, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad.txt:2")
                .hasMessageContaining("NOSUCHTYPE");
        assertThatThrownBy(() -> Traffic.fromQueryFile(dir.resolve("missing.txt"), false))
                .hasMessageContaining("no such file");
    }

    @Test
    void targetsAndChecksParseOrSayWhatIsExpected() {
        Target t = Target.parse("unbound=127.0.0.1:5354,pid=42");
        assertThat(t.label()).isEqualTo("unbound");
        assertThat(t.address().getPort()).isEqualTo(5354);
        assertThat(t.pid()).isEqualTo(42);
        assertThat(Target.parse("[::1]:53").label()).isEqualTo("[::1]:53");
        assertThatThrownBy(() -> Target.parse("x=127.0.0.1:53,cpu=1")).hasMessageContaining("pid=PID");
        assertThatThrownBy(() -> AnswerCheck.parse("sinkhole")).hasMessageContaining("nxdomain or any");
        assertThatThrownBy(() -> AnswerCheck.parse("sinkhole:::1")).hasMessageContaining("IPv4");
        assertThat(AnswerCheck.parse("sinkhole:10.0.0.1,::1").describe()).contains("10.0.0.1 / 0:0:0:0:0:0:0:1");
    }
}
