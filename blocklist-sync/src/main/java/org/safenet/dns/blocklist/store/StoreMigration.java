package org.safenet.dns.blocklist.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Upgrades a store written by an older SafeNet DNS, in place, at open. Each step is idempotent and
 * moves records in batches that are each atomic, so a crash mid-way resumes on the next open.
 */
final class StoreMigration {
    private StoreMigration() {}

    private static final int BATCH = 50_000;

    /**
     * Format 1 to 2: entry keys gain the source (format 1 kept one record per name and match), and
     * every entry is indexed by source with a count per source. A format-1 key is recognised by its
     * shape: the first 0 byte is the second-to-last.
     */
    static void toVersion2(
            RocksDB db,
            ColumnFamilyHandle entries,
            ColumnFamilyHandle allow,
            ColumnFamilyHandle ip,
            ColumnFamilyHandle bySource,
            ColumnFamilyHandle sources)
            throws RocksDBException {
        ColumnFamilyHandle[] families = {entries, allow, ip};
        Map<String, Long> counts = new HashMap<>();
        try (WriteOptions sync = new WriteOptions().setSync(true)) {
            for (int side = 0; side < families.length; side++) {
                ColumnFamilyHandle cf = families[side];
                WriteBatch batch = new WriteBatch();
                try (RocksIterator it = db.newIterator(cf)) {
                    for (it.seekToFirst(); it.isValid(); it.next()) {
                        byte[] key = it.key();
                        StoredEntry e = StoredEntry.decode(key, it.value());
                        if (StoredEntry.nameEnd(key) == key.length - 2) {
                            batch.delete(cf, key);
                            batch.put(cf, e.key(), it.value());
                        }
                        batch.put(
                                bySource,
                                StoredEntry.sourceKey(e.source(), side, e.reversedName(), e.match()),
                                it.value());
                        counts.merge(e.source(), 1L, Long::sum);
                        if (batch.count() >= BATCH) {
                            db.write(sync, batch);
                            batch.close();
                            batch = new WriteBatch();
                        }
                    }
                    db.write(sync, batch);
                } finally {
                    batch.close();
                }
            }
            for (Map.Entry<String, Long> c : counts.entrySet()) {
                db.put(
                        sources,
                        sync,
                        ("count\0" + c.getKey()).getBytes(StandardCharsets.UTF_8),
                        ByteBuffer.allocate(8).putLong(c.getValue()).array());
            }
        }
    }
}
