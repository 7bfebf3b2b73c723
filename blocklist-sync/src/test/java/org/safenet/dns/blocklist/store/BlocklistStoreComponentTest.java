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
            assertThat(s.apply(new BlocklistStore.Changes().removeBlock("com.bank-fake.www", Match.EXACT)))
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

    @Test
    void reversedName_roundTrips() {
        byte[] wire = DnsNames.toWire("a.b.example.com");
        assertThat(ReversedName.fromWire(wire)).isEqualTo("com.example.b.a");
        assertThat(ReversedName.toWire("com.example.b.a")).isEqualTo(wire);
    }
}
