package org.safenet.dns.blocklist.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.index.PolicyProbe;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.testkit.FakeClock;
import org.safenet.dns.testkit.SharedData;

/**
 * The national feed as docs/national-feed.md specifies it, published by a real HTTP server on
 * loopback: a signed manifest, a gzipped full list, and a diff from the previous serial.
 */
class SyncServiceNationalTest {
    @TempDir
    Path dir;

    private FeedServer feed;
    private BlocklistStore store;
    private LiveList live;
    private SyncService sync;
    private final FakeClock clock = new FakeClock();
    private KeyPair publisher;

    @BeforeEach
    void start() throws Exception {
        feed = new FeedServer();
        store = BlocklistStore.open(dir.resolve("store"));
        live = new LiveList(store, c -> PolicyAction.SINKHOLE, s -> 0, clock, 100);
        sync = new SyncService(
                store,
                c -> live.apply(c).version(),
                List.of("gov.vn"),
                dir,
                Map.of(),
                new SimpleMeterRegistry(),
                clock,
                Duration.ofSeconds(30));
        publisher = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        sync.setSources(List.of(SourceSpec.builder("national", SourceSpec.Type.NATIONAL, "scam")
                .precedence(500)
                .url(feed.uri("/feed/manifest.json"))
                .refresh(Duration.ofMinutes(5))
                .publicKey(
                        Base64.getEncoder().encodeToString(publisher.getPublic().getEncoded()))
                .build()));
    }

    @AfterEach
    void stop() {
        sync.close();
        store.close();
        feed.close();
    }

    private static List<String> names() throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (String l : Files.readAllLines(SharedData.path("vn/chongluadao-vn-badsite-filter-domains.txt"))) {
            String t = l.trim().toLowerCase(Locale.ROOT);
            if (!t.isEmpty() && !t.startsWith("#") && t.matches("[a-z0-9-]+(\\.[a-z0-9-]+)+")) {
                out.add(t);
            }
        }
        return new ArrayList<>(out);
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private void publish(KeyPair signer, long serial, byte[] list, long entries, String diffs) throws Exception {
        feed.put("/feed/list-" + serial + ".txt.gz", list);
        String manifest = """
                {"format": "safenet-national-feed/1", "serial": %d, "generatedAt": "2026-11-22T08:00:00Z",
                 "list": {"url": "list-%d.txt.gz", "sha256": "%s", "format": "domains", "entries": %d},
                 "diffs": [%s]}
                """.formatted(serial, serial, sha(list), entries, diffs);
        byte[] m = manifest.getBytes(StandardCharsets.UTF_8);
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(signer.getPrivate());
        s.update(m);
        feed.put("/feed/manifest.json", m);
        feed.put("/feed/manifest.json.sig", Base64.getEncoder().encode(s.sign()));
    }

    @Test
    void fullList_thenADiff_thenReplayAndTamperingAreRefused() throws Exception {
        List<String> names = names();
        List<String> v1 = names.subList(0, 10_000);
        publish(publisher, 2026112201, gzip(String.join("\n", v1) + "\n"), v1.size(), "");
        SyncResult first = sync.syncNow("national", "manual");
        assertThat(first.outcome()).as(first.detail()).isEqualTo(SyncResult.Outcome.APPLIED);
        assertThat(first.detail()).contains("full list");
        assertThat(store.sourceSize("national")).isEqualTo(first.added()).isGreaterThan(9_900);
        long entriesV1 = store.sourceSize("national");

        // Serial 2: 1,000 changes (500 stored names out, 500 new ones in) as a diff and as a full list.
        org.safenet.dns.blocklist.importer.ListImporter check =
                new org.safenet.dns.blocklist.importer.ListImporter(store, List.of("gov.vn"), clock);
        List<String> out = new ArrayList<>();
        List<String> in = new ArrayList<>();
        for (String n : names) {
            String reversed = org.safenet.dns.blocklist.store.ReversedName.fromWire(
                    org.safenet.dns.resolver.wire.DnsNames.toWire(n));
            boolean stored = !store.blockEntriesFor(reversed).isEmpty();
            if (stored && out.size() < 500) {
                out.add(n);
            } else if (!v1.contains(n) && check.refusal(reversed) == null && in.size() < 500) {
                in.add(n);
            }
        }
        List<String> v2 = new ArrayList<>(v1);
        v2.removeAll(out);
        v2.addAll(in);
        StringBuilder diff = new StringBuilder("# from 2026112201 to 2026112202\n");
        out.forEach(n -> diff.append('-').append(n).append('\n'));
        in.forEach(n -> diff.append('+').append(n).append('\n'));
        byte[] diffBytes = diff.toString().getBytes(StandardCharsets.UTF_8);
        feed.put("/feed/diff-2026112201.txt", diffBytes);
        publish(
                publisher,
                2026112202,
                gzip(String.join("\n", v2) + "\n"),
                entriesV1,
                "{\"fromSerial\": 2026112201, \"url\": \"diff-2026112201.txt\", \"sha256\": \"" + sha(diffBytes)
                        + "\"}");
        SyncResult second = sync.syncNow("national", "manual");
        assertThat(second.outcome()).as(second.detail()).isEqualTo(SyncResult.Outcome.APPLIED);
        assertThat(second.detail()).contains("by diff");
        assertThat(second.added()).isEqualTo(500);
        assertThat(second.removed()).isEqualTo(500);
        assertThat(feed.requests).noneMatch(r -> r.startsWith("GET /feed/list-2026112202"));
        assertThat(live.policy().decide(PolicyProbe.query(in.get(100)))).isNotNull();
        assertThat(live.policy().decide(PolicyProbe.query(out.get(100)))).isNull();
        assertThat(sync.state("national").serial()).isEqualTo(2026112202L);
        assertThat(store.sourceSize("national")).as(second.summary()).isEqualTo(entriesV1);

        // A replayed older manifest (validly signed) must not roll the list back.
        publish(publisher, 2026112201, gzip(String.join("\n", v1) + "\n"), v1.size(), "");
        SyncResult replay = sync.syncNow("national", "manual");
        assertThat(replay.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(replay.detail()).contains("older than the applied 2026112202");

        // A manifest signed by someone else.
        KeyPair attacker = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        publish(attacker, 2026112203, gzip("vietcombank.com.vn\n"), 1, "");
        SyncResult forged = sync.syncNow("national", "manual");
        assertThat(forged.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(forged.detail()).contains("bad signature");

        // The right signer, but the list does not match the manifest's checksum.
        publish(publisher, 2026112203, gzip("x\n"), 1, "");
        feed.put("/feed/list-2026112203.txt.gz", gzip("vietcombank.com.vn\n"));
        SyncResult swapped = sync.syncNow("national", "manual");
        assertThat(swapped.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(swapped.detail()).contains("checksum mismatch");
        assertThat(live.policy().decide(PolicyProbe.query("vietcombank.com.vn")))
                .isNull();
        assertThat(store.sourceSize("national")).isEqualTo(entriesV1);
    }

    @Test
    void aDiffThatDoesNotAddUp_fallsBackToTheFullList() throws Exception {
        List<String> names = names();
        List<String> v1 = names.subList(0, 1000);
        publish(publisher, 1, gzip(String.join("\n", v1) + "\n"), v1.size(), "");
        sync.syncNow("national", "manual");
        long stored = store.sourceSize("national");
        // The diff forgets the removals the full list has.
        List<String> v2 = names.subList(100, 1100);
        String diff = "";
        for (String n : names.subList(1000, 1100)) {
            diff += "+" + n + "\n";
        }
        byte[] d = diff.getBytes(StandardCharsets.UTF_8);
        feed.put("/feed/d1.txt", d);
        publish(
                publisher,
                2,
                gzip(String.join("\n", v2) + "\n"),
                stored,
                "{\"fromSerial\": 1, \"url\": \"d1.txt\", \"sha256\": \"" + sha(d) + "\"}");
        SyncResult r = sync.syncNow("national", "manual");
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.APPLIED);
        assertThat(r.detail()).contains("full list").contains("the diff did not add up");
        assertThat(r.removed()).isEqualTo(100);
        assertThat(live.policy().decide(PolicyProbe.query(names.get(50)))).isNull();
    }

    @Test
    void manifestErrorsNameTheField() throws Exception {
        feed.put(
                "/feed/manifest.json",
                "{\"format\": \"safenet-national-feed/1\", \"serial\": -3}".getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(publisher.getPrivate());
        s.update(Files.readAllBytes(
                Files.writeString(dir.resolve("m"), "{\"format\": \"safenet-national-feed/1\", \"serial\": -3}")));
        feed.put("/feed/manifest.json.sig", Base64.getEncoder().encode(s.sign()));
        SyncResult r = sync.syncNow("national", "manual");
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(r.detail()).contains("\"serial\" is missing or not a non-negative integer");
    }
}
