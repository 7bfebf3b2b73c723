package org.safenet.dns.blocklist.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.safenet.dns.blocklist.format.ListEntry.Match;

/**
 * The blocklist's source of truth: RocksDB in the data dir, one column family per kind of
 * record. Every change is one {@link WriteBatch} that also bumps the list version, written with
 * sync, so a crash leaves either the whole change or none of it.
 *
 * <p>Column families: {@code entries}, {@code allow} and {@code ip} (key: reversed name + match
 * kind + source, value: {@link StoredEntry}; one record per source, so a name two feeds list stays
 * until both drop it), {@code bysource} (the same entries keyed source first, for sync diffs),
 * {@code sources} (feed state, entry counts, sync history, held updates), {@code journal} (per
 * list version, what it changed, for IXFR), {@code meta} (format and list version), {@code
 * appeals}, and {@code stats} and {@code audit} for later milestones.
 */
public final class BlocklistStore implements AutoCloseable {
    /** The on-disk layout this code writes; bump with a migration when it changes. */
    public static final int FORMAT_VERSION = 2;

    static final List<String> FAMILIES =
            List.of("entries", "allow", "meta", "sources", "stats", "audit", "appeals", "ip", "bysource", "journal");

    /** Sides of the by-source family, in the order of the entries, allow and ip families. */
    public static final int SIDE_BLOCK = 0;

    public static final int SIDE_ALLOW = 1;
    public static final int SIDE_IP = 2;

    /** How many records of sync history {@link #addHistory} keeps per source. */
    public static final int HISTORY_PER_SOURCE = 100;

    private static final byte[] FORMAT_KEY = "format".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VERSION_KEY = "list-version".getBytes(StandardCharsets.US_ASCII);

    static {
        RocksDB.loadLibrary();
    }

    private final DBOptions options;
    private final MemoryBounds bounds;
    private final boolean readOnly;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final ColumnFamilyHandle entries;
    private final ColumnFamilyHandle allow;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle appeals;
    /** RPZ-IP triggers: key is the prefix text ("192.0.2.0/24") where the other families have a name. */
    private final ColumnFamilyHandle ip;
    /** Every entry again, keyed source first: one source's entries are one range scan (sync diffs). */
    private final ColumnFamilyHandle bySource;
    /** Per source: feed state, entry count, sync history, a held update. */
    private final ColumnFamilyHandle sources;
    /** Per list version: what it changed in the merged list, for IXFR. */
    private final ColumnFamilyHandle journal;

    private BlocklistStore(
            DBOptions options, MemoryBounds bounds, RocksDB db, List<ColumnFamilyHandle> handles, boolean readOnly) {
        this.readOnly = readOnly;
        this.options = options;
        this.bounds = bounds;
        this.db = db;
        this.handles = handles;
        this.entries = handles.get(1);
        this.allow = handles.get(2);
        this.meta = handles.get(3);
        this.sources = handles.get(4);
        this.appeals = handles.get(7);
        this.ip = handles.get(8);
        this.bySource = handles.get(9);
        this.journal = handles.get(10);
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
        } catch (IOException e) {
            throw new StoreException("cannot create the data directory " + dir + ": " + e.getMessage(), e);
        }
        MemoryBounds bounds = new MemoryBounds();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, bounds.families));
        for (String f : FAMILIES) {
            descriptors.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.US_ASCII), bounds.families));
        }
        DBOptions options = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setDbWriteBufferSize(MemoryBounds.ALL_MEMTABLES);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db;
        try {
            db = readOnly
                    ? RocksDB.openReadOnly(options, dir.toString(), descriptors, handles)
                    : RocksDB.open(options, dir.toString(), descriptors, handles);
        } catch (RocksDBException e) {
            options.close();
            bounds.close();
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("lock")) {
                throw new StoreException(
                        "the blocklist store in " + dir + " is in use by another process (a running appliance?)", e);
            }
            throw new StoreException("cannot open the blocklist store in " + dir + ": " + msg, e);
        }
        BlocklistStore store = new BlocklistStore(options, bounds, db, handles, readOnly);
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
            } else if (format != null && ByteBuffer.wrap(format).getInt() < FORMAT_VERSION) {
                if (readOnly) {
                    throw new StoreException("the blocklist store in " + dir + " has format "
                            + ByteBuffer.wrap(format).getInt() + "; start the appliance once to upgrade it");
                }
                StoreMigration.toVersion2(db, entries, allow, ip, bySource, sources);
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

    /** RocksDB's estimate of the block entries held: cheap, for sizing memory, not for counting. */
    public long estimatedBlockEntries() {
        try {
            return db.getLongProperty(entries, "rocksdb.estimate-num-keys");
        } catch (RocksDBException e) {
            return 0;
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

    /** A set of puts and deletes to apply together, with the bookkeeping that goes with them. */
    public static final class Changes {
        /** A deleted entry: its name (reversed; for the ip family, the prefix text), match kind and source. */
        public record Removal(String reversedName, Match match, String source) {}

        final List<StoredEntry> putBlock = new ArrayList<>();
        final List<StoredEntry> putAllow = new ArrayList<>();
        final List<StoredEntry> putIp = new ArrayList<>();
        final List<Removal> deleteBlock = new ArrayList<>();
        final List<Removal> deleteAllow = new ArrayList<>();
        final List<Removal> deleteIp = new ArrayList<>();
        final Map<String, Long> countDelta = new LinkedHashMap<>();
        final Map<String, byte @Nullable []> sourceRecords = new LinkedHashMap<>();
        byte @Nullable [] journalRecord;

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

        public Changes removeBlock(String reversedName, Match match, String source) {
            deleteBlock.add(new Removal(reversedName, match, source));
            return this;
        }

        public Changes removeAllow(String reversedName, Match match, String source) {
            deleteAllow.add(new Removal(reversedName, match, source));
            return this;
        }

        public Changes removeIp(String prefix, String source) {
            deleteIp.add(new Removal(prefix, Match.EXACT, source));
            return this;
        }

        /**
         * How many entries {@code source} gains (or, negative, loses) with these changes: callers
         * know which puts are new, the store does not look.
         */
        public Changes counted(String source, long delta) {
            countDelta.merge(source, delta, Long::sum);
            return this;
        }

        /** Writes a per-source record (feed state, a held update) in the same batch; null deletes it. */
        public Changes sourceRecord(String key, byte @Nullable [] value) {
            sourceRecords.put(key, value);
            return this;
        }

        /** What this version changed in the merged list (for IXFR), stored under the new version. */
        public Changes journal(byte[] record) {
            journalRecord = record;
            return this;
        }

        public List<StoredEntry> blockPuts() {
            return List.copyOf(putBlock);
        }

        public List<StoredEntry> allowPuts() {
            return List.copyOf(putAllow);
        }

        public List<StoredEntry> ipPuts() {
            return List.copyOf(putIp);
        }

        public List<Removal> blockRemovals() {
            return List.copyOf(deleteBlock);
        }

        public List<Removal> allowRemovals() {
            return List.copyOf(deleteAllow);
        }

        public List<Removal> ipRemovals() {
            return List.copyOf(deleteIp);
        }

        public boolean hasSourceRecords() {
            return !sourceRecords.isEmpty() || !countDelta.isEmpty();
        }

        /** True if RPZ-IP triggers change (the live overlay covers names only). */
        public boolean touchesIps() {
            return !putIp.isEmpty() || !deleteIp.isEmpty();
        }

        /** Entry puts and deletes (bookkeeping records not counted). */
        public int size() {
            return putBlock.size()
                    + putAllow.size()
                    + putIp.size()
                    + deleteBlock.size()
                    + deleteAllow.size()
                    + deleteIp.size();
        }
    }

    /**
     * Applies {@code changes} and bumps the list version, atomically and durably; returns the new
     * version. Older journal records beyond {@code keepJournal} versions are dropped in the same batch.
     */
    public synchronized long apply(Changes changes) throws StoreException {
        return apply(changes, 1000);
    }

    public synchronized long apply(Changes changes, int keepJournal) throws StoreException {
        long next = listVersion() + 1;
        try (WriteBatch batch = new WriteBatch();
                WriteOptions sync = new WriteOptions().setSync(true)) {
            for (StoredEntry e : changes.putBlock) {
                put(batch, entries, SIDE_BLOCK, e);
            }
            for (StoredEntry e : changes.putAllow) {
                put(batch, allow, SIDE_ALLOW, e);
            }
            for (StoredEntry e : changes.putIp) {
                put(batch, ip, SIDE_IP, e);
            }
            for (Changes.Removal r : changes.deleteBlock) {
                delete(batch, entries, SIDE_BLOCK, r);
            }
            for (Changes.Removal r : changes.deleteAllow) {
                delete(batch, allow, SIDE_ALLOW, r);
            }
            for (Changes.Removal r : changes.deleteIp) {
                delete(batch, ip, SIDE_IP, r);
            }
            for (Map.Entry<String, Long> c : changes.countDelta.entrySet()) {
                long now = Math.max(0, sourceSize(c.getKey()) + c.getValue());
                batch.put(sources, countKey(c.getKey()), longBytes(now));
            }
            for (Map.Entry<String, byte @Nullable []> r : changes.sourceRecords.entrySet()) {
                byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
                byte[] value = r.getValue();
                if (value == null) {
                    batch.delete(sources, key);
                } else {
                    batch.put(sources, key, value);
                }
            }
            if (changes.journalRecord != null) {
                batch.put(journal, longBytes(next), changes.journalRecord);
            }
            if (next > keepJournal) {
                batch.deleteRange(journal, longBytes(0), longBytes(next - keepJournal + 1));
            }
            batch.put(meta, VERSION_KEY, longBytes(next));
            db.write(sync, batch);
            return next;
        } catch (RocksDBException e) {
            throw new StoreException("the change was not applied (nothing changed): " + e.getMessage(), e);
        }
    }

    private void put(WriteBatch batch, ColumnFamilyHandle cf, int side, StoredEntry e) throws RocksDBException {
        byte[] value = e.value();
        batch.put(cf, e.key(), value);
        batch.put(bySource, StoredEntry.sourceKey(e.source(), side, e.reversedName(), e.match()), value);
    }

    private void delete(WriteBatch batch, ColumnFamilyHandle cf, int side, Changes.Removal r) throws RocksDBException {
        batch.delete(cf, StoredEntry.key(r.reversedName(), r.match(), r.source()));
        batch.delete(bySource, StoredEntry.sourceKey(r.source(), side, r.reversedName(), r.match()));
    }

    private static byte[] countKey(String source) {
        return ("count\0" + source).getBytes(StandardCharsets.UTF_8);
    }

    /** Writes only the per-source records of {@code changes} (no entry changed: no new version). */
    public synchronized void writeSourceRecords(Changes changes) throws StoreException {
        try (WriteBatch batch = new WriteBatch();
                WriteOptions sync = new WriteOptions().setSync(true)) {
            for (Map.Entry<String, byte @Nullable []> r : changes.sourceRecords.entrySet()) {
                byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
                byte[] value = r.getValue();
                if (value == null) {
                    batch.delete(sources, key);
                } else {
                    batch.put(sources, key, value);
                }
            }
            db.write(sync, batch);
        } catch (RocksDBException e) {
            throw new StoreException("cannot write the source records: " + e.getMessage(), e);
        }
    }

    /** How many entries (block, allow and ip) {@code source} has in the store. */
    public long sourceSize(String source) throws StoreException {
        try {
            byte[] v = db.get(sources, countKey(source));
            return v == null ? 0 : ByteBuffer.wrap(v).getLong();
        } catch (RocksDBException e) {
            throw new StoreException("cannot read the entry count of " + source + ": " + e.getMessage(), e);
        }
    }

    /** A per-source record written with {@link Changes#sourceRecord}, or null. */
    public byte @Nullable [] sourceRecord(String key) throws StoreException {
        try {
            return db.get(sources, key.getBytes(StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            throw new StoreException("cannot read " + key + ": " + e.getMessage(), e);
        }
    }

    /** Writes one per-source record on its own (durably), outside any entry change. */
    public void putSourceRecord(String key, byte[] value) throws StoreException {
        try (WriteOptions sync = new WriteOptions().setSync(true)) {
            db.put(sources, sync, key.getBytes(StandardCharsets.UTF_8), value);
        } catch (RocksDBException e) {
            throw new StoreException("cannot write " + key + ": " + e.getMessage(), e);
        }
    }

    /**
     * Appends one sync-history record for {@code source} (key: time order) and drops the oldest
     * beyond {@link #HISTORY_PER_SOURCE}.
     */
    public synchronized void addHistory(String source, long startMillis, byte[] record) throws StoreException {
        byte[] prefix = historyPrefix(source);
        byte[] key = ByteBuffer.allocate(prefix.length + 16)
                .put(prefix)
                .putLong(startMillis)
                .putLong(System.nanoTime())
                .array();
        List<byte[]> keys = new ArrayList<>();
        try (WriteBatch batch = new WriteBatch();
                WriteOptions sync = new WriteOptions().setSync(true)) {
            batch.put(sources, key, record);
            scanPrefix(sources, prefix, (k, v) -> keys.add(k));
            for (int i = 0; i < keys.size() + 1 - HISTORY_PER_SOURCE; i++) {
                batch.delete(sources, keys.get(i));
            }
            db.write(sync, batch);
        } catch (RocksDBException e) {
            throw new StoreException("cannot record the sync of " + source + ": " + e.getMessage(), e);
        }
    }

    /** The stored sync history of {@code source}, oldest first. */
    public List<byte[]> history(String source) {
        List<byte[]> out = new ArrayList<>();
        scanPrefix(sources, historyPrefix(source), (k, v) -> out.add(v));
        return out;
    }

    private static byte[] historyPrefix(String source) {
        return ("hist\0" + source + "\0").getBytes(StandardCharsets.UTF_8);
    }

    /** The journal record of {@code version} (what it changed), or null if not kept. */
    public byte @Nullable [] journal(long version) throws StoreException {
        try {
            return db.get(journal, longBytes(version));
        } catch (RocksDBException e) {
            throw new StoreException("cannot read the journal: " + e.getMessage(), e);
        }
    }

    /**
     * An appeal from the block page: someone says {@code host} is blocked by mistake. Appeals for
     * the same host while one is pending are merged into it ({@code count}, {@code lastMillis},
     * and up to a few distinct {@code reasons}).
     *
     * @param timeMillis when it was first filed; also the key's prefix, so appeals list in time order
     * @param reason the first reason
     * @param clientAddress who filed it first
     * @param count how many times it was filed
     * @param lastMillis when it was last filed
     * @param reasons the distinct reasons given, the first one first
     */
    public record Appeal(
            long timeMillis,
            String host,
            String reason,
            String clientAddress,
            long listVersion,
            int count,
            long lastMillis,
            List<String> reasons) {
        public Appeal {
            reasons = List.copyOf(reasons);
        }

        /** A first filing. */
        public Appeal(long timeMillis, String host, String reason, String clientAddress, long listVersion) {
            this(timeMillis, host, reason, clientAddress, listVersion, 1, timeMillis, List.of(reason));
        }
    }

    /** An appeal with its id (the hex of its key), which the admin API reviews it by. */
    public record StoredAppeal(String id, Appeal appeal) {}

    /** Stores a new appeal (durably) for operators to review; returns its id. */
    public String addAppeal(Appeal a) throws StoreException {
        byte[] key = ByteBuffer.allocate(16)
                .putLong(a.timeMillis())
                .putLong(System.nanoTime())
                .array();
        putAppeal(key, a);
        return HexFormat.of().formatHex(key);
    }

    /** Replaces the appeal {@code id} (a merged filing); false if there is none. */
    public boolean replaceAppeal(String id, Appeal a) throws StoreException {
        byte[] key = appealKey(id);
        if (key == null || appeal(id) == null) {
            return false;
        }
        putAppeal(key, a);
        return true;
    }

    private void putAppeal(byte[] key, Appeal a) throws StoreException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes);
                WriteOptions sync = new WriteOptions().setSync(true)) {
            out.writeByte(2);
            out.writeUTF(a.host());
            out.writeUTF(a.reason());
            out.writeUTF(a.clientAddress());
            out.writeLong(a.listVersion());
            out.writeInt(a.count());
            out.writeLong(a.lastMillis());
            out.writeShort(a.reasons().size());
            for (String r : a.reasons()) {
                out.writeUTF(r);
            }
            out.flush();
            db.put(appeals, sync, key, bytes.toByteArray());
        } catch (IOException | RocksDBException e) {
            throw new StoreException("the appeal was not stored: " + e.getMessage(), e);
        }
    }

    /** The appeal {@code id}, or null (no such appeal, or not an id). */
    public @Nullable StoredAppeal appeal(String id) throws StoreException {
        byte[] key = appealKey(id);
        if (key == null) {
            return null;
        }
        try {
            byte[] v = db.get(appeals, key);
            return v == null ? null : decodeAppeal(key, v);
        } catch (RocksDBException e) {
            throw new StoreException("cannot read the appeal: " + e.getMessage(), e);
        }
    }

    /** Deletes the appeal {@code id} (durably); false if there was none. */
    public boolean deleteAppeal(String id) throws StoreException {
        if (appeal(id) == null) {
            return false;
        }
        try (WriteOptions sync = new WriteOptions().setSync(true)) {
            db.delete(appeals, sync, appealKey(id));
            return true;
        } catch (RocksDBException e) {
            throw new StoreException("cannot delete the appeal: " + e.getMessage(), e);
        }
    }

    private static byte @Nullable [] appealKey(String id) {
        if (id.length() != 32) {
            return null;
        }
        try {
            return HexFormat.of().parseHex(id);
        } catch (IllegalArgumentException notHex) {
            return null;
        }
    }

    /** Every stored appeal, oldest first (tests and small stores; the API pages with {@link #appealsAfter}). */
    public List<Appeal> appeals() {
        return storedAppeals().stream().map(StoredAppeal::appeal).toList();
    }

    /** Every stored appeal with its id, oldest first. */
    public List<StoredAppeal> storedAppeals() {
        return appealsAfter(null, Integer.MAX_VALUE, a -> true);
    }

    /**
     * Up to {@code limit} appeals that {@code keep} accepts, oldest first, starting after the
     * appeal {@code afterId} (null: from the oldest).
     */
    public List<StoredAppeal> appealsAfter(@Nullable String afterId, int limit, Predicate<StoredAppeal> keep) {
        List<StoredAppeal> out = new ArrayList<>();
        byte[] after = afterId == null ? null : appealKey(afterId);
        try (RocksIterator it = db.newIterator(appeals)) {
            if (after == null) {
                it.seekToFirst();
            } else {
                it.seek(after);
                if (it.isValid() && Arrays.equals(it.key(), after)) {
                    it.next();
                }
            }
            for (; it.isValid() && out.size() < limit; it.next()) {
                StoredAppeal a = decodeAppeal(it.key(), it.value());
                if (keep.test(a)) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    /** How many appeals are stored (a scan of the keys: call it rarely). */
    public int appealCount() {
        int n = 0;
        try (RocksIterator it = db.newIterator(appeals)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                n++;
            }
        }
        return n;
    }

    private static StoredAppeal decodeAppeal(byte[] key, byte[] value) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            int format = in.readUnsignedByte();
            long time = ByteBuffer.wrap(key).getLong();
            String host = in.readUTF();
            String reason = in.readUTF();
            String client = in.readUTF();
            long listVersion = in.readLong();
            Appeal a;
            if (format == 1) {
                a = new Appeal(time, host, reason, client, listVersion);
            } else {
                int count = in.readInt();
                long last = in.readLong();
                int n = in.readUnsignedShort();
                List<String> reasons = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    reasons.add(in.readUTF());
                }
                a = new Appeal(time, host, reason, client, listVersion, count, last, reasons);
            }
            return new StoredAppeal(HexFormat.of().formatHex(key), a);
        } catch (IOException e) {
            throw new IllegalStateException("a stored appeal is corrupt", e);
        }
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

    /** Every block (side 0), allow (1) or ip (2) entry of {@code source}, in name order. */
    public void forEachOfSource(String source, int side, Consumer<StoredEntry> consumer) {
        byte[] src = source.getBytes(StandardCharsets.UTF_8);
        byte[] prefix = new byte[src.length + 2];
        System.arraycopy(src, 0, prefix, 0, src.length);
        prefix[src.length + 1] = (byte) side;
        scanPrefix(bySource, prefix, (k, v) -> consumer.accept(StoredEntry.decodeSourceKey(k, v)));
    }

    /** The entry of {@code source} for one name and match kind on one side (0 block, 1 allow, 2 ip), or null. */
    public @Nullable StoredEntry entryOf(int side, String reversedName, Match match, String source)
            throws StoreException {
        ColumnFamilyHandle cf = side == SIDE_BLOCK ? entries : side == SIDE_ALLOW ? allow : ip;
        try {
            byte[] key = StoredEntry.key(reversedName, match, source);
            byte[] v = db.get(cf, key);
            return v == null ? null : StoredEntry.decode(key, v);
        } catch (RocksDBException e) {
            throw new StoreException("cannot read an entry: " + e.getMessage(), e);
        }
    }

    /** Every source that has entries, from the by-source family's keys. */
    public List<String> sourcesWithEntries() {
        List<String> out = new ArrayList<>();
        try (RocksIterator it = db.newIterator(bySource)) {
            it.seekToFirst();
            while (it.isValid()) {
                byte[] k = it.key();
                int end = StoredEntry.nameEnd(k);
                byte[] name = java.util.Arrays.copyOf(k, end);
                out.add(new String(name, StandardCharsets.UTF_8));
                byte[] next = java.util.Arrays.copyOf(name, end + 1);
                next[end] = 1; // just past "source\0...": the next source
                it.seek(next);
            }
        }
        return out;
    }

    private void scanPrefix(ColumnFamilyHandle cf, byte[] prefix, java.util.function.BiConsumer<byte[], byte[]> each) {
        try (RocksIterator it = db.newIterator(cf)) {
            for (it.seek(prefix); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length < prefix.length
                        || !java.util.Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
                    break;
                }
                each.accept(k, it.value());
            }
        }
    }

    /** The block entries for {@code reversedName} (all match kinds). */
    public List<StoredEntry> blockEntriesFor(String reversedName) {
        return entriesFor(entries, reversedName);
    }

    /** The RPZ-IP triggers for one prefix ({@code 192.0.2.0/24}), from every source. */
    public List<StoredEntry> ipEntriesFor(String prefix) {
        return entriesFor(ip, prefix);
    }

    /** The allow entries for {@code reversedName} (all match kinds). */
    public List<StoredEntry> allowEntriesFor(String reversedName) {
        return entriesFor(allow, reversedName);
    }

    private List<StoredEntry> entriesFor(ColumnFamilyHandle cf, String reversedName) {
        List<StoredEntry> out = new ArrayList<>();
        byte[] prefix = ReversedName.bytes(reversedName);
        byte[] seek = new byte[prefix.length + 1];
        System.arraycopy(prefix, 0, seek, 0, prefix.length);
        scanPrefix(cf, seek, (k, v) -> out.add(StoredEntry.decode(k, v)));
        return out;
    }

    /**
     * Visits block (side 0) or allow (side 1) entries in key order, starting at the first whose
     * name is {@code fromReversed} or after it, or just after {@code afterKey} (a cursor from {@link
     * #keyOf}); stops when {@code each} returns false. For the admin API's paged searches.
     */
    public void scanEntries(
            int side, String fromReversed, byte @Nullable [] afterKey, java.util.function.Predicate<StoredEntry> each) {
        ColumnFamilyHandle cf = side == SIDE_BLOCK ? entries : side == SIDE_ALLOW ? allow : ip;
        try (RocksIterator it = db.newIterator(cf)) {
            if (afterKey != null) {
                it.seek(afterKey);
                if (it.isValid() && java.util.Arrays.equals(it.key(), afterKey)) {
                    it.next();
                }
            } else {
                it.seek(ReversedName.bytes(fromReversed));
            }
            for (; it.isValid(); it.next()) {
                if (!each.test(StoredEntry.decode(it.key(), it.value()))) {
                    return;
                }
            }
        }
    }

    /** The store key of {@code e}: a paging cursor for {@link #scanEntries}. */
    public static byte[] keyOf(StoredEntry e) {
        return e.key();
    }

    /** Records under {@code prefix} (ending in '/') in the {@code meta} family, synced: tokens, reviews, overrides. */
    public Records metaRecords(String prefix) {
        return new Records(db, meta, prefix, true);
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

    static byte[] longBytes(long v) {
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
        bounds.close();
    }

    /**
     * What bounds RocksDB's own memory, which the JVM does not see: one block cache shared by every
     * family (RocksDB's default is a 32 MiB cache per family, eleven of them here), index and
     * filter blocks held in that cache rather than beside it, and memtables capped for the whole
     * store. The list is served from the in-memory index, so the store is read on the cold path
     * only (explain, sync diffs, the admin API); a small cache costs those a little and saves the
     * resolver tens of MiB.
     */
    private static final class MemoryBounds implements AutoCloseable {
        static final long BLOCK_CACHE = 8L << 20;
        static final long MEMTABLE = 8L << 20;
        static final long ALL_MEMTABLES = 32L << 20;

        final LRUCache cache = new LRUCache(BLOCK_CACHE);
        final ColumnFamilyOptions families = new ColumnFamilyOptions()
                .setWriteBufferSize(MEMTABLE)
                .setTableFormatConfig(new BlockBasedTableConfig()
                        .setBlockCache(cache)
                        .setCacheIndexAndFilterBlocks(true)
                        .setPinL0FilterAndIndexBlocksInCache(true));

        @Override
        public void close() {
            families.close();
            cache.close();
        }
    }

    /** Statistics buckets ({@code stats} family); not synced (a crash loses at most the last minute). */
    public Records statsRecords() {
        return new Records(db, handles.get(5), "stats/", false);
    }

    /** The audit trail ({@code audit} family); every write synced. */
    public Records auditRecords() {
        return new Records(db, handles.get(6), "audit/", true);
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
