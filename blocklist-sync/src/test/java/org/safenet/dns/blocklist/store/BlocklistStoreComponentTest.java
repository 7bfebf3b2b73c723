package org.safenet.dns.blocklist.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.resolver.wire.DnsNames;

/** A real RocksDB in a temporary directory. */
class BlocklistStoreComponentTest {
    @TempDir
    Path dir;

    private static StoredEntry entry(String name, Match match, String category) {
        return new StoredEntry(
                ReversedName.fromWire(DnsNames.toWire(name)),
                match,
                Action.BLOCK,
                category,
                "test",
                "a reason",
                1_700_000_000_000L,
                0,
                null);
    }

    @Test
    void apply_bumpsVersion_andSurvivesReopen() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir)) {
            assertThat(s.listVersion()).isZero();
            long v = s.apply(new BlocklistStore.Changes()
                    .block(entry("vay-tien.example.vn", Match.SUBTREE, "scam"))
                    .block(entry("www.bank-fake.com", Match.EXACT, "phishing"))
                    .allow(entry("bit.ly", Match.EXACT, "custom")));
            assertThat(v).isEqualTo(1);
        }
        try (BlocklistStore s = BlocklistStore.open(dir)) {
            assertThat(s.listVersion()).isEqualTo(1);
            List<StoredEntry> all = new ArrayList<>();
            s.forEachBlock(all::add);
            // Key order is zone order: com.bank-fake.www before vn.example.vay-tien.
            assertThat(all)
                    .extracting(StoredEntry::reversedName)
                    .containsExactly("com.bank-fake.www", "vn.example.vay-tien");
            assertThat(all.getFirst().category()).isEqualTo("phishing");
            assertThat(all.getFirst().reason()).isEqualTo("a reason");
            List<StoredEntry> allowed = new ArrayList<>();
            s.forEachAllow(allowed::add);
            assertThat(allowed).extracting(StoredEntry::reversedName).containsExactly("ly.bit");
            assertThat(s.apply(new BlocklistStore.Changes().removeBlock("com.bank-fake.www", Match.EXACT, "test")))
                    .isEqualTo(2);
            assertThat(s.blockEntriesFor("com.bank-fake.www")).isEmpty();
            assertThat(s.blockEntriesFor("vn.example.vay-tien")).hasSize(1);
        }
    }

    @Test
    void sameName_holdsEachMatchKind() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir)) {
            s.apply(new BlocklistStore.Changes()
                    .block(entry("example.org", Match.EXACT, "scam"))
                    .block(entry("example.org", Match.DESCENDANTS, "malware")));
            assertThat(s.blockEntriesFor("org.example"))
                    .extracting(StoredEntry::match)
                    .containsExactlyInAnyOrder(Match.EXACT, Match.DESCENDANTS);
            assertThat(s.blockEntriesFor("org.exampl"))
                    .as("prefix of a key is not the name")
                    .isEmpty();
        }
    }

    @Test
    void open_whileOpenElsewhere_saysItIsInUse() throws Exception {
        try (BlocklistStore first = BlocklistStore.open(dir)) {
            assertThatThrownBy(() -> BlocklistStore.open(dir))
                    .isInstanceOf(BlocklistStore.StoreException.class)
                    .hasMessageContaining("in use by another process");
        }
    }

    @Test
    void open_storeFromANewerVersion_isRefused() throws Exception {
        BlocklistStore.open(dir).close();
        // Stamp a future format version, as a newer release would.
        List<ColumnFamilyDescriptor> d =
                new ArrayList<>(List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY)));
        for (String f : BlocklistStore.FAMILIES) {
            d.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.US_ASCII)));
        }
        List<ColumnFamilyHandle> h = new ArrayList<>();
        try (DBOptions o = new DBOptions();
                RocksDB db = RocksDB.open(o, dir.toString(), d, h)) {
            db.put(
                    h.get(3),
                    "format".getBytes(StandardCharsets.US_ASCII),
                    ByteBuffer.allocate(4).putInt(99).array());
            h.forEach(ColumnFamilyHandle::close);
        }
        assertThatThrownBy(() -> BlocklistStore.open(dir)).hasMessageContaining("newer SafeNet DNS");
    }

    private static StoredEntry from(String source, String reversed, Match match) {
        return new StoredEntry(reversed, match, Action.BLOCK, "scam", source, "", 1, 0, null);
    }

    @Test
    void sameName_fromTwoSources_isTwoRecords_andEachSourceIsOneRange() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir)) {
            s.apply(new BlocklistStore.Changes()
                    .block(from("national", "vn.scam", Match.SUBTREE))
                    .block(from("school", "vn.scam", Match.SUBTREE))
                    .block(from("school", "com.other", Match.EXACT))
                    .counted("national", 1)
                    .counted("school", 2));
            assertThat(s.blockEntriesFor("vn.scam"))
                    .extracting(StoredEntry::source)
                    .containsExactly("national", "school");
            s.apply(new BlocklistStore.Changes()
                    .removeBlock("vn.scam", Match.SUBTREE, "school")
                    .counted("school", -1));
            assertThat(s.blockEntriesFor("vn.scam"))
                    .extracting(StoredEntry::source)
                    .containsExactly("national");
            List<StoredEntry> school = new ArrayList<>();
            s.forEachOfSource("school", BlocklistStore.SIDE_BLOCK, school::add);
            assertThat(school).extracting(StoredEntry::reversedName).containsExactly("com.other");
            assertThat(s.sourceSize("school")).isEqualTo(1);
            assertThat(s.sourceSize("national")).isEqualTo(1);
            assertThat(s.sourcesWithEntries()).containsExactly("national", "school");
        }
    }

    @Test
    void formatOneStore_isMigrated_keysGainTheSource() throws Exception {
        // A format-1 store as the previous release wrote it: key = reversed name, 0, match.
        List<ColumnFamilyDescriptor> d =
                new ArrayList<>(List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY)));
        for (String f : List.of("entries", "allow", "meta", "sources", "stats", "audit", "appeals", "ip")) {
            d.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.US_ASCII)));
        }
        List<ColumnFamilyHandle> h = new ArrayList<>();
        StoredEntry old = from("vn-scam", "vn.scam", Match.SUBTREE);
        byte[] name = "vn.scam".getBytes(StandardCharsets.US_ASCII);
        byte[] legacyKey = java.util.Arrays.copyOf(name, name.length + 2);
        legacyKey[name.length + 1] = (byte) Match.SUBTREE.ordinal();
        try (DBOptions o = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
                RocksDB db = RocksDB.open(o, dir.toString(), d, h)) {
            db.put(
                    h.get(3),
                    "format".getBytes(StandardCharsets.US_ASCII),
                    ByteBuffer.allocate(4).putInt(1).array());
            db.put(h.get(1), legacyKey, old.value());
            h.forEach(ColumnFamilyHandle::close);
        }
        try (BlocklistStore s = BlocklistStore.open(dir)) {
            assertThat(s.blockEntriesFor("vn.scam")).containsExactly(old);
            assertThat(s.sourceSize("vn-scam")).isEqualTo(1);
            // Removal by the new key works: the legacy key is gone.
            s.apply(new BlocklistStore.Changes().removeBlock("vn.scam", Match.SUBTREE, "vn-scam"));
            assertThat(s.blockEntriesFor("vn.scam")).isEmpty();
        }
    }

    @Test
    void history_keepsTheLastHundredPerSource() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir)) {
            for (int i = 0; i < 105; i++) {
                s.addHistory("national", i, ("run " + i).getBytes(StandardCharsets.UTF_8));
            }
            s.addHistory("other", 1, "x".getBytes(StandardCharsets.UTF_8));
            List<byte[]> h = s.history("national");
            assertThat(h).hasSize(BlocklistStore.HISTORY_PER_SOURCE);
            assertThat(new String(h.getFirst(), StandardCharsets.UTF_8)).isEqualTo("run 5");
            assertThat(new String(h.getLast(), StandardCharsets.UTF_8)).isEqualTo("run 104");
            assertThat(s.history("other")).hasSize(1);
        }
    }

    @Test
    void reversedName_roundTrips() {
        byte[] wire = DnsNames.toWire("a.b.example.com");
        assertThat(ReversedName.fromWire(wire)).isEqualTo("com.example.b.a");
        assertThat(ReversedName.toWire("com.example.b.a")).isEqualTo(wire);
    }
}
