package org.safenet.dns.blocklist.index;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.policy.LocalRecord;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;

/**
 * A built index saved beside the store, so that a restart reads it back in one pass instead of
 * scanning every entry in RocksDB and building it again (the scan and build were 5 of the 6
 * seconds a restart with a million names took).
 *
 * <p>The file is trusted only if everything a fresh build depends on is unchanged: the store's
 * list version (every change bumps it), the action of every category and the precedence of every
 * source the store names ({@link IndexLoader.Inputs}), and no indexed entry has expired since. It
 * ends with a CRC32C of all it holds. Anything else (no file, another format, a truncated or
 * corrupted file, an older list version) is a {@link Refused} with the reason, and the caller
 * builds from the store as before and saves a new file. Written to a temporary file and renamed,
 * so a crash never leaves half a file under the real name.
 *
 * <p>Layout (big-endian): magic, format, list version, inputs, seed, counts, the verdict table,
 * the block and allow {@link NameIndex} arrays as they are in memory, the RPZ-IP and client-IP triggers, CRC.
 */
public final class IndexFile {
    static final long MAGIC = 0x534E_4458_4944_5831L; // "SNDXIDX1"
    /**
     * 2: a verdict says whether its action is its category's (profiles change those). 3: local
     * data of any type in a verdict; client-IP triggers after the response-IP ones.
     */
    static final int FORMAT = 3;
    /** The name of the file inside the store's directory (RocksDB ignores names it did not make). */
    public static final String NAME = "safenet-index.bin";
    /** Arrays move through a buffer of this many bytes, not a call per element. */
    private static final int CHUNK = 1 << 16;

    private IndexFile() {}

    /** Why a saved index was not used. */
    public static final class Refused extends Exception {
        Refused(String reason) {
            super(reason);
        }

        Refused(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    /**
     * Reads the index saved at {@code file} if it is the one a build from the store (at {@code
     * listVersion}) would make now.
     *
     * @throws Refused with the reason when it is missing, damaged or out of date
     */
    public static IndexLoader.LoadResult read(
            Path file,
            long listVersion,
            Function<String, @Nullable PolicyAction> categoryAction,
            ToIntFunction<String> precedence,
            long nowMillis)
            throws Refused {
        CRC32C crc = new CRC32C();
        try (InputStream raw = Files.newInputStream(file);
                BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
                DataInputStream in = new DataInputStream(new CheckedInputStream(buffered, crc))) {
            if (in.readLong() != MAGIC) {
                throw new Refused("not a SafeNet DNS index file");
            }
            int format = in.readInt();
            if (format != FORMAT) {
                throw new Refused("index format " + format + ", this version reads " + FORMAT);
            }
            long version = in.readLong();
            if (version != listVersion) {
                throw new Refused("built for list version " + version + ", the store is at " + listVersion);
            }
            IndexLoader.Inputs inputs = readInputs(in);
            if (!inputs.stillHold(categoryAction, precedence, nowMillis)) {
                throw new Refused("category actions, source precedences or entry expiry changed since it was built");
            }
            long seed = in.readLong();
            int blocked = in.readInt();
            int allowed = in.readInt();
            int skipped = in.readInt();
            int verdictCount = in.readInt();
            if (verdictCount < 1 || verdictCount > BlocklistPolicy.TOMBSTONE) {
                throw new Refused("damaged: " + verdictCount + " verdicts");
            }
            Verdict[] verdicts = new Verdict[verdictCount];
            for (int i = 0; i < verdictCount; i++) {
                verdicts[i] = readVerdict(in);
            }
            Verdict allowedVerdict = readVerdict(in);
            long fileSize = Files.size(file);
            NameIndex block = readNameIndex(in, fileSize);
            NameIndex allow = readNameIndex(in, fileSize);
            AddressIndex addresses = readTriggers(in);
            AddressIndex clients = readTriggers(in);
            long computed = crc.getValue();
            long stored = Integer.toUnsignedLong(new DataInputStream(buffered).readInt());
            if (computed != stored) {
                throw new Refused("damaged: checksum mismatch");
            }
            if (buffered.read() != -1) {
                throw new Refused("damaged: bytes after the checksum");
            }
            BlocklistPolicy.Snapshot snapshot = new BlocklistPolicy.Snapshot(
                    block,
                    allow,
                    verdicts,
                    allowedVerdict,
                    seed,
                    version,
                    addresses,
                    clients,
                    NameIndex.empty(),
                    NameIndex.empty());
            return new IndexLoader.LoadResult(snapshot, blocked, allowed, skipped, inputs);
        } catch (NoSuchFileException e) {
            throw new Refused("no saved index");
        } catch (EOFException e) {
            throw new Refused("damaged: the file ends early (truncated)", e);
        } catch (IOException | RuntimeException e) {
            throw new Refused("damaged: " + e, e);
        }
    }

    /**
     * Saves {@code loaded} at {@code file}, through a temporary file in the same directory that is
     * synced and then renamed over it.
     */
    public static void write(Path file, IndexLoader.LoadResult loaded) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        BlocklistPolicy.Snapshot s = loaded.snapshot();
        CRC32C crc = new CRC32C();
        try (OutputStream raw = Files.newOutputStream(tmp)) {
            DataOutputStream out =
                    new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(raw, 1 << 16), crc));
            out.writeLong(MAGIC);
            out.writeInt(FORMAT);
            out.writeLong(s.version());
            writeInputs(out, loaded.inputs());
            out.writeLong(s.seed());
            out.writeInt(loaded.blocked());
            out.writeInt(loaded.allowed());
            out.writeInt(loaded.skipped());
            out.writeInt(s.verdicts().length);
            for (Verdict v : s.verdicts()) {
                writeVerdict(out, v);
            }
            writeVerdict(out, s.allowed());
            writeNameIndex(out, s.block());
            writeNameIndex(out, s.allow());
            writeTriggers(out, s.addresses());
            writeTriggers(out, s.clients());
            out.flush();
            new DataOutputStream(raw).writeInt((int) crc.getValue());
        }
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeInputs(DataOutputStream out, IndexLoader.Inputs inputs) throws IOException {
        out.writeInt(inputs.categoryActions().size());
        for (Map.Entry<String, String> e : inputs.categoryActions().entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
        out.writeInt(inputs.precedences().size());
        for (Map.Entry<String, Integer> e : inputs.precedences().entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue());
        }
        out.writeLong(inputs.validUntilMillis());
    }

    private static IndexLoader.Inputs readInputs(DataInputStream in) throws IOException, Refused {
        SortedMap<String, String> categories = new TreeMap<>();
        for (int i = 0, n = count(in); i < n; i++) {
            categories.put(in.readUTF(), in.readUTF());
        }
        SortedMap<String, Integer> sources = new TreeMap<>();
        for (int i = 0, n = count(in); i < n; i++) {
            sources.put(in.readUTF(), in.readInt());
        }
        return new IndexLoader.Inputs(categories, sources, in.readLong());
    }

    private static int count(DataInputStream in) throws IOException, Refused {
        int n = in.readInt();
        if (n < 0 || n > 1_000_000) {
            throw new Refused("damaged: a count of " + n);
        }
        return n;
    }

    private static void writeTriggers(DataOutputStream out, AddressIndex index) throws IOException {
        List<Map.Entry<CidrPrefix, Verdict>> triggers = index.triggers();
        out.writeInt(triggers.size());
        for (Map.Entry<CidrPrefix, Verdict> t : triggers) {
            out.writeUTF(t.getKey().toString());
            writeVerdict(out, t.getValue());
        }
    }

    private static AddressIndex readTriggers(DataInputStream in) throws IOException, Refused {
        int triggers = in.readInt();
        if (triggers < 0) {
            throw new Refused("damaged: " + triggers + " address triggers");
        }
        AddressIndex.Builder addresses = new AddressIndex.Builder();
        for (int i = 0; i < triggers; i++) {
            addresses.add(CidrPrefix.parse(in.readUTF()), readVerdict(in));
        }
        return addresses.build();
    }

    private static void writeVerdict(DataOutputStream out, Verdict v) throws IOException {
        out.writeUTF(v.action().name());
        out.writeUTF(v.category());
        out.writeUTF(v.source());
        out.writeInt(v.edeInfoCode());
        out.writeBoolean(v.fromCategory());
        String target = v.cnameTargetText();
        out.writeBoolean(target != null);
        if (target != null) {
            out.writeUTF(target);
        }
        List<LocalRecord> local = v.localData();
        out.writeInt(local.size());
        for (LocalRecord r : local) {
            out.writeShort(r.type());
            out.writeInt(r.ttl());
            byte[] rdata = r.rdata();
            out.writeShort(rdata.length);
            out.write(rdata);
        }
    }

    private static Verdict readVerdict(DataInputStream in) throws IOException, Refused {
        PolicyAction action = PolicyAction.valueOf(in.readUTF());
        String category = in.readUTF();
        String source = in.readUTF();
        int ede = in.readInt();
        boolean fromCategory = in.readBoolean();
        String target = in.readBoolean() ? in.readUTF() : null;
        int n = count(in);
        List<LocalRecord> local = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int type = in.readUnsignedShort();
            int ttl = in.readInt();
            byte[] rdata = new byte[in.readUnsignedShort()];
            in.readFully(rdata);
            local.add(new LocalRecord(type, rdata, ttl));
        }
        if (fromCategory) {
            return Verdict.ofCategory(action, category, source, ede);
        }
        return local.isEmpty()
                ? new Verdict(action, category, source, ede, target)
                : Verdict.withLocalData(action, category, source, ede, local);
    }

    private static void writeNameIndex(DataOutputStream out, NameIndex index) throws IOException {
        out.writeInt(index.size());
        long[] slots = index.slots();
        int[] verdicts = index.verdicts();
        out.writeInt(slots.length);
        byte[] chunk = new byte[CHUNK];
        ByteBuffer view = ByteBuffer.wrap(chunk);
        for (int i = 0; i < slots.length; i += CHUNK / 8) {
            int n = Math.min(CHUNK / 8, slots.length - i);
            view.clear();
            view.asLongBuffer().put(slots, i, n);
            out.write(chunk, 0, n * 8);
        }
        for (int i = 0; i < verdicts.length; i += CHUNK / 4) {
            int n = Math.min(CHUNK / 4, verdicts.length - i);
            view.clear();
            view.asIntBuffer().put(verdicts, i, n);
            out.write(chunk, 0, n * 4);
        }
        byte[] arena = index.arena();
        out.writeInt(arena.length);
        out.write(arena);
    }

    /** Reads one name index; a damaged size is refused before it is allocated (the CRC comes last). */
    private static NameIndex readNameIndex(DataInputStream in, long fileSize) throws IOException, Refused {
        int size = in.readInt();
        int capacity = in.readInt();
        if (size < 0 || capacity < 2 || size >= capacity || capacity * 12L > fileSize) {
            throw new Refused("damaged: an index of " + size + " names in " + capacity + " slots");
        }
        long[] slots = new long[capacity];
        int[] verdicts = new int[capacity];
        byte[] chunk = new byte[CHUNK];
        ByteBuffer view = ByteBuffer.wrap(chunk);
        for (int i = 0; i < capacity; i += CHUNK / 8) {
            int n = Math.min(CHUNK / 8, capacity - i);
            in.readFully(chunk, 0, n * 8);
            view.clear();
            view.asLongBuffer().get(slots, i, n);
        }
        for (int i = 0; i < capacity; i += CHUNK / 4) {
            int n = Math.min(CHUNK / 4, capacity - i);
            in.readFully(chunk, 0, n * 4);
            view.clear();
            view.asIntBuffer().get(verdicts, i, n);
        }
        int arenaLength = in.readInt();
        if (arenaLength < 0 || arenaLength > NameIndex.MAX_ARENA || arenaLength > fileSize) {
            throw new Refused("damaged: a name arena of " + arenaLength + " bytes");
        }
        byte[] arena = new byte[arenaLength];
        in.readFully(arena);
        return new NameIndex(slots, verdicts, arena, size);
    }
}
