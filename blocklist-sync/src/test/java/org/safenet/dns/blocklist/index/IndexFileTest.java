package org.safenet.dns.blocklist.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;

/** The saved index answers exactly as the build it was saved from, and is refused whenever it may not. */
class IndexFileTest {
    @TempDir
    Path dir;

    private static final Map<String, PolicyAction> ACTIONS =
            Map.of("scam", PolicyAction.SINKHOLE, "phishing", PolicyAction.NXDOMAIN, "malware", PolicyAction.SINKHOLE);
    private static final Function<String, @Nullable PolicyAction> CATEGORIES = ACTIONS::get;
    private static final ToIntFunction<String> PRECEDENCE = s -> s.equals("operator") ? 500 : 100;
    private static final List<String> PROBES = List.of(
            "vay-tien.vn",
            "www.vay-tien.vn",
            "ok.vay-tien.vn",
            "a.ok.vay-tien.vn",
            "exact.example.com",
            "www.exact.example.com",
            "star.example.com",
            "x.star.example.com",
            "walled.com",
            "local.net",
            "garden.net",
            "ads.tracker.org",
            "other.org",
            "com",
            "both.example.com");
    private static final long EXPIRES = 50_000;

    private BlocklistStore store;
    private Path file;

    private static StoredEntry entry(
            String reversed, Match match, Action action, String category, String source, long expires, String data) {
        return new StoredEntry(reversed, match, action, category, source, "", 1, expires, data);
    }

    @BeforeEach
    void fill() throws Exception {
        store = BlocklistStore.open(dir.resolve("store"));
        file = dir.resolve("store").resolve(IndexFile.NAME);
        new LiveList(store, CATEGORIES, PRECEDENCE, () -> 0, 10)
                .apply(new BlocklistStore.Changes()
                        .block(entry("vn.vay-tien", Match.SUBTREE, Action.BLOCK, "scam", "national", 0, null))
                        .allow(entry("vn.vay-tien.ok", Match.SUBTREE, Action.ALLOW, "scam", "operator", 0, null))
                        .block(entry("com.example.exact", Match.EXACT, Action.BLOCK, "phishing", "national", 0, null))
                        .block(entry("com.example.star", Match.DESCENDANTS, Action.NXDOMAIN, "scam", "rpz", 0, null))
                        .block(entry("com.walled", Match.EXACT, Action.CNAME, "scam", "rpz", 0, "garden.example."))
                        .block(entry("net.local", Match.EXACT, Action.LOCAL_A, "scam", "rpz", 0, "192.0.2.7"))
                        .block(entry(
                                "net.garden",
                                Match.EXACT,
                                Action.LOCAL_DATA,
                                "scam",
                                "rpz",
                                0,
                                "120 TXT \"walled\" \"garden\"\nMX 10 mail.garden.net.\n60 A 192.0.2.8"))
                        .block(entry("org.tracker.ads", Match.EXACT, Action.BLOCK, "ads", "national", 0, null))
                        .block(entry("com.example.both", Match.EXACT, Action.BLOCK, "scam", "national", EXPIRES, null))
                        .block(entry("com.example.both", Match.EXACT, Action.BLOCK, "malware", "operator", 0, null))
                        .ip(entry("198.51.100.0/24", Match.SUBTREE, Action.BLOCK, "malware", "national", 0, null))
                        .ip(entry("203.0.113.9/32", Match.SUBTREE, Action.NXDOMAIN, "malware", "national", 0, null))
                        .ip(entry("client:192.0.2.0/28", Match.EXACT, Action.DROP, "malware", "rpz", 0, null))
                        .counted("national", 7)
                        .counted("operator", 2)
                        .counted("rpz", 3));
    }

    @org.junit.jupiter.api.AfterEach
    void close() {
        store.close();
    }

    private IndexLoader.LoadResult build() throws Exception {
        return new IndexLoader(CATEGORIES, () -> 0, PRECEDENCE).load(store);
    }

    private IndexLoader.LoadResult read(long now) throws Exception {
        return IndexFile.read(file, store.listVersion(), CATEGORIES, PRECEDENCE, now);
    }

    private static void assertSameDecisions(BlocklistPolicy.Snapshot a, BlocklistPolicy.Snapshot b) {
        BlocklistPolicy pa = new BlocklistPolicy(a);
        BlocklistPolicy pb = new BlocklistPolicy(b);
        for (String name : PROBES) {
            Verdict va = pa.decide(PolicyProbe.query(name));
            Verdict vb = pb.decide(PolicyProbe.query(name));
            assertThat(vb).as(name).isEqualTo(va);
            if (va != null) {
                assertThat(vb.toString()).as(name).isEqualTo(va.toString());
                assertThat(vb.localData()).as(name).isEqualTo(va.localData());
            }
        }
        for (byte[] address :
                List.of(new byte[] {(byte) 198, 51, 100, 5}, new byte[] {(byte) 203, 0, 113, 9}, new byte[] {
                    (byte) 203, 0, 113, 10
                })) {
            assertThat(pb.decideAddress(address)).as(Arrays.toString(address)).isEqualTo(pa.decideAddress(address));
        }
        assertThat(pb.decide(PolicyProbe.query("garden.net")).localData())
                .extracting(r -> r.type() + "/" + r.ttl())
                .containsExactly("16/120", "15/-1", "1/60");
        byte[] client = {(byte) 192, 0, 2, 9};
        assertThat(pa.decideClient(client, -1).action()).isEqualTo(PolicyAction.DROP);
        assertThat(pb.decideClient(client, -1)).isEqualTo(pa.decideClient(client, -1));
        assertThat(pb.decideAddress(client))
                .as("a client trigger is not an answer's")
                .isNull();
    }

    @Test
    void savedIndex_decidesAsTheBuildItWasSavedFrom() throws Exception {
        IndexLoader.LoadResult built = build();
        assertThat(built.blocked()).isGreaterThan(5);
        IndexFile.write(file, built);
        IndexLoader.LoadResult read = read(0);
        assertSameDecisions(built.snapshot(), read.snapshot());
        assertThat(new BlocklistPolicy(read.snapshot()).decide(PolicyProbe.query("www.vay-tien.vn")))
                .isNotNull();
        assertThat(read.snapshot().version()).isEqualTo(built.snapshot().version());
        assertThat(read.snapshot().seed()).isEqualTo(built.snapshot().seed());
        assertThat(List.of(read.blocked(), read.allowed(), read.skipped()))
                .isEqualTo(List.of(built.blocked(), built.allowed(), built.skipped()));
        assertThat(read.inputs()).isEqualTo(built.inputs());
        assertThat(Files.exists(file.resolveSibling(IndexFile.NAME + ".tmp"))).isFalse();
    }

    @Test
    void missingFile_isRefused() {
        assertThatThrownBy(() -> read(0)).isInstanceOf(IndexFile.Refused.class).hasMessageContaining("no saved index");
    }

    @Test
    void truncatedFile_isRefusedAtEveryLength() throws Exception {
        IndexFile.write(file, build());
        byte[] whole = Files.readAllBytes(file);
        for (int length :
                new int[] {0, 7, 12, 40, whole.length / 3, whole.length / 2, whole.length - 5, whole.length - 1}) {
            Files.write(file, Arrays.copyOf(whole, length));
            assertThatThrownBy(() -> read(0))
                    .as("cut at %d of %d", length, whole.length)
                    .isInstanceOf(IndexFile.Refused.class);
        }
        Files.write(file, Arrays.copyOf(whole, whole.length + 1));
        assertThatThrownBy(() -> read(0))
                .isInstanceOf(IndexFile.Refused.class)
                .hasMessageContaining("after the checksum");
    }

    @Test
    void corruptedFile_isRefused() throws Exception {
        IndexFile.write(file, build());
        byte[] whole = Files.readAllBytes(file);
        for (int at = 20; at < whole.length; at += Math.max(1, whole.length / 97)) {
            byte[] bad = whole.clone();
            bad[at] ^= 0x20;
            Files.write(file, bad);
            int where = at;
            assertThatThrownBy(() -> read(0)).as("byte %d flipped", where).isInstanceOf(IndexFile.Refused.class);
        }
        byte[] bad = whole.clone();
        bad[0] = 'X';
        Files.write(file, bad);
        assertThatThrownBy(() -> read(0)).hasMessageContaining("not a SafeNet DNS index file");
    }

    @Test
    void olderListVersion_isRefused() throws Exception {
        IndexFile.write(file, build());
        new LiveList(store, CATEGORIES, PRECEDENCE, () -> 0, 10)
                .apply(new BlocklistStore.Changes()
                        .block(entry("vn.moi", Match.SUBTREE, Action.BLOCK, "scam", "national", 0, null))
                        .counted("national", 1));
        assertThatThrownBy(() -> read(0)).isInstanceOf(IndexFile.Refused.class).hasMessageContaining("list version");
    }

    @Test
    void changedCategoryAction_changedPrecedence_orExpiredEntry_isRefused() throws Exception {
        IndexFile.write(file, build());
        assertThat(read(EXPIRES - 1).blocked()).isPositive();
        assertThatThrownBy(() -> read(EXPIRES)).hasMessageContaining("expiry");
        // "ads" was off when the index was built: turning it on must rebuild.
        Function<String, @Nullable PolicyAction> adsOn = c -> c.equals("ads") ? PolicyAction.NXDOMAIN : ACTIONS.get(c);
        assertThatThrownBy(() -> IndexFile.read(file, store.listVersion(), adsOn, PRECEDENCE, 0))
                .isInstanceOf(IndexFile.Refused.class);
        ToIntFunction<String> flipped = s -> s.equals("operator") ? 1 : 100;
        assertThatThrownBy(() -> IndexFile.read(file, store.listVersion(), CATEGORIES, flipped, 0))
                .isInstanceOf(IndexFile.Refused.class);
    }

    @Test
    void liveList_savesAtItsFirstBuild_readsItBackNextTime_andRebuildsWhenTheStoreMovedOn() throws Exception {
        LiveList first = new LiveList(store, CATEGORIES, PRECEDENCE, () -> 0, 10, file);
        assertThat(first.savedIndexUsed()).isFalse();
        first.awaitSaved();
        assertThat(file).exists();

        LiveList second = new LiveList(store, CATEGORIES, PRECEDENCE, () -> 0, 10, file);
        assertThat(second.savedIndexUsed()).isTrue();
        assertSameDecisions(first.policy().snapshot(), second.policy().snapshot());

        // A live edit is overlaid (no full build, so nothing saved): the next start must rebuild.
        second.apply(new BlocklistStore.Changes()
                .block(entry("vn.moi", Match.SUBTREE, Action.BLOCK, "scam", "national", 0, null))
                .counted("national", 1));
        second.awaitSaved();
        LiveList third = new LiveList(store, CATEGORIES, PRECEDENCE, () -> 0, 10, file);
        assertThat(third.savedIndexUsed()).isFalse();
        assertThat(third.policy().decide(PolicyProbe.query("www.moi.vn"))).isNotNull();
        third.awaitSaved();
        assertThat(new LiveList(store, CATEGORIES, PRECEDENCE, () -> 0, 10, file).savedIndexUsed())
                .isTrue();
    }
}
