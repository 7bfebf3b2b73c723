package org.safenet.dns.blocklist.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The blocklist's source of truth: RocksDB in the data dir, one column family per kind of
 * record. Every change is one {@link WriteBatch} that also bumps the list version, written with
 * sync, so a crash leaves either the whole change or none of it.
 *
 * <p>Column families: {@code entries} and {@code allow} (key: reversed name + match kind, value:
 * {@link StoredEntry}), {@code meta} (format and list version), and {@code sources}, {@code stats},
 * {@code audit}, {@code appeals}, created now so later milestones find them.
 */
public final class BlocklistStore implements AutoCloseable {
    /** The on-disk layout this code writes; bump with a migration when it changes. */
    public static final int FORMAT_VERSION = 1;

    static final List<String> FAMILIES =
            List.of("entries", "allow", "meta", "sources", "stats", "audit", "appeals", "ip");

    private static final byte[] FORMAT_KEY = "format".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VERSION_KEY = "list-version".getBytes(StandardCharsets.US_ASCII);

    static {
        RocksDB.loadLibrary();
    }

    private final DBOptions options;
    private final boolean readOnly;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final ColumnFamilyHandle entries;
    private final ColumnFamilyHandle allow;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle appeals;
    /** RPZ-IP triggers: key is the prefix text ("192.0.2.0/24") where the other families have a name. */
    private final ColumnFamilyHandle ip;

    private BlocklistStore(DBOptions options, RocksDB db, List<ColumnFamilyHandle> handles, boolean readOnly) {
        this.readOnly = readOnly;
        this.options = options;
        this.db = db;
        this.handles = handles;
        this.entries = handles.get(1);
        this.allow = handles.get(2);
        this.meta = handles.get(3);
        this.appeals = handles.get(7);
        this.ip = handles.get(8);
    }

    /**
     * Opens (creating if needed) the store in {@code dir}. Fails clearly if another process holds
     * it, or if a newer SafeNet DNS wrote it.
     */
    public static BlocklistStore open(Path dir) throws StoreException {
        return open(dir, false);
    }

    /**
     * Opens the store for reading only: works while an appliance holds it (RocksDB allows any
     * number of read-only openers beside the one writer) and sees what was written up to now.
     */
    public static BlocklistStore openReadOnly(Path dir) throws StoreException {
        if (!Files.isDirectory(dir)) {
            throw new StoreException("no blocklist store in " + dir + " (nothing imported yet?)");
        }
        return open(dir, true);
    }

    private static BlocklistStore open(Path dir, boolean readOnly) throws StoreException {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create the data directory " + dir + ": " + e.getMessage(), e);
        }
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
        for (String f : FAMILIES) {
            descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.US_ASCII)));
        }
        DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        try {
            db = readOnly
                    ? RocksDB.openReadOnly(options, dir.toString(), descriptors, handles)
                    : RocksDB.open(options, dir.toString(), descriptors, handles);
        } catch (RocksDBException e) {
            options.close();
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("lock")) {
                throw new StoreException(
                        "the blocklist store in " + dir + " is in use by another process (a running appliance?)", e);
            }
            throw new StoreException("cannot open the blocklist store in " + dir + ": " + msg, e);
        }
        BlocklistStore store = new BlocklistStore(options, db, handles, readOnly);
        try {
            store.checkFormat(dir, readOnly);
        } catch (StoreException e) {
            store.close();
            throw e;
        }
        return store;
    }

    private void checkFormat(Path dir, boolean readOnly) throws StoreException {
        try {
            byte[] format = db.get(meta, FORMAT_KEY);
            if (format == null && !readOnly) {
                db.put(meta, FORMAT_KEY, intBytes(FORMAT_VERSION));
            } else if (format != null && ByteBuffer.wrap(format).getInt() > FORMAT_VERSION) {
                throw new StoreException("the blocklist store in " + dir + " has format "
                        + ByteBuffer.wrap(format).getInt() + ", written by a newer SafeNet DNS than this one (format "
                        + FORMAT_VERSION + ")");
            }
        } catch (RocksDBException e) {
            throw new StoreException("cannot read the store's format: " + e.getMessage(), e);
        }
    }

    /** The list version: 0 for an empty store, bumped by every {@link #apply}. */
    public long listVersion() throws StoreException {
        try {
            byte[] v = db.get(meta, VERSION_KEY);
            return v == null ? 0 : ByteBuffer.wrap(v).getLong();
        } catch (RocksDBException e) {
            throw new StoreException("cannot read the list version: " + e.getMessage(), e);
        }
    }

    /** A set of puts and deletes to apply together. */
    public static final class Changes {
        /** A deleted entry: its name (reversed; for the ip family, the prefix text) and match kind. */
        public record Removal(String reversedName, org.safenet.dns.blocklist.format.ListEntry.Match match) {}

        final List<StoredEntry> putBlock = new ArrayList<>();
        final List<StoredEntry> putAllow = new ArrayList<>();
        final List<StoredEntry> putIp = new ArrayList<>();
        final List<Removal> deleteBlock = new ArrayList<>();
        final List<Removal> deleteAllow = new ArrayList<>();
        final List<Removal> deleteIp = new ArrayList<>();

        public Changes block(StoredEntry e) {
            putBlock.add(e);
            return this;
        }

        public Changes allow(StoredEntry e) {
            putAllow.add(e);
            return this;
        }

        /** An RPZ-IP trigger; {@code e.reversedName()} holds the prefix text. */
        public Changes ip(StoredEntry e) {
            putIp.add(e);
            return this;
        }

        public Changes removeBlock(String reversedName, org.safenet.dns.blocklist.format.ListEntry.Match match) {
            deleteBlock.add(new Removal(reversedName, match));
            return this;
        }

        public Changes removeAllow(String reversedName, org.safenet.dns.blocklist.format.ListEntry.Match match) {
            deleteAllow.add(new Removal(reversedName, match));
            return this;
        }

        public Changes removeIp(String prefix) {
            deleteIp.add(new Removal(prefix, org.safenet.dns.blocklist.format.ListEntry.Match.EXACT));
            return this;
        }

        public List<StoredEntry> blockPuts() {
            return List.copyOf(putBlock);
        }

        public List<StoredEntry> allowPuts() {
            return List.copyOf(putAllow);
        }

        public List<Removal> blockRemovals() {
            return List.copyOf(deleteBlock);
        }

        public List<Removal> allowRemovals() {
            return List.copyOf(deleteAllow);
        }

        /** True if RPZ-IP triggers change (the live overlay covers names only). */
        public boolean touchesIps() {
            return !putIp.isEmpty() || !deleteIp.isEmpty();
        }

        public int size() {
            return putBlock.size()
                    + putAllow.size()
                    + putIp.size()
                    + deleteBlock.size()
                    + deleteAllow.size()
                    + deleteIp.size();
        }
    }

    /** Applies {@code changes} and bumps the list version, atomically and durably; returns the new version. */
    public synchronized long apply(Changes changes) throws StoreException {
        long next = listVersion() + 1;
        try (WriteBatch batch = new WriteBatch();
                WriteOptions sync = new WriteOptions().setSync(true)) {
            for (StoredEntry e : changes.putBlock) {
                batch.put(entries, e.key(), e.value());
            }
            for (StoredEntry e : changes.putAllow) {
                batch.put(allow, e.key(), e.value());
            }
            for (Changes.Removal r : changes.deleteBlock) {
                batch.delete(entries, StoredEntry.key(r.reversedName(), r.match()));
            }
            for (Changes.Removal r : changes.deleteAllow) {
                batch.delete(allow, StoredEntry.key(r.reversedName(), r.match()));
            }
            for (StoredEntry e : changes.putIp) {
                batch.put(ip, e.key(), e.value());
            }
            for (Changes.Removal r : changes.deleteIp) {
                batch.delete(ip, StoredEntry.key(r.reversedName(), r.match()));
            }
            batch.put(meta, VERSION_KEY, longBytes(next));
            db.write(sync, batch);
            return next;
        } catch (RocksDBException e) {
            throw new StoreException("the change was not applied (nothing changed): " + e.getMessage(), e);
        }
    }

    /**
     * An appeal from the block page: someone says {@code host} is blocked by mistake.
     *
     * @param timeMillis when it was filed; also the key's prefix, so appeals list in time order
     */
    public record Appeal(long timeMillis, String host, String reason, String clientAddress, long listVersion) {}

    /** Stores an appeal (durably) for operators to review. */
    public void addAppeal(Appeal a) throws StoreException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
                WriteOptions sync = new WriteOptions().setSync(true)) {
            out.writeByte(1);
            out.writeUTF(a.host());
            out.writeUTF(a.reason());
            out.writeUTF(a.clientAddress());
            out.writeLong(a.listVersion());
            out.flush();
            byte[] key = ByteBuffer.allocate(16)
                    .putLong(a.timeMillis())
                    .putLong(System.nanoTime())
                    .array();
            db.put(appeals, sync, key, bytes.toByteArray());
        } catch (java.io.IOException | RocksDBException e) {
            throw new StoreException("the appeal was not stored: " + e.getMessage(), e);
        }
    }

    /** Every stored appeal, oldest first. */
    public List<Appeal> appeals() {
        List<Appeal> out = new ArrayList<>();
        try (RocksIterator it = db.newIterator(appeals)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                try (java.io.DataInputStream in =
                        new java.io.DataInputStream(new java.io.ByteArrayInputStream(it.value()))) {
                    in.readUnsignedByte();
                    out.add(new Appeal(
                            ByteBuffer.wrap(it.key()).getLong(),
                            in.readUTF(),
                            in.readUTF(),
                            in.readUTF(),
                            in.readLong()));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("a stored appeal is corrupt", e);
                }
            }
        }
        return out;
    }

    /** Every block entry, in key (zone) order. */
    public void forEachBlock(Consumer<StoredEntry> consumer) {
        scan(entries, consumer);
    }

    /** Every allow entry, in key order. */
    public void forEachAllow(Consumer<StoredEntry> consumer) {
        scan(allow, consumer);
    }

    /** Every RPZ-IP trigger; {@link StoredEntry#reversedName()} holds the prefix text. */
    public void forEachIp(Consumer<StoredEntry> consumer) {
        scan(ip, consumer);
    }

    /** The block entries for {@code reversedName} (all match kinds). */
    public List<StoredEntry> blockEntriesFor(String reversedName) {
        return entriesFor(entries, reversedName);
    }

    /** The allow entries for {@code reversedName} (all match kinds). */
    public List<StoredEntry> allowEntriesFor(String reversedName) {
        return entriesFor(allow, reversedName);
    }

    private List<StoredEntry> entriesFor(ColumnFamilyHandle cf, String reversedName) {
        List<StoredEntry> out = new ArrayList<>();
        byte[] prefix = ReversedName.bytes(reversedName);
        try (RocksIterator it = db.newIterator(cf)) {
            byte[] seek = new byte[prefix.length + 1];
            System.arraycopy(prefix, 0, seek, 0, prefix.length);
            for (it.seek(seek); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length != prefix.length + 2
                        || !java.util.Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
                    break;
                }
                out.add(StoredEntry.decode(k, it.value()));
            }
        }
        return out;
    }

    private void scan(ColumnFamilyHandle cf, Consumer<StoredEntry> consumer) {
        try (RocksIterator it = db.newIterator(cf)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                consumer.accept(StoredEntry.decode(it.key(), it.value()));
            }
        }
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    @Override
    public void close() {
        // Flush memtables so the next open does not replay the write-ahead log: after a
        // 10M-entry import that replay took longer than loading the index itself.
        if (!readOnly) {
            try (org.rocksdb.FlushOptions flush = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
                db.flush(flush, handles);
            } catch (RocksDBException e) {
                // the WAL still has everything: the next open replays it
            }
        }
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        db.close();
        options.close();
    }

    /** A store failure with a message for the operator. */
    public static final class StoreException extends Exception {
        private static final long serialVersionUID = 1L;

        public StoreException(String message) {
            super(message);
        }

        public StoreException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }
}
