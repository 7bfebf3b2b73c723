package org.safenet.dns.blocklist.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.testkit.FakeClock;
import org.safenet.dns.testkit.SharedData;

/**
 * Syncing HTTP sources from a real HTTP server on loopback serving real lists from shared/data,
 * into a real store, live in a real index. Each bad feed must end with its reason and the old
 * list intact.
 */
class SyncServiceHttpTest {
    @TempDir
    Path dir;

    private FeedServer feed;
    private BlocklistStore store;
    private LiveList live;
    private SyncService sync;
    private final FakeClock clock = new FakeClock();

    /** The vn-badsite list's names, read independently of our parser: non-comment lines, lowercased. */
    private static List<String> vnNames() throws IOException {
        Set<String> names = new LinkedHashSet<>();
        for (String l : Files.readAllLines(SharedData.path("vn/chongluadao-vn-badsite-filter-domains.txt"))) {
            String t = l.trim().toLowerCase(Locale.ROOT);
            if (!t.isEmpty() && !t.startsWith("#")) {
                names.add(t);
            }
        }
        return new ArrayList<>(names);
    }

    private static byte[] lines(List<String> names) {
        return (String.join("\n", names) + "\n").getBytes(StandardCharsets.UTF_8);
    }

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
        live.reconfigure(c -> PolicyAction.SINKHOLE, sync::precedence);
    }

    @AfterEach
    void stop() {
        sync.close();
        store.close();
        feed.close();
    }

    private SourceSpec http(String name, String path, SourceSpec.Rails rails) {
        return spec(name, path, rails, null, null);
    }

    private SourceSpec spec(String name, String path, SourceSpec.Rails rails, String sha256, String publicKey) {
        return SourceSpec.builder(name, SourceSpec.Type.HTTP, "scam")
                .url(feed.uri(path))
                .sha256(sha256)
                .publicKey(publicKey)
                .rails(rails)
                .build();
    }

    private boolean blocked(String name) {
        return live.policy().decide(org.safenet.dns.blocklist.index.PolicyProbe.query(name)) != null;
    }

    @Test
    void firstSync_thenNotModified_thenAChangeWithExactCounts() throws Exception {
        List<String> names = vnNames();
        feed.put("/vn.txt", lines(names));
        sync.setSources(List.of(http("vn", "/vn.txt", SourceSpec.Rails.defaults())));

        SyncResult first = sync.syncNow("vn", "manual");
        assertThat(first.outcome()).isEqualTo(SyncResult.Outcome.APPLIED);
        assertThat(first.added()).isEqualTo(names.size() - first.rejected() - first.invalid());
        assertThat(store.sourceSize("vn")).isEqualTo(first.added());
        assertThat(blocked("www." + names.get(10))).isTrue();
        // The reason names the feed's line, not the name of the download's temporary copy.
        String reversed = org.safenet.dns.blocklist.store.ReversedName.fromWire(
                org.safenet.dns.resolver.wire.DnsNames.toWire(names.get(10)));
        assertThat(store.blockEntriesFor(reversed))
                .singleElement()
                .satisfies(e -> assertThat(e.reason()).matches("line \\d+"));

        SyncResult again = sync.syncNow("vn", "manual");
        assertThat(again.outcome()).isEqualTo(SyncResult.Outcome.UNCHANGED);
        assertThat(again.detail()).contains("304");
        assertThat(feed.requests.getLast()).as("conditional request").doesNotEndWith(" null");
        assertThat(again.versionAfter()).isEqualTo(first.versionAfter());

        // The publisher drops 100 names and adds 50 (names from another real list).
        List<String> extra = new ArrayList<>();
        for (String l : Files.readAllLines(SharedData.path("vn/hostsvn-threat.domains.txt"))) {
            String t = l.trim().toLowerCase(Locale.ROOT);
            if (!t.isEmpty()
                    && !t.startsWith("#")
                    && !names.contains(t)
                    && t.split("\\.").length >= 2
                    && t.matches("[a-z0-9.-]+")
                    && extra.size() < 50) {
                extra.add(t);
            }
        }
        List<String> next = new ArrayList<>(names.subList(100, names.size()));
        next.addAll(extra);
        feed.put("/vn.txt", lines(next));
        SyncResult changed = sync.syncNow("vn", "manual");
        assertThat(changed.outcome()).isEqualTo(SyncResult.Outcome.APPLIED);
        assertThat(changed.added()).isEqualTo(50);
        assertThat(changed.removed()).isEqualTo(100);
        assertThat(changed.versionAfter()).isEqualTo(first.versionAfter() + 1);
        assertThat(blocked(names.get(5))).as("removed").isFalse();
        assertThat(blocked(extra.get(7))).as("added").isTrue();
        assertThat(sync.history("vn"))
                .extracting(SyncResult::outcome)
                .containsExactly(SyncResult.Outcome.APPLIED, SyncResult.Outcome.UNCHANGED, SyncResult.Outcome.APPLIED);
    }

    /** Syncs a good list, then a bad update; returns the bad attempt after checking nothing changed. */
    private SyncResult badUpdateKeepsTheOldList(SourceSpec spec, Runnable breakTheFeed) throws Exception {
        feed.put("/vn.txt", lines(vnNames()));
        sync.setSources(List.of(spec));
        SyncResult good = sync.syncNow(spec.name(), "manual");
        assertThat(good.outcome()).isEqualTo(SyncResult.Outcome.APPLIED);
        long size = store.sourceSize(spec.name());
        breakTheFeed.run();
        SyncResult bad = sync.syncNow(spec.name(), "manual");
        assertThat(store.listVersion()).as("no new version").isEqualTo(good.versionAfter());
        assertThat(store.sourceSize(spec.name())).as("the old list intact").isEqualTo(size);
        assertThat(blocked(vnNames().get(10))).isTrue();
        return bad;
    }

    @Test
    void truncatedGzip_fails_andKeepsTheOldList() throws Exception {
        byte[] gz = Files.readAllBytes(SharedData.path("aggregate/hagezi-gambling.domains.txt.gz"));
        SyncResult bad = badUpdateKeepsTheOldList(
                http("vn", "/vn.txt", SourceSpec.Rails.defaults()),
                () -> feed.put("/vn.txt", java.util.Arrays.copyOf(gz, gz.length / 2)));
        assertThat(bad.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(bad.detail()).containsIgnoringCase("unexpected end").contains("the last good list stays live");
    }

    @Test
    void wrongChecksum_fails() throws Exception {
        String sha = Signatures.sha256(SharedData.path("vn/chongluadao-vn-badsite-filter-domains.txt"));
        SourceSpec spec = spec("vn", "/vn.txt", SourceSpec.Rails.defaults(), "0".repeat(64), null);
        feed.put("/vn.txt", lines(vnNames()));
        sync.setSources(List.of(spec));
        SyncResult r = sync.syncNow("vn", "manual");
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(r.detail()).contains("checksum mismatch");
        assertThat(store.sourceSize("vn")).isZero();
        assertThat(sha).hasSize(64);
    }

    @Test
    void signature_goodIsApplied_badIsRefused() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
        KeyPair publisher = g.generateKeyPair();
        KeyPair attacker = g.generateKeyPair();
        String publicKey =
                Base64.getEncoder().encodeToString(publisher.getPublic().getEncoded());
        byte[] list = lines(vnNames());
        feed.put("/vn.txt", list);
        feed.put("/vn.txt.sig", Base64.getEncoder().encode(sign(publisher, list)));
        SourceSpec spec = spec("vn", "/vn.txt", SourceSpec.Rails.defaults(), null, publicKey);
        SyncResult bad = badUpdateKeepsTheOldList(spec, () -> {
            byte[] evil = lines(List.of("vietcombank.com.vn", "google.com"));
            feed.put("/vn.txt", evil);
            feed.put("/vn.txt.sig", Base64.getEncoder().encode(sign(attacker, evil)));
        });
        assertThat(bad.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(bad.detail()).contains("bad signature");
        assertThat(blocked("vietcombank.com.vn")).isFalse();
    }

    private static byte[] sign(KeyPair k, byte[] data) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(k.getPrivate());
            s.update(data);
            return s.sign();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void oversizedDownload_fails() throws Exception {
        SourceSpec.Rails small = new SourceSpec.Rails(50, 200, 100, 300_000, Duration.ofSeconds(30));
        SyncResult bad = badUpdateKeepsTheOldList(http("vn", "/vn.txt", small), () -> {
            try {
                feed.put("/vn.txt", Files.readAllBytes(SharedData.path("vn/hostsvn-gambling.domains.txt")));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(bad.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(bad.detail()).contains("more than the limit of 300000");
    }

    @Test
    void slowServer_pastTheTimeout_fails() throws Exception {
        SourceSpec.Rails quick = new SourceSpec.Rails(50, 200, 100, 256L << 20, Duration.ofMillis(1500));
        List<String> names = vnNames();
        SyncResult bad = badUpdateKeepsTheOldList(http("vn", "/vn.txt", quick), () -> {
            feed.put("/vn.txt", lines(names.subList(0, 5000)));
            feed.trickle("/vn.txt", 200); // ~80 KiB at 1 KiB per 200 ms: 16 s
        });
        assertThat(bad.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(bad.detail()).contains("not complete within 1500 ms");
    }

    @Test
    void feedBlockingATldOrAProtectedDomain_thoseEntriesAreRefused() throws Exception {
        List<String> names = vnNames();
        feed.put("/vn.txt", lines(names));
        sync.setSources(List.of(http("vn", "/vn.txt", SourceSpec.Rails.defaults())));
        SyncResult clean = sync.syncNow("vn", "manual");
        List<String> poisoned = new ArrayList<>(List.of("com", "gov.vn", "dichvucong.gov.vn", "github.io"));
        poisoned.addAll(names);
        feed.put("/vn.txt", lines(poisoned));
        SyncResult r = sync.syncNow("vn", "manual");
        // A bare TLD is not even a valid list line (the parser wants a registrable name); the rest are refused.
        assertThat(r.invalid()).isEqualTo(clean.invalid() + 1);
        assertThat(r.rejected()).isEqualTo(clean.rejected() + 3);
        assertThat(r.rejectedSample().subList(0, 3))
                .containsExactly(
                        "line 2 gov.vn.: protected domain gov.vn.",
                        "line 3 dichvucong.gov.vn.: protected domain gov.vn.",
                        "line 4 github.io.: a public suffix (blocking it would block every site under it)");
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.UNCHANGED);
        assertThat(blocked("vietcombank.com")).isFalse();
        assertThat(blocked("dichvucong.gov.vn")).isFalse();
        assertThat(blocked(names.get(10))).isTrue();
    }

    @Test
    void rpzFeedWithTldTriggers_allowedBySourceSetting_countedInTheSyncResult() throws Exception {
        feed.put(
                "/tld.rpz",
                "zip CNAME .\n*.zip CNAME .\nmov CNAME .\ngov.vn CNAME .\nbad.example CNAME .\n"
                        .getBytes(StandardCharsets.UTF_8));
        SourceSpec base = SourceSpec.builder("tld", SourceSpec.Type.HTTP, "scam")
                .url(feed.uri("/tld.rpz"))
                .format(ListFormat.RPZ)
                .build();
        sync.setSources(List.of(base));
        SyncResult strict = sync.syncNow("tld", "manual");
        assertThat(strict.rejected()).isEqualTo(4);
        assertThat(blocked("www.zip")).isFalse();
        sync.setSources(List.of(SourceSpec.builder("tld", SourceSpec.Type.HTTP, "scam")
                .url(feed.uri("/tld.rpz"))
                .format(ListFormat.RPZ)
                .allowPublicSuffixes(true)
                .build()));
        SyncResult allowed = sync.syncNow("tld", "manual");
        assertThat(allowed.rejected()).as("gov.vn stays protected").isEqualTo(1);
        assertThat(allowed.detail())
                .contains("3 triggers on a public suffix or a single label, allowed by allowPublicSuffixes");
        assertThat(blocked("www.zip")).isTrue();
        assertThat(blocked("zip")).isTrue();
        assertThat(blocked("dichvucong.gov.vn")).isFalse();
    }

    @Test
    void feedShrinkingBy90Percent_isHeld_untilApproved() throws Exception {
        List<String> names = vnNames();
        SyncResult held = badUpdateKeepsTheOldList(
                http("vn", "/vn.txt", SourceSpec.Rails.defaults()),
                () -> feed.put("/vn.txt", lines(names.subList(0, names.size() / 10))));
        assertThat(held.outcome()).isEqualTo(SyncResult.Outcome.HELD);
        assertThat(held.detail()).contains("more than rails.maxRemovePercent 50%");
        assertThat(sync.held("vn")).isPresent();
        assertThat(sync.syncNow("vn", "manual").outcome())
                .as("still held on the next sync")
                .isEqualTo(SyncResult.Outcome.HELD);

        SyncResult approved = sync.approve("vn");
        assertThat(approved.outcome()).isEqualTo(SyncResult.Outcome.APPLIED);
        assertThat(approved.removed()).isEqualTo(held.removed());
        assertThat(store.sourceSize("vn")).isEqualTo(names.size() / 10 - held.rejected() - held.invalid());
        assertThat(blocked(names.get(names.size() - 1))).isFalse();
        assertThat(sync.held("vn")).isEmpty();
        assertThat(sync.syncNow("vn", "manual").outcome()).isEqualTo(SyncResult.Outcome.UNCHANGED);
    }

    @Test
    void heldUpdate_canBeDiscarded() throws Exception {
        List<String> names = vnNames();
        badUpdateKeepsTheOldList(
                http("vn", "/vn.txt", SourceSpec.Rails.defaults()),
                () -> feed.put("/vn.txt", lines(names.subList(0, 100))));
        assertThat(sync.discard("vn").outcome()).isEqualTo(SyncResult.Outcome.DISCARDED);
        assertThat(sync.held("vn")).isEmpty();
    }

    @Test
    void bearerToken_isSent_andAMissingOneSaysWhatToCheck() throws Exception {
        feed.put("/vn.txt", lines(vnNames()));
        feed.requireToken("s3cret-feed-token");
        sync.setSources(List.of(http("vn", "/vn.txt", SourceSpec.Rails.defaults())));
        SyncResult denied = sync.syncNow("vn", "manual");
        assertThat(denied.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
        assertThat(denied.detail()).contains("HTTP 401 (check the source's bearerToken or client certificate)");
        SourceSpec base = http("vn", "/vn.txt", SourceSpec.Rails.defaults());
        sync.putSource(base.toBuilder().bearerToken("s3cret-feed-token").build());
        assertThat(sync.syncNow("vn", "manual").outcome()).isEqualTo(SyncResult.Outcome.APPLIED);
    }

    @Test
    void purge_removesEverySourceEntry_onlyOnceTheSourceIsOff() throws Exception {
        List<String> names = vnNames();
        feed.put("/vn.txt", lines(names));
        sync.setSources(List.of(http("vn", "/vn.txt", SourceSpec.Rails.defaults())));
        sync.syncNow("vn", "manual");
        assertThatThrownBy(() -> sync.purge("vn")).hasMessageContaining("disable or remove it first");
        assertThat(sync.setEnabled("vn", false)).isTrue();
        SyncResult purged = sync.purge("vn");
        assertThat(purged.removed())
                .isEqualTo(names.size()
                        - sync.history("vn").getFirst().rejected()
                        - sync.history("vn").getFirst().invalid());
        assertThat(store.sourceSize("vn")).isZero();
        assertThat(blocked(names.get(10))).isFalse();
    }

    @Test
    void aSourceMovedToAnotherUrl_startsAfresh() throws Exception {
        feed.put("/a.txt", lines(vnNames().subList(0, 500)));
        feed.put("/b.txt", lines(vnNames().subList(0, 500)));
        sync.setSources(List.of(http("vn", "/a.txt", SourceSpec.Rails.defaults())));
        sync.syncNow("vn", "manual");
        assertThat(sync.state("vn").etag()).isNotNull();
        List<String> said = sync.setSources(List.of(http("vn", "/b.txt", SourceSpec.Rails.defaults())));
        assertThat(said).contains("source vn now comes from elsewhere: its feed state was reset");
        assertThat(sync.state("vn").etag()).isNull();
        assertThat(feed.requests.getLast()).endsWith(" null"); // the last request was still to /a.txt
        assertThat(sync.syncNow("vn", "manual").outcome()).isEqualTo(SyncResult.Outcome.UNCHANGED);
        assertThat(feed.requests.getLast()).isEqualTo("GET /b.txt null"); // unconditional: a new origin
    }

    @Test
    void failingSource_backsOffExponentially() {
        sync.setSources(List.of(http("gone", "/missing.txt", SourceSpec.Rails.defaults())));
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            SyncResult r = sync.syncNow("gone", "manual");
            assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.FAILED);
            assertThat(r.detail()).contains("HTTP 404");
            delays.add(sync.state("gone").nextAttemptMillis() - clock.getAsLong());
        }
        assertThat(delays).containsExactly(30_000L, 60_000L, 120_000L, 240_000L);
        assertThat(sync.state("gone").consecutiveFailures()).isEqualTo(4);
    }

    @Test
    void sameNameFromTwoSources_staysUntilBothDropIt() throws Exception {
        feed.put("/a.txt", lines(List.of("shared-scam.example", "only-a.example")));
        feed.put("/b.txt", lines(List.of("shared-scam.example", "only-b.example")));
        SourceSpec.Rails rails = new SourceSpec.Rails(100, 1000, 100, 1 << 20, Duration.ofSeconds(30));
        sync.setSources(List.of(http("a", "/a.txt", rails), http("b", "/b.txt", rails)));
        sync.syncNow("a", "manual");
        sync.syncNow("b", "manual");
        feed.put("/a.txt", lines(List.of("only-a.example")));
        assertThat(sync.syncNow("a", "manual").removed()).isEqualTo(1);
        assertThat(blocked("shared-scam.example")).as("b still lists it").isTrue();
        feed.put("/b.txt", lines(List.of("only-b.example")));
        sync.syncNow("b", "manual");
        assertThat(blocked("shared-scam.example")).as("both dropped it").isFalse();
        assertThat(store.blockEntriesFor("example.shared-scam")).isEmpty();
        assertThat(store.entryOf(BlocklistStore.SIDE_BLOCK, "example.only-a", Match.SUBTREE, "a"))
                .isNotNull();
        sync.setSources(List.of(http("b", "/b.txt", rails)));
        assertThat(sync.unconfiguredWithEntries()).containsExactly(java.util.Map.entry("a", 1L));
    }
}
