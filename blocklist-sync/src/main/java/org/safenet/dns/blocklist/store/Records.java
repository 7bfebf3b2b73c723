package org.safenet.dns.blocklist.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BiPredicate;
import org.jspecify.annotations.Nullable;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * A plain key-value view of one column family of the store, under a key prefix: what the admin
 * API keeps beside the list (statistics buckets, the audit trail, API tokens, appeal reviews).
 * Keys passed in and handed back are without the prefix.
 */
public final class Records {
    private final RocksDB db;
    private final ColumnFamilyHandle family;
    private final byte[] prefix;
    private final boolean durable;

    Records(RocksDB db, ColumnFamilyHandle family, String prefix, boolean durable) {
        this.db = db;
        this.family = family;
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException("a record prefix ends in '/': " + prefix);
        }
        this.prefix = prefix.getBytes(StandardCharsets.US_ASCII);
        this.durable = durable;
    }

    private byte[] full(byte[] key) {
        byte[] k = Arrays.copyOf(prefix, prefix.length + key.length);
        System.arraycopy(key, 0, k, prefix.length, key.length);
        return k;
    }

    /** Writes {@code key}; synced to disk first if this view is durable (audit, tokens). */
    public void put(byte[] key, byte[] value) throws BlocklistStore.StoreException {
        try (WriteOptions options = new WriteOptions().setSync(durable)) {
            db.put(family, options, full(key), value);
        } catch (RocksDBException e) {
            throw new BlocklistStore.StoreException("cannot write to the store: " + e.getMessage(), e);
        }
    }

    /** Writes every key-value pair in one atomic batch: all or none. */
    public void putAll(java.util.List<java.util.Map.Entry<byte[], byte[]>> pairs) throws BlocklistStore.StoreException {
        try (org.rocksdb.WriteBatch batch = new org.rocksdb.WriteBatch();
                WriteOptions options = new WriteOptions().setSync(durable)) {
            for (java.util.Map.Entry<byte[], byte[]> p : pairs) {
                batch.put(family, full(p.getKey()), p.getValue());
            }
            db.write(options, batch);
        } catch (RocksDBException e) {
            throw new BlocklistStore.StoreException("cannot write to the store: " + e.getMessage(), e);
        }
    }

    public byte @Nullable [] get(byte[] key) throws BlocklistStore.StoreException {
        try {
            return db.get(family, full(key));
        } catch (RocksDBException e) {
            throw new BlocklistStore.StoreException("cannot read the store: " + e.getMessage(), e);
        }
    }

    public void delete(byte[] key) throws BlocklistStore.StoreException {
        try (WriteOptions options = new WriteOptions().setSync(durable)) {
            db.delete(family, options, full(key));
        } catch (RocksDBException e) {
            throw new BlocklistStore.StoreException("cannot delete from the store: " + e.getMessage(), e);
        }
    }

    /** Deletes every key in {@code [from, to)}. */
    public void deleteRange(byte[] from, byte[] to) throws BlocklistStore.StoreException {
        try {
            db.deleteRange(family, full(from), full(to));
        } catch (RocksDBException e) {
            throw new BlocklistStore.StoreException("cannot delete from the store: " + e.getMessage(), e);
        }
    }

    /**
     * Visits keys in {@code [from, to)} in order ({@code to} null: to the end of the view), or in
     * reverse order from just below {@code to}; stops when {@code each} returns false.
     */
    public void scan(byte[] from, byte @Nullable [] to, boolean reverse, BiPredicate<byte[], byte[]> each) {
        byte[] lo = full(from);
        byte[] hi = to == null ? endOfView() : full(to);
        try (RocksIterator it = db.newIterator(family)) {
            if (reverse) {
                it.seekForPrev(hi);
                if (it.isValid() && Arrays.compareUnsigned(it.key(), hi) >= 0) {
                    it.prev();
                }
            } else {
                it.seek(lo);
            }
            for (; it.isValid(); step(it, reverse)) {
                byte[] k = it.key();
                if (Arrays.compareUnsigned(k, lo) < 0 || Arrays.compareUnsigned(k, hi) >= 0) {
                    break;
                }
                if (!each.test(Arrays.copyOfRange(k, prefix.length, k.length), it.value())) {
                    break;
                }
            }
        }
    }

    private static void step(RocksIterator it, boolean reverse) {
        if (reverse) {
            it.prev();
        } else {
            it.next();
        }
    }

    /** The first key after every key of the view: the prefix with its last byte + 1 (prefixes end in '/'). */
    private byte[] endOfView() {
        byte[] end = prefix.clone();
        end[end.length - 1]++;
        return end;
    }
}
