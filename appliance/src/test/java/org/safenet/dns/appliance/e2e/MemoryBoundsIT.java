package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAR;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAVA;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.appliance.MemoryBudget;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.safenet.dns.testkit.SharedData;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The heap the appliance computes for itself holds what it claims to: a million listed names, a
 * full cache, and bursts of never-seen names, first answered (every answer cached, the cache
 * evicting) and then with the upstream silent (every query waiting on it). The appliance runs as
 * its own process with its hard heap limit set to the soft limit {@link MemoryBudget} computes
 * for that list and cache, so anything unbounded ends in an {@code OutOfMemoryError} and fails
 * the test; afterwards it must still answer, the cache must be within its size and the upstream
 * queries in flight within the socket pools' bound.
 */
class MemoryBoundsIT {
    private static final int NAMES = 1_000_000;
    private static final int CACHE = 100_000;
    /** The index's measured size per listed name (37 B; docs/benchmarks.md), rounded up. */
    private static final long INDEX_BYTES_PER_NAME = 40;
    /** Upstream exchanges one event loop may hold per upstream: 8 sockets × 4,096 IDs. */
    private static final int PENDING_BOUND_PER_LOOP = 8 * 4096;

    @TempDir
    Path dir;

    @Test
    void millionNames_fullCache_andBurstsOfNeverSeenNames_fitTheComputedHeap() throws Exception {
        Path names = dir.resolve("names.txt");
        String last;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                        new GZIPInputStream(Files.newInputStream(SharedData.path("derived/blocked-domains-1m.txt.gz"))),
                        StandardCharsets.UTF_8));
                Writer out = Files.newBufferedWriter(names)) {
            int n = 0;
            String line;
            String kept = "";
            while (n < NAMES && (line = in.readLine()) != null) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    out.write(line.strip());
                    out.write('\n');
                    kept = line.strip();
                    n++;
                }
            }
            last = kept;
        }
        Process importing = new ProcessBuilder(
                        JAVA,
                        "-jar",
                        JAR,
                        "import",
                        "--data-dir",
                        dir.resolve("data").toString(),
                        "--format",
                        "domains",
                        "--category",
                        "scam",
                        "--source",
                        "it",
                        names.toString())
                .redirectErrorStream(true)
                .start();
        String imported = new String(importing.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(importing.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(importing.exitValue()).as(imported).isZero();

        long heap = MemoryBudget.softLimitBytes(NAMES * INDEX_BYTES_PER_NAME, CACHE);
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start()
                        .add(". 3600 IN SOA ns.test. host.test. 1 7200 900 86400 3600")
                        .add("www.example.com. 300 IN A 192.0.2.10");
                RunningAppliance app = RunningAppliance.start(
                        dir.resolve("data"),
                        upstream.hostPort(),
                        "cache:\n  maxEntries: " + CACHE + "\n",
                        Map.of(),
                        List.of("-XX:+UseZGC", "-Xmx" + (heap >> 20) + "m", "-XX:+ExitOnOutOfMemoryError"))) {
            InetSocketAddress server = new InetSocketAddress("127.0.0.1", app.dnsPort());
            DnsProbe probe = new DnsProbe(server);
            assertThat(firstAddress(probe.udp(last + ".", Type.A)))
                    .as("a listed name")
                    .isEqualTo("127.0.0.1");

            // Burst one: every name new, every answer (NXDOMAIN with the SOA) cached, until the
            // cache is full and evicting; a window of queries in flight, so the upstream keeps up.
            burst(server, "a", CACHE + CACHE / 2, 256);
            assertThat(firstAddress(probe.udp("www.example.com.", Type.A))).isEqualTo("192.0.2.10");
            // Burst two: the upstream stops answering; every query waits on it, none answered.
            upstream.mode(ScriptedAuthServer.Mode.SILENT);
            burst(server, "b", 100_000, Integer.MAX_VALUE);
            upstream.mode(ScriptedAuthServer.Mode.ANSWER);

            assertThat(app.log()).noneMatch(l -> l.contains("OutOfMemoryError"));
            // The socket may still be full of the burst's tail for a moment, and a probe's datagram
            // dropped by the kernel is UDP doing what it does: retried, as a real client would.
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(firstAddress(probe.udp(last + ".", Type.A)))
                            .as("still blocking")
                            .isEqualTo("127.0.0.1"));
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(firstAddress(probe.udp("www.example.com.", Type.A)))
                            .as("cached")
                            .isEqualTo("192.0.2.10"));
            String metrics = metrics(app, dir.resolve("data"));
            assertThat(gauge(metrics, "safenet_cache_entries")).isBetween(CACHE * 0.9, CACHE * 1.32);
            assertThat(gauge(metrics, "safenet_upstream_pending")).isLessThanOrEqualTo(2.0 * PENDING_BOUND_PER_LOOP);
        }
    }

    private static String firstAddress(Message m) {
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        return ((ARecord) m.getSection(Section.ANSWER).getFirst()).getAddress().getHostAddress();
    }

    /**
     * Sends {@code count} queries for never-seen names, at most {@code window} without an answer
     * (a window that no answer refills within 200 ms is given up on: those queries were lost).
     * A bounded loop: each name once.
     */
    private static void burst(InetSocketAddress server, String prefix, int count, int window) throws IOException {
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(server);
            ByteBuffer in = ByteBuffer.allocate(4096);
            ch.configureBlocking(false);
            int outstanding = 0;
            for (int i = 0; i < count; i++) {
                byte[] q = DnsProbe.query(prefix + i + ".burst.example.", Type.A, 0)
                        .toWire();
                ch.write(ByteBuffer.wrap(q));
                outstanding++;
                while (ch.read(in.clear()) > 0) {
                    outstanding--;
                }
                if (outstanding >= window) {
                    awaitAnswers(ch, in, outstanding);
                    outstanding = 0;
                }
            }
        }
    }

    /** Reads answers until {@code expected} came or none came for 200 ms. */
    private static void awaitAnswers(DatagramChannel ch, ByteBuffer in, int expected) throws IOException {
        int got = 0;
        long quietSince = System.nanoTime();
        while (got < expected && System.nanoTime() - quietSince < TimeUnit.MILLISECONDS.toNanos(200)) {
            if (ch.read(in.clear()) > 0) {
                got++;
                quietSince = System.nanoTime();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private static String metrics(RunningAppliance app, Path dataDir) throws Exception {
        Pattern admin = Pattern.compile("admin API and dashboard on (http://127\\.0\\.0\\.1:\\d+/)");
        String base = app.log().stream()
                .map(admin::matcher)
                .filter(Matcher::find)
                .map(m -> m.group(1))
                .findFirst()
                .orElseThrow();
        String token = Files.readString(dataDir.resolve("admin-token")).strip();
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base + "metrics"))
                                .header("Authorization", "Bearer " + token)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static double gauge(String metrics, String name) {
        Matcher m =
                Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(metrics);
        assertThat(m.find()).as(name + " in /metrics").isTrue();
        return Double.parseDouble(m.group(2));
    }
}
