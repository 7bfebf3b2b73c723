package org.safenet.dns.bench.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.safenet.dns.bench.SharedData;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.importer.ListImporter;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.blocklist.sync.SourceSpec;
import org.safenet.dns.blocklist.sync.SourceState;
import org.safenet.dns.blocklist.sync.SyncResult;
import org.safenet.dns.blocklist.sync.SyncService;
import org.safenet.dns.resolver.policy.PolicyAction;

/**
 * Time and peak memory of applying a sync, end to end through the sync service and the live
 * index (the same path as a running appliance): {@code full} syncs the real 1.46M-name list into
 * an empty store from a file source; {@code incremental} seeds a store with N entries (the real
 * list padded with same-shape names) and applies a signed national-feed diff of 1,000 changes
 * served over loopback HTTP. Prints one Markdown row per run. Usage: {@code SyncBench full|incremental
 * [entries] [workdir]}; run each in its own JVM so peak figures are its own.
 */
public final class SyncBench {
    private SyncBench() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "full";
        int entries = args.length > 1 ? Integer.parseInt(args[1]) : 10_000_000;
        Path work = Files.createTempDirectory(args.length > 2 ? Path.of(args[2]) : Path.of("/tmp"), "syncbench");
        try {
            switch (mode) {
                case "full" -> full(work, false);
                case "replace" -> full(work, true);
                case "incremental" -> incremental(work, entries);
                default -> throw new IllegalArgumentException("full, replace or incremental");
            }
        } finally {
            deleteTree(work);
        }
    }

    /**
     * {@code replace}: the source already holds the list, and the new version drops every 100th
     * name and adds as many: a full-list feed's daily update, diffed against what is stored.
     */
    private static void full(Path work, boolean replace) throws Exception {
        Path list = work.resolve("list.txt.gz");
        Files.copy(SharedData.find("derived/blocked-domains-1m.txt.gz"), list);
        try (BlocklistStore store = BlocklistStore.open(work.resolve("store"))) {
            LiveList live = new LiveList(store, c -> PolicyAction.SINKHOLE, s -> 100, System::currentTimeMillis, 1000);
            SyncService sync = service(store, live, work);
            sync.setSources(List.of(SourceSpec.builder("feed", SourceSpec.Type.FILE, "scam")
                    .path(list)
                    .build()));
            if (replace) {
                sync.syncNow("feed", "bench");
                List<String> names = new ArrayList<>();
                try (var in = ListImporter.open(list)) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        names.add(line);
                    }
                }
                try (var out = new java.io.PrintWriter(Files.newBufferedWriter(list))) {
                    for (int i = 0; i < names.size(); i++) {
                        out.println(i % 100 == 0 ? "new-" + i + ".example" : names.get(i));
                    }
                }
            }
            resetPeaks();
            long start = System.nanoTime();
            SyncResult r = sync.syncNow("feed", "bench");
            report(
                    replace
                            ? "full list replacing the stored 1.46M (1% out, 1% in), file source"
                            : "full sync, file source, real list (gzip)",
                    r,
                    start,
                    store.sourceSize("feed"));
            sync.close();
        }
    }

    private static void incremental(Path work, int entries) throws Exception {
        List<String> real = new ArrayList<>();
        try (var in = ListImporter.open(SharedData.find("derived/blocked-domains-1m.txt.gz"))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    real.add(line.trim());
                }
            }
        }
        try (BlocklistStore store = BlocklistStore.open(work.resolve("store"))) {
            // Seed: N entries of the national source, written directly in 100k batches (as a
            // finished earlier sync would have left them), with the source at serial 1.
            long seedStart = System.nanoTime();
            BlocklistStore.Changes batch = new BlocklistStore.Changes();
            int n = 0;
            for (int i = 0; n < entries; i++) {
                String name = i < real.size()
                        ? real.get(i)
                        : Integer.toHexString(i)
                                + real.get(i % real.size())
                                        .substring(real.get(i % real.size()).indexOf('.'));
                batch.block(entry(name));
                n++;
                if (n % 100_000 == 0 || n == entries) {
                    store.apply(batch.counted("national", batch.size()));
                    batch = new BlocklistStore.Changes();
                }
            }
            store.putSourceRecord(
                    SyncService.stateKey("national"),
                    new ObjectMapper().writeValueAsBytes(new SourceState(null, null, 1, null, 0, 0, 0, null, null, 0)));
            System.err.printf("seeded %d entries in %d s%n", entries, (System.nanoTime() - seedStart) / 1_000_000_000L);

            long loadStart = System.nanoTime();
            LiveList live = new LiveList(store, c -> PolicyAction.SINKHOLE, s -> 100, System::currentTimeMillis, 1000);
            System.err.printf(
                    "index of %d entries built in %d ms%n",
                    live.lastLoad().blocked(), (System.nanoTime() - loadStart) / 1_000_000);

            // The feed: serial 2 = 500 names removed, 500 added, as a signed manifest with a diff.
            StringBuilder diff = new StringBuilder();
            for (int i = 0; i < 500; i++) {
                diff.append('-').append(real.get(i * 7)).append('\n');
                diff.append('+')
                        .append("new-")
                        .append(i)
                        .append('.')
                        .append(real.get(i * 11))
                        .append('\n');
            }
            KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            Map<String, byte[]> files = new ConcurrentHashMap<>();
            byte[] diffBytes = diff.toString().getBytes(StandardCharsets.UTF_8);
            files.put("/diff-1.txt", diffBytes);
            files.put("/list-2.txt", "unused.example\n".getBytes(StandardCharsets.UTF_8));
            byte[] manifest = ("{\"format\":\"safenet-national-feed/1\",\"serial\":2,"
                            + "\"list\":{\"url\":\"list-2.txt\",\"sha256\":\"" + sha(files.get("/list-2.txt"))
                            + "\",\"format\":\"domains\"},"
                            + "\"diffs\":[{\"fromSerial\":1,\"url\":\"diff-1.txt\",\"sha256\":\"" + sha(diffBytes)
                            + "\"}]}")
                    .getBytes(StandardCharsets.UTF_8);
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key.getPrivate());
            s.update(manifest);
            files.put("/manifest.json", manifest);
            files.put("/manifest.json.sig", Base64.getEncoder().encode(s.sign()));
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            http.createContext("/", ex -> {
                byte[] body = files.get(ex.getRequestURI().getPath());
                try (ex) {
                    if (body == null) {
                        ex.sendResponseHeaders(404, -1);
                    } else {
                        ex.sendResponseHeaders(200, body.length);
                        ex.getResponseBody().write(body);
                    }
                }
            });
            http.start();
            try {
                SyncService sync = service(store, live, work);
                sync.setSources(List.of(SourceSpec.builder("national", SourceSpec.Type.NATIONAL, "scam")
                        .url(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/manifest.json"))
                        .publicKey(Base64.getEncoder()
                                .encodeToString(key.getPublic().getEncoded()))
                        .build()));
                resetPeaks();
                long start = System.nanoTime();
                SyncResult r = sync.syncNow("national", "bench");
                report(
                        "incremental: national diff of 1,000 changes into " + entries + " entries",
                        r,
                        start,
                        store.sourceSize("national"));
                sync.close();
            } finally {
                http.stop(0);
            }
        }
    }

    private static SyncService service(BlocklistStore store, LiveList live, Path work) {
        return new SyncService(
                store,
                c -> live.apply(c).version(),
                List.of("gov.vn"),
                work,
                Map.of(),
                new SimpleMeterRegistry(),
                System::currentTimeMillis,
                Duration.ofSeconds(30));
    }

    private static StoredEntry entry(String name) {
        String[] labels = name.split("\\.");
        StringBuilder reversed = new StringBuilder(name.length());
        for (int i = labels.length - 1; i >= 0; i--) {
            reversed.append(labels[i]).append(i > 0 ? "." : "");
        }
        return new StoredEntry(
                reversed.toString(), Match.SUBTREE, Action.BLOCK, "scam", "national", "seed", 1, 0, null);
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static void resetPeaks() {
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static void report(String what, SyncResult r, long startNanos, long size) throws IOException {
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        long peakHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peakHeap += pool.getPeakUsage().getUsed();
            }
        }
        String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("VmHWM"))
                .findFirst()
                .orElse("VmHWM: ?")
                .replaceAll("\\s+", " ");
        System.out.printf(
                "| %s | %s: +%d -%d, %d entries after | %,d ms | %,d MiB | %s |%n",
                what,
                r.outcome(),
                r.added(),
                r.removed(),
                size,
                millis,
                peakHeap >> 20,
                hwm.substring(6).trim());
        System.out.println("  " + r.summary());
    }

    private static void deleteTree(Path p) throws IOException {
        try (var files = Files.walk(p)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(f -> f.toFile().delete());
        }
    }
}
