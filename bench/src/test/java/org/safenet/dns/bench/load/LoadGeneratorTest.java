package org.safenet.dns.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.appliance.Appliance;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigLoader;
import org.safenet.dns.bench.load.LoadEngine.Measured;
import org.safenet.dns.bench.load.LoadEngine.Plan;
import org.safenet.dns.bench.load.LoadEngine.Protocol;
import org.safenet.dns.resolver.listen.Transports;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.safenet.dns.testkit.SharedData;
import org.w3c.dom.Document;
import picocli.CommandLine;

/**
 * The load generator against a running appliance (real RocksDB store, real blocklist import,
 * real sockets, a scripted upstream), against the built-in responder as a wrong or slow server,
 * and against a port where nobody answers.
 */
class LoadGeneratorTest {
    private static final String SINKHOLE = "192.0.2.80";
    private static final Transports TRANSPORTS = Transports.best();

    @TempDir
    static Path dir;

    private static ScriptedAuthServer upstream;
    private static Appliance appliance;
    private static InetSocketAddress applianceAddress;
    private static Path blockedNames;
    private static MultiThreadIoEventLoopGroup group;

    @BeforeAll
    static void startAppliance() throws Exception {
        upstream = ScriptedAuthServer.start();
        // 2,000 real Vietnamese scam names: the list the appliance enforces and the traffic draws from.
        blockedNames = dir.resolve("blocked.txt");
        List<String> names = Traffic.readNames(SharedData.path("derived/blocked-domains-vn-scam.txt"), 2000);
        Files.write(blockedNames, names);
        Path dataDir = dir.resolve("data");
        Path config = dir.resolve("safenet.yaml");
        Files.writeString(config, """
                server:
                  listen: ["127.0.0.1:0"]
                  threads: 1
                upstream:
                  servers: ["%s"]
                blocklist:
                  blockPage: ["%s"]
                  blockPageListen: []
                admin:
                  listen: []
                dataDir: "%s"
                """.formatted(upstream.hostPort(), SINKHOLE, dataDir));
        StringWriter importOut = new StringWriter();
        int imported = new CommandLine(new org.safenet.dns.appliance.Main())
                .setOut(new PrintWriter(importOut))
                .setErr(new PrintWriter(importOut))
                .execute(
                        "import",
                        "--format",
                        "domains",
                        "--config",
                        config.toString(),
                        "--category",
                        "scam",
                        "--source",
                        "vn-scam",
                        blockedNames.toString());
        assertThat(imported).as(importOut.toString()).isZero();
        ApplianceConfig loaded = new ConfigLoader().load(config, ConfigLoader.Overrides.none());
        appliance = new Appliance(loaded);
        applianceAddress = appliance.start().getFirst();
        group = TRANSPORTS.newGroup(1);
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        if (appliance != null) {
            appliance.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static Traffic mix(int length) throws IOException {
        return Traffic.generate(new Traffic.MixSpec(
                SharedData.path("derived/top-domains-not-blocked.txt"),
                500,
                1.0,
                blockedNames,
                2000,
                25,
                30,
                10,
                "nx.safenet-bench.test",
                Traffic.parseTypeWeights("A:70,AAAA:25,HTTPS:5"),
                42,
                length,
                true));
    }

    private static Plan closedLoop(int outstanding, long queries) {
        return new Plan(Protocol.UDP, 2, 0, outstanding, Duration.ofMinutes(2), queries, Duration.ofSeconds(3), 1);
    }

    @Test
    void countsAddUpAndEveryAnswerFromTheApplianceIsRight() throws Exception {
        Traffic traffic = mix(3000);
        long blockedQueries = traffic.queries().stream()
                .filter(q -> q.kind() == PreparedQuery.Kind.BLOCKED)
                .count();
        assertThat(blockedQueries).as("the mix holds blocked names").isGreaterThan(500);

        Measured m = LoadEngine.run(
                group,
                TRANSPORTS,
                applianceAddress,
                traffic,
                AnswerCheck.parse("sinkhole:" + SINKHOLE),
                closedLoop(20, 3000),
                LoadEngine.Progress.NONE);

        assertThat(m.sent()).isEqualTo(3000);
        assertThat(m.answered() + m.lost()).isEqualTo(m.sent());
        assertThat(m.lost()).as("loopback, 20 in flight").isZero();
        assertThat(m.wrong()).as("wrong answers: %s", m.wrongExamples()).isZero();
        assertThat(m.good()).isEqualTo(m.answered());
        assertThat(m.latencyMicros().getTotalCount()).isEqualTo(m.answered());
        assertThat(m.intervals().stream()
                        .mapToLong(LoadEngine.IntervalStats::answered)
                        .sum())
                .isEqualTo(m.answered());
        assertThat(m.rcodes()[0]).as("NOERROR: sinkhole answers").isGreaterThan(0);
        assertThat(m.rcodes()[3])
                .as("NXDOMAIN: the upstream knows no other name")
                .isGreaterThan(0);
    }

    @Test
    void overTcpTheCountsAddUpToo() throws Exception {
        // Two pipelined connections to the appliance's TCP listener, 20 queries in flight.
        Plan tcp = new Plan(Protocol.TCP, 2, 0, 20, Duration.ofMinutes(2), 2000, Duration.ofSeconds(3), 2);
        Measured m = LoadEngine.run(
                group,
                TRANSPORTS,
                applianceAddress,
                mix(2000),
                AnswerCheck.parse("sinkhole:" + SINKHOLE),
                tcp,
                LoadEngine.Progress.NONE);
        assertThat(m.sent()).isEqualTo(2000);
        assertThat(m.answered()).isEqualTo(2000);
        assertThat(m.wrong()).as("wrong answers: %s", m.wrongExamples()).isZero();
        assertThat(m.truncated()).isZero();
    }

    @Test
    void theSameCheckCatchesAServerThatDoesNotBlock() throws Exception {
        try (Responder wrongServer = Responder.start(
                TRANSPORTS,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                (Inet4Address) InetAddress.getByName("192.0.2.1"),
                Duration.ZERO)) {
            Measured m = LoadEngine.run(
                    group,
                    TRANSPORTS,
                    wrongServer.address(),
                    mix(2000),
                    AnswerCheck.parse("sinkhole:" + SINKHOLE),
                    closedLoop(20, 2000),
                    LoadEngine.Progress.NONE);
            assertThat(m.answered()).isEqualTo(2000);
            assertThat(m.wrong())
                    .as("blocked A queries answered with a real address")
                    .isGreaterThan(100);
            assertThat(m.wrongExamples())
                    .isNotEmpty()
                    .allSatisfy(e -> assertThat(e).contains("for a blocked name"));
        }
    }

    @Test
    void openLoopLatencyIncludesTheQueueingDelayOfASlowServer() throws Exception {
        // One query at a time, 10 ms each: 100 queries scheduled within 0.1 s finish after >= 1 s.
        try (Responder slow = Responder.start(
                TRANSPORTS,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                (Inet4Address) InetAddress.getByName("192.0.2.1"),
                Duration.ofMillis(10))) {
            Plan open = new Plan(Protocol.UDP, 1, 1000, 1, Duration.ofMinutes(1), 100, Duration.ofSeconds(30), 1);
            Measured m = LoadEngine.run(
                    group, TRANSPORTS, slow.address(), mix(100), AnswerCheck.none(), open, LoadEngine.Progress.NONE);
            assertThat(m.sent()).isEqualTo(100);
            assertThat(m.answered()).isEqualTo(100);
            // The last query waits behind 99 others (>= 990 ms of service) and was scheduled at 99 ms.
            assertThat(m.latencyMicros().getMaxValue()).isGreaterThanOrEqualTo(850_000);
            // The median query waits behind about 50 others.
            assertThat(m.latencyMicros().getValueAtPercentile(50)).isGreaterThanOrEqualTo(400_000);

            // Closed loop with one query in flight never queues: every latency is about one service time.
            Measured closed = LoadEngine.run(
                    group,
                    TRANSPORTS,
                    slow.address(),
                    mix(20),
                    AnswerCheck.none(),
                    closedLoop(1, 20),
                    LoadEngine.Progress.NONE);
            assertThat(closed.answered()).isEqualTo(20);
            assertThat(closed.latencyMicros().getMinValue()).isGreaterThanOrEqualTo(9_000);
            assertThat(closed.latencyMicros().getValueAtPercentile(50))
                    .as("closed loop hides the queue that open loop shows")
                    .isLessThan(m.latencyMicros().getValueAtPercentile(50));
        }
    }

    @Test
    void aLostQueryHoldsOnlyItsOwnIdAndTheClosedLoopKeepsItsQueriesInFlight() throws Exception {
        // One socket = 65,536 IDs. The first query is never answered and holds its ID for the whole
        // 5 s timeout while 70,000 more are sent: IDs are reused around it, none is skipped, and
        // every answer is replaced, so 50 stay in flight to the end.
        try (Responder lossy = Responder.start(
                TRANSPORTS,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                (Inet4Address) InetAddress.getByName("192.0.2.1"),
                Duration.ZERO,
                1_000_000)) {
            Plan plan = new Plan(Protocol.UDP, 1, 0, 50, Duration.ofMinutes(2), 70_000, Duration.ofSeconds(5), 1);
            Measured m = LoadEngine.run(
                    group,
                    TRANSPORTS,
                    lossy.address(),
                    mix(10_000),
                    AnswerCheck.none(),
                    plan,
                    LoadEngine.Progress.NONE);
            assertThat(m.sent()).isEqualTo(70_000);
            assertThat(m.notSent()).isZero();
            assertThat(m.lost()).isEqualTo(1);
            assertThat(m.answered()).isEqualTo(69_999);
            assertThat(m.unmatched()).isZero();
        }
    }

    @Test
    void theCommandWritesReportsThatParseAndFailsOnWrongAnswers() throws Exception {
        Path out = dir.resolve("report-wrong");
        try (Responder wrongServer = Responder.start(
                TRANSPORTS,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                (Inet4Address) InetAddress.getByName("192.0.2.1"),
                Duration.ZERO)) {
            String target = "wrong=127.0.0.1:" + wrongServer.address().getPort() + ",pid="
                    + ProcessHandle.current().pid();
            int status = runCommand(
                    "--target",
                    target,
                    "--target",
                    "safenet=127.0.0.1:" + applianceAddress.getPort(),
                    "--queries",
                    "1500",
                    "--duration",
                    "60s",
                    "--outstanding",
                    "20",
                    "--rounds",
                    "2",
                    "--popular",
                    SharedData.path("derived/top-domains-not-blocked.txt").toString(),
                    "--popular-limit",
                    "500",
                    "--blocked",
                    blockedNames.toString(),
                    "--blocked-limit",
                    "2000",
                    "--blocked-percent",
                    "25",
                    "--expect-blocked",
                    "sinkhole:" + SINKHOLE,
                    "--no-calibrate",
                    "--out",
                    out.toString());
            assertThat(status).isEqualTo(BenchMain.EXIT_WRONG_ANSWERS);
        }
        JsonNode json = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        assertThat(json.get("runs")).hasSize(4);
        Map<String, JsonNode> byTarget = Map.of(
                json.get("targets").get(0).get("target").asText(),
                        json.get("targets").get(0),
                json.get("targets").get(1).get("target").asText(),
                        json.get("targets").get(1));
        JsonNode wrong = byTarget.get("wrong");
        JsonNode safenet = byTarget.get("safenet");
        assertThat(wrong.get("sent").asLong()).isEqualTo(3000);
        assertThat(wrong.get("sent").asLong())
                .isEqualTo(wrong.get("answered").asLong() + wrong.get("lost").asLong());
        assertThat(wrong.get("wrong").asLong()).isPositive();
        assertThat(safenet.get("wrong").asLong()).isZero();
        assertThat(safenet.get("answered").asLong()).isEqualTo(3000);
        assertThat(json.get("runs").get(0).get("serverCpuSeconds").isNumber())
                .as("pid= given: the target's CPU time is read")
                .isTrue();
        assertThat(json.get("runs").get(0).get("intervals").size()).isPositive();

        Document html = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(out.resolve("report.html").toFile());
        assertThat(html.getElementsByTagName("svg").getLength())
                .as("three charts")
                .isGreaterThanOrEqualTo(3);
        assertThat(html.getElementsByTagName("polyline").getLength()).isPositive();
        assertThat(html.getDocumentElement().getTextContent()).contains("safenet", "wrong", "for a blocked name");
        assertThat(html.getElementsByTagName("script").getLength())
                .as("opens offline, no script")
                .isZero();
        assertThat(Files.readString(out.resolve("summary.md"))).contains("| safenet |", "| wrong |");
    }

    @Test
    void stepModeFindsTheKneeOfASlowServer() throws Exception {
        // 2 ms per query, one at a time: 500 q/s at most. At 700 q/s the queue grows by 200 queries
        // (400 ms) a second, so p99 passes 200 ms and the steps stop (here: after 100 and 400 pass).
        Path out = dir.resolve("report-step");
        try (Responder slow = Responder.start(
                TRANSPORTS,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                (Inet4Address) InetAddress.getByName("192.0.2.1"),
                Duration.ofMillis(2))) {
            int status = runCommand(
                    "--target",
                    "slow=127.0.0.1:" + slow.address().getPort(),
                    "--query-file",
                    writeQueryFile().toString(),
                    "--step",
                    "100:300:1600",
                    "--duration",
                    "2s",
                    "--max-p99",
                    "200ms",
                    "--timeout",
                    "10s",
                    "--no-calibrate",
                    "--out",
                    out.toString());
            assertThat(status).isZero();
        }
        JsonNode json = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        // Whatever this machine's speed, 700 q/s cannot keep up (the queue alone passes 200 ms), so
        // the steps end there at the latest; the knee is the last step before the failing one.
        JsonNode runs = json.get("runs");
        assertThat(runs.size()).isBetween(1, 3);
        JsonNode failed = runs.get(runs.size() - 1);
        assertThat(failed.get("latencyMs").get("p99").asDouble()).isGreaterThan(200);
        for (int k = 0; k < runs.size() - 1; k++) {
            assertThat(runs.get(k).get("latencyMs").get("p99").asDouble()).isLessThanOrEqualTo(200);
            assertThat(runs.get(k).get("offeredRate").asLong()).isEqualTo(100 + 300L * k);
        }
        JsonNode knee = json.get("targets").get(0).get("kneeRate");
        if (runs.size() == 1) {
            assertThat(knee.isNull()).isTrue();
        } else {
            assertThat(knee.asLong())
                    .isEqualTo(runs.get(runs.size() - 2).get("offeredRate").asLong());
        }
        Document html = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(out.resolve("report.html").toFile());
        assertThat(html.getDocumentElement().getTextContent()).contains("Step run: p99 vs offered rate");
        assertThat(Files.readString(out.resolve("summary.md"))).contains("knee q/s");
    }

    @Test
    void aTargetThatNeverAnswersExitsWithTwoAndEveryQueryIsLost() throws Exception {
        int silentPort;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            silentPort = s.getLocalPort(); // bound and never read: queries vanish
            Path out = dir.resolve("report-silent");
            int status = runCommand(
                    "--target",
                    "127.0.0.1:" + silentPort,
                    "--query-file",
                    writeQueryFile().toString(),
                    "--queries",
                    "50",
                    "--timeout",
                    "300ms",
                    "--no-calibrate",
                    "--out",
                    out.toString());
            assertThat(status).isEqualTo(BenchMain.EXIT_NEVER_ANSWERED);
            JsonNode t = new ObjectMapper()
                    .readTree(out.resolve("result.json").toFile())
                    .get("targets")
                    .get(0);
            assertThat(t.get("sent").asLong()).isEqualTo(50);
            assertThat(t.get("lost").asLong()).isEqualTo(50);
        }
    }

    @Test
    void badOptionsAreClearErrors() throws Exception {
        assertThat(runCommand("--target", "127.0.0.1:53", "--expect-blocked", "sinkhole:nowhere"))
                .isEqualTo(1);
        assertThat(runCommand("--target", "127.0.0.1:53", "--types", "A:x")).isEqualTo(1);
        assertThat(runCommand("--duration", "5s")).as("no target").isEqualTo(1);
    }

    private static Path writeQueryFile() throws IOException {
        Path f = dir.resolve("queries.txt");
        Files.writeString(f, "# a comment\nexample.com A\nexample.org AAAA\nexample.net\n");
        return f;
    }

    private static int runCommand(String... args) {
        return BenchMain.commandLine()
                .setOut(new PrintWriter(new StringWriter()))
                .setErr(new PrintWriter(new StringWriter()))
                .execute(args);
    }
}
