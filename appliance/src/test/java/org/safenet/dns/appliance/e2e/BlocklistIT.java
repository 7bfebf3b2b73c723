package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAR;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAVA;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.SharedData;

/**
 * The blocklist as an operator uses it: {@code safenet import} of a real list, {@code safenet
 * serve}, {@code dig} for a listed name, {@code safenet lookup}; and an import killed with
 * SIGKILL leaves the old list or the new one, never a mixture.
 */
class BlocklistIT {
    @TempDir
    Path dir;

    private record Run(int exit, String output) {}

    private static Run safenet(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-jar", JAR));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    private static String dig(int port, String... args) throws IOException, InterruptedException {
        List<String> cmd =
                new ArrayList<>(List.of("dig", "@127.0.0.1", "-p", String.valueOf(port), "+time=5", "+tries=1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void importServeDigLookup_blocksListedNamesOnly() throws Exception {
        Peers.require("dig", "dnsutils");
        Peers.require("curl", "curl");
        String list =
                SharedData.path("vn/chongluadao-vn-badsite-filter-domains.txt").toString();
        Run imported = safenet(
                "import",
                "--data-dir",
                dir.toString(),
                "--format",
                "domains",
                "--category",
                "scam",
                "--source",
                "chongluadao",
                list);
        assertThat(imported.exit()).as(imported.output()).isZero();
        assertThat(imported.output())
                .contains("source chongluadao (scam): 16840 added")
                .contains("list version 1");

        try (KnotServer knot = KnotServer.start(dir, "example.test.", """
                $ORIGIN example.test.
                $TTL 300
                @   SOA ns admin 1 7200 900 86400 60
                @   NS  ns
                ns  A   127.0.0.1
                www A   192.0.2.80
                walled-garden A 192.0.2.99
                """)) {
            try (RunningAppliance serve = RunningAppliance.start(dir, knot.hostPort())) {
                int[] port = {serve.dnsPort(), serve.blockPagePort()};
                assertThat(serve.log()).anyMatch(l -> l.contains("16840 entries enforced"));

                assertThat(dig(port[0], "+short", "0088shop.com", "A").strip()).isEqualTo("127.0.0.1");
                String sub = dig(port[0], "www.0088shop.com", "A");
                assertThat(sub).contains("EDE: 15 (Blocked)").contains("SafeNet DNS: scam (chongluadao, list v1)");
                assertThat(dig(port[0], "+short", "www.example.test", "A").strip())
                        .isEqualTo("192.0.2.80");

                // The block page, fetched as a browser would after the sinkhole answer.
                Process curl = new ProcessBuilder(
                                "curl", "-s", "-i", "-H", "Host: www.0088shop.com", "http://127.0.0.1:" + port[1] + "/")
                        .redirectErrorStream(true)
                        .start();
                String page = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(page)
                        .startsWith("HTTP/1.1 403")
                        .contains("Trang web này đã bị chặn")
                        .contains("www.0088shop.com")
                        .contains("<dd>lừa đảo</dd>");
                // In English for a browser that asks for it first.
                Process english = new ProcessBuilder(
                                "curl",
                                "-s",
                                "-H",
                                "Host: www.0088shop.com",
                                "-H",
                                "Accept-Language: en-US,en;q=0.9,vi;q=0.8",
                                "http://127.0.0.1:" + port[1] + "/")
                        .redirectErrorStream(true)
                        .start();
                String englishPage = new String(english.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(english.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(englishPage).contains("This site was blocked").contains("<dd>scam</dd>");

                // lookup reads the store while the appliance holds it (read-only open).
                Run lookup = safenet("lookup", "--data-dir", dir.toString(), "www.0088shop.com");
                assertThat(lookup.output())
                        .contains("BLOCKED, answered sinkhole")
                        .contains("0088shop.com and everything below it");
                // An import while serving is handed to the running appliance over the control
                // channel and is live at once, cached answers notwithstanding (policy comes first).
                Path extra = dir.resolve("operator.txt");
                java.nio.file.Files.writeString(extra, "www.example.test\n");
                Run live = safenet(
                        "import",
                        "--data-dir",
                        dir.toString(),
                        "--format",
                        "domains",
                        "--category",
                        "phishing",
                        "--source",
                        "operator",
                        extra.toString());
                assertThat(live.exit()).as(live.output()).isZero();
                assertThat(live.output())
                        .contains("handed to the running appliance")
                        .contains("live: 1 changes overlaid");
                assertThat(dig(port[0], "+short", "www.example.test", "A").strip())
                        .isEqualTo("127.0.0.1");

                // Every RPZ action, imported live, answered as RPZ says.
                Path rpz = dir.resolve("actions.rpz");
                java.nio.file.Files.writeString(rpz, """
                        nx.example.test        CNAME .
                        nodata.example.test    CNAME *.
                        dropped.example.test   CNAME rpz-drop.
                        walled.example.test    CNAME walled-garden.example.test.
                        local.example.test     A 192.0.2.55
                        tcp.example.test       CNAME rpz-tcp-only.
                        """);
                Run actions = safenet(
                        "import",
                        "--data-dir",
                        dir.toString(),
                        "--format",
                        "rpz",
                        "--category",
                        "custom",
                        "--source",
                        "actions",
                        rpz.toString());
                assertThat(actions.exit()).as(actions.output()).isZero();
                assertThat(dig(port[0], "nx.example.test", "A")).contains("status: NXDOMAIN");
                assertThat(dig(port[0], "nodata.example.test", "A"))
                        .contains("status: NOERROR")
                        .contains("ANSWER: 0")
                        .contains("AUTHORITY: 1");
                assertThat(dig(port[0], "+time=1", "dropped.example.test", "A")).contains("timed out");
                // RPZ's CNAME action: the CNAME, then the target's records (a walled garden that works).
                assertThat(dig(port[0], "+short", "walled.example.test", "A").lines())
                        .containsExactly("walled-garden.example.test.", "192.0.2.99");
                assertThat(dig(port[0], "+short", "local.example.test", "A").strip())
                        .isEqualTo("192.0.2.55");
                assertThat(dig(port[0], "+ignore", "tcp.example.test", "A")).containsPattern("flags:[^;]*\\btc\\b");
            }

            // A restart keeps everything: the store is the source of truth, live imports included.
            try (RunningAppliance again = RunningAppliance.start(dir, knot.hostPort())) {
                int port = again.dnsPort();
                assertThat(port).isPositive();
                assertThat(dig(port, "+short", "www.0088shop.com", "A").strip()).isEqualTo("127.0.0.1");
                assertThat(dig(port, "+short", "www.example.test", "A").strip())
                        .as("the live import survived the restart")
                        .isEqualTo("127.0.0.1");
                assertThat(dig(port, "nx.example.test", "A")).contains("status: NXDOMAIN");
            }
        }
    }

    @Test
    void importKilledMidway_leavesOldOrNewListNeverAMixture() throws Exception {
        String small = SharedData.path("vn/hostsvn-threat.domains.txt").toString();
        String big = SharedData.path("derived/blocked-domains-1m.txt.gz").toString();
        assertThat(safenet(
                                "import",
                                "--data-dir",
                                dir.toString(),
                                "--format",
                                "domains",
                                "--category",
                                "scam",
                                "--source",
                                "feed",
                                small)
                        .exit())
                .isZero();
        long[] before = count();
        // A 1.46M-name import with --replace, killed with SIGKILL while it runs.
        Process p = new ProcessBuilder(
                        JAVA,
                        "-jar",
                        JAR,
                        "import",
                        "--data-dir",
                        dir.toString(),
                        "--format",
                        "domains",
                        "--category",
                        "scam",
                        "--source",
                        "feed",
                        "--replace",
                        big)
                .redirectErrorStream(true)
                .start();
        // Kill it while RocksDB writes the batch: once the write-ahead log has grown past 1 MiB
        // (parsing 1.46M names takes many seconds before that). If it finishes first, the
        // complete list must be there.
        Path store = dir.resolve("blocklist");
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> !p.isAlive() || walBytes(store) > (1 << 20));
        p.toHandle().destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        long[] after = count();
        boolean old = after[0] == before[0] && after[1] == before[1];
        boolean complete = after[0] == before[0] + 1 && after[1] > 1_000_000;
        assertThat(old || complete)
                .as("version/entries before %d/%d, after %d/%d", before[0], before[1], after[0], after[1])
                .isTrue();
    }

    @Test
    void syncKilledMidway_leavesOldOrNewListNeverAMixture() throws Exception {
        Path feed = dir.resolve("feed.txt");
        java.nio.file.Files.copy(SharedData.path("vn/hostsvn-threat.domains.txt"), feed);
        Path config = dir.resolve("sync.yaml");
        java.nio.file.Files.writeString(config, """
                dataDir: %s
                sync:
                  sources:
                    - name: feed
                      type: file
                      path: %s
                      category: scam
                      rails: {maxAddPercent: 1000000}
                """.formatted(dir, feed));
        Run first = safenet("sync", "--config", config.toString());
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("feed manual: APPLIED");
        long[] before = count();
        long sourceBefore = sourceSize("feed");

        // The feed becomes the 1.46M-name list; the sync is killed with SIGKILL while it writes.
        java.nio.file.Files.copy(
                SharedData.path("derived/blocked-domains-1m.txt.gz"),
                feed,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Process p = new ProcessBuilder(JAVA, "-jar", JAR, "sync", "--config", config.toString())
                .redirectErrorStream(true)
                .start();
        Path store = dir.resolve("blocklist");
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> !p.isAlive() || walBytes(store) > (1 << 20));
        p.toHandle().destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);

        long[] after = count();
        long sourceAfter = sourceSize("feed");
        boolean old = after[0] == before[0] && after[1] == before[1] && sourceAfter == sourceBefore;
        boolean complete = after[0] == before[0] + 1 && after[1] > 1_000_000 && sourceAfter == after[1];
        assertThat(old || complete)
                .as(
                        "version/entries/source count before %d/%d/%d, after %d/%d/%d",
                        before[0], before[1], sourceBefore, after[0], after[1], sourceAfter)
                .isTrue();
        // Whichever it is, the next sync finishes the job: the list is the new one.
        Run again = safenet("sync", "--config", config.toString());
        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(count()[1]).isGreaterThan(1_000_000);
    }

    @Test
    void syncOfARunningAppliance_heldThenApproved_throughTheCli() throws Exception {
        Path feed = dir.resolve("feed.txt");
        List<String> names =
                java.nio.file.Files.readAllLines(SharedData.path("vn/chongluadao-vn-badsite-filter-domains.txt"))
                        .stream()
                        .filter(l -> !l.isBlank() && !l.startsWith("#"))
                        .toList();
        java.nio.file.Files.write(feed, names);
        try (KnotServer knot = KnotServer.start(
                        java.nio.file.Files.createDirectories(dir.resolve("knot")), "example.test.", """
                        $ORIGIN example.test.
                        @ SOA ns admin 1 7200 900 86400 60
                        @ NS ns
                        ns A 127.0.0.1
                        """);
                RunningAppliance serve = RunningAppliance.start(dir, knot.hostPort(), """
                        sync:
                          sources:
                            - {name: feed, type: file, path: %s, category: scam}
                        """.formatted(feed))) {
            String config = RunningAppliance.configOf(dir).toString();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> dig(serve.dnsPort(), "+short", "0088shop.com", "A")
                            .strip()
                            .equals("127.0.0.1"));
            // The status is recorded just after the list is live: wait for it too.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> safenet("sync", "--config", config, "--data-dir", dir.toString(), "--status")
                            .output()
                            .contains("feed (file, scam, precedence 100): last APPLIED"));

            // The feed loses 90% of its names: held, and the old list keeps answering.
            java.nio.file.Files.write(feed, names.subList(0, names.size() / 10));
            Run held = safenet("sync", "--config", config, "--data-dir", dir.toString(), "--source", "feed");
            assertThat(held.exit()).as(held.output()).isEqualTo(3);
            assertThat(held.output()).contains("HELD").contains("more than rails.maxRemovePercent 50%");
            String dropped = names.getLast();
            assertThat(dig(serve.dnsPort(), "+short", dropped, "A").strip()).isEqualTo("127.0.0.1");

            Run approved = safenet("sync", "--config", config, "--data-dir", dir.toString(), "--approve", "feed");
            assertThat(approved.exit()).as(approved.output()).isZero();
            assertThat(approved.output()).contains("feed approve: APPLIED");
            assertThat(dig(serve.dnsPort(), "+short", dropped, "A").strip()).isNotEqualTo("127.0.0.1");
        }
    }

    private long sourceSize(String source) throws BlocklistStore.StoreException {
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("blocklist"))) {
            return s.sourceSize(source);
        }
    }

    private static long walBytes(Path store) throws IOException {
        try (var files = java.nio.file.Files.list(store)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log"))
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }

    /** {list version, block entries} of the store in {@code dir}. */
    private long[] count() throws BlocklistStore.StoreException {
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("blocklist"))) {
            long[] n = {0};
            s.forEachBlock(e -> n[0]++);
            return new long[] {s.listVersion(), n[0]};
        }
    }
}
