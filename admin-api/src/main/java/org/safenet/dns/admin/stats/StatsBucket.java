package org.safenet.dns.admin.stats;

import com.dynatrace.hash4j.distinctcount.UltraLogLog;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.FrequentLongsSketch;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.stats.StatsWindow;

/**
 * What happened in one period (a minute, an hour or a day): counters, distinct-client counters
 * and top-k sketches. Buckets merge: an hour is the merge of its minutes, a month of its days,
 * and the distinct counts of a merge are those of the union (UltraLogLog), not sums. This is the
 * unit stored in the {@code stats} column family and the unit every statistics query adds up.
 */
public final class StatsBucket {
    private static final int FORMAT = 1;
    /** How many blocked names' texts a bucket keeps (the heaviest of its top sketch). */
    private static final int NAMES_KEPT = 512;

    long queries;
    long cacheHits;
    long aclRefused;
    long upstreamFailures;
    long blocked;
    /** UDP queries over a client's or network's rate limit. */
    long limited;
    /** rcode name -> answers. */
    final Map<String, Long> answers = new TreeMap<>();
    /** policy action -> queries. */
    final Map<String, Long> actions = new TreeMap<>();
    /** category -> blocked queries. */
    final Map<String, Long> blockedByCategory = new TreeMap<>();
    /** Blocks by the client's profile; written after everything else, so older buckets (without it) still read. */
    final Map<String, Long> blockedByProfile = new TreeMap<>();

    UltraLogLog clients = UltraLogLog.create(StatsWindow.DISTINCT_PRECISION);
    UltraLogLog blockedClients = UltraLogLog.create(StatsWindow.DISTINCT_PRECISION);
    UltraLogLog blockedNames = UltraLogLog.create(StatsWindow.DISTINCT_PRECISION);
    final Map<String, UltraLogLog> blockedClientsByCategory = new TreeMap<>();
    FrequentLongsSketch topClients = new FrequentLongsSketch(StatsWindow.TOP_MAP_SIZE);
    FrequentLongsSketch topBlockedNames = new FrequentLongsSketch(StatsWindow.TOP_MAP_SIZE);
    /** The clients limited most often, keyed as {@link #topClients}. */
    FrequentLongsSketch topLimited = new FrequentLongsSketch(StatsWindow.TOP_MAP_SIZE);
    /** blocked-name hash -> name, for the names in {@link #topBlockedNames}. */
    final Map<Long, String> names = new LinkedHashMap<>();
    /** How the client keys in {@link #topClients} were made (full, truncate, hash). */
    String clientKeyMode = "truncate";

    /** An empty bucket (a period with no traffic). */
    public StatsBucket() {}

    static void add(Map<String, Long> into, String key, long n) {
        if (n != 0) {
            into.merge(key, n, Long::sum);
        }
    }

    /** Adds one event loop's window (its sketches; the counters come from the totals' difference). */
    void addWindow(StatsWindow w, List<String> categoryNames, int otherSlot) {
        clients.add(w.clients());
        blockedClients.add(w.blockedClients());
        blockedNames.add(w.blockedNames());
        for (int slot = 0; slot < categoryNames.size(); slot++) {
            UltraLogLog c = w.blockedClients(slot == categoryNames.size() - 1 ? otherSlot : slot);
            if (c != null) {
                blockedClientsByCategory
                        .computeIfAbsent(
                                categoryNames.get(slot), k -> UltraLogLog.create(StatsWindow.DISTINCT_PRECISION))
                        .add(c);
            }
        }
        w.topClients().forEach((key, count, text) -> topClients.update(key, count));
        w.topLimited().forEach((key, count, text) -> topLimited.update(key, count));
        w.topBlockedNames().forEach((hash, count, text) -> {
            topBlockedNames.update(hash, count);
            if (text != null) {
                names.putIfAbsent(hash, text);
            }
        });
        trimNames();
    }

    /** Adds {@code other} into this bucket. */
    void merge(StatsBucket other) {
        queries += other.queries;
        cacheHits += other.cacheHits;
        aclRefused += other.aclRefused;
        upstreamFailures += other.upstreamFailures;
        blocked += other.blocked;
        limited += other.limited;
        other.answers.forEach((k, v) -> add(answers, k, v));
        other.actions.forEach((k, v) -> add(actions, k, v));
        other.blockedByCategory.forEach((k, v) -> add(blockedByCategory, k, v));
        other.blockedByProfile.forEach((k, v) -> add(blockedByProfile, k, v));
        clients.add(other.clients);
        blockedClients.add(other.blockedClients);
        blockedNames.add(other.blockedNames);
        other.blockedClientsByCategory.forEach((k, v) -> blockedClientsByCategory
                .computeIfAbsent(k, x -> UltraLogLog.create(StatsWindow.DISTINCT_PRECISION))
                .add(v));
        topClients.merge(other.topClients);
        topBlockedNames.merge(other.topBlockedNames);
        topLimited.merge(other.topLimited);
        other.names.forEach(names::putIfAbsent);
        clientKeyMode = other.clientKeyMode;
        trimNames();
    }

    /** Keeps the names of the heaviest blocked names only, so a bucket stays small. */
    private void trimNames() {
        if (names.size() <= NAMES_KEPT) {
            return;
        }
        Map<Long, String> keep = new LinkedHashMap<>();
        for (FrequentLongsSketch.Row row : topBlockedNames.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES)) {
            String n = names.get(row.getItem());
            if (n != null && keep.size() < NAMES_KEPT) {
                keep.put(row.getItem(), n);
            }
        }
        names.clear();
        names.putAll(keep);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(queries);
            out.writeLong(cacheHits);
            out.writeLong(aclRefused);
            out.writeLong(upstreamFailures);
            out.writeLong(blocked);
            writeCounts(out, answers);
            writeCounts(out, actions);
            writeCounts(out, blockedByCategory);
            writeBytes(out, clients.getState());
            writeBytes(out, blockedClients.getState());
            writeBytes(out, blockedNames.getState());
            out.writeInt(blockedClientsByCategory.size());
            for (Map.Entry<String, UltraLogLog> e : blockedClientsByCategory.entrySet()) {
                out.writeUTF(e.getKey());
                writeBytes(out, e.getValue().getState());
            }
            writeBytes(out, topClients.toByteArray());
            writeBytes(out, topBlockedNames.toByteArray());
            out.writeInt(names.size());
            for (Map.Entry<Long, String> e : names.entrySet()) {
                out.writeLong(e.getKey());
                out.writeUTF(e.getValue());
            }
            out.writeUTF(clientKeyMode);
            writeCounts(out, blockedByProfile);
            out.writeLong(limited);
            writeBytes(out, topLimited.toByteArray());
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory
        }
        return bytes.toByteArray();
    }

    static StatsBucket decode(byte[] data) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new IOException("statistics bucket format " + format + " is not known to this version");
            }
            StatsBucket b = new StatsBucket();
            b.queries = in.readLong();
            b.cacheHits = in.readLong();
            b.aclRefused = in.readLong();
            b.upstreamFailures = in.readLong();
            b.blocked = in.readLong();
            readCounts(in, b.answers);
            readCounts(in, b.actions);
            readCounts(in, b.blockedByCategory);
            b.clients = UltraLogLog.wrap(readBytes(in));
            b.blockedClients = UltraLogLog.wrap(readBytes(in));
            b.blockedNames = UltraLogLog.wrap(readBytes(in));
            int categories = in.readInt();
            for (int i = 0; i < categories; i++) {
                b.blockedClientsByCategory.put(in.readUTF(), UltraLogLog.wrap(readBytes(in)));
            }
            b.topClients = FrequentLongsSketch.getInstance(MemorySegment.ofArray(readBytes(in)));
            b.topBlockedNames = FrequentLongsSketch.getInstance(MemorySegment.ofArray(readBytes(in)));
            int names = in.readInt();
            for (int i = 0; i < names; i++) {
                b.names.put(in.readLong(), in.readUTF());
            }
            b.clientKeyMode = in.readUTF();
            // Later additions are appended, so older buckets still read: those written before
            // profiles end here, those written before the rate limits' statistics after them.
            if (in.available() > 0) {
                readCounts(in, b.blockedByProfile);
            }
            if (in.available() > 0) {
                b.limited = in.readLong();
                b.topLimited = FrequentLongsSketch.getInstance(MemorySegment.ofArray(readBytes(in)));
            }
            return b;
        } catch (RuntimeException e) {
            throw new IOException("statistics bucket is corrupt: " + e.getMessage(), e);
        }
    }

    private static void writeCounts(DataOutputStream out, Map<String, Long> counts) throws IOException {
        out.writeInt(counts.size());
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue());
        }
    }

    private static void readCounts(DataInputStream in, Map<String, Long> into) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            into.put(in.readUTF(), in.readLong());
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 16 << 20) {
            throw new IOException("bad length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** The headline counts, as the API's statistics calls name them. */
    public Map<String, Object> counts() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("queries", queries());
        m.put("blocked", blocked());
        m.put("cacheHits", cacheHits());
        m.put("aclRefused", aclRefused());
        m.put("upstreamFailures", upstreamFailures());
        m.put("limited", limited());
        m.put("distinctClients", distinctClients());
        m.put("protectedClients", protectedClients());
        m.put("distinctBlockedNames", distinctBlockedNames());
        return m;
    }

    public long queries() {
        return queries;
    }

    public long blocked() {
        return blocked;
    }

    public long cacheHits() {
        return cacheHits;
    }

    public long distinctClients() {
        return Math.round(clients.getDistinctCountEstimate());
    }

    public long protectedClients() {
        return Math.round(blockedClients.getDistinctCountEstimate());
    }

    public long distinctBlockedNames() {
        return Math.round(blockedNames.getDistinctCountEstimate());
    }

    public long aclRefused() {
        return aclRefused;
    }

    public long upstreamFailures() {
        return upstreamFailures;
    }

    public Map<String, Long> answers() {
        return answers;
    }

    public Map<String, Long> actions() {
        return actions;
    }

    public Map<String, Long> blockedByCategory() {
        return blockedByCategory;
    }

    /** Blocks by the client's profile ({@code default}: clients in no group). */
    public Map<String, Long> blockedByProfile() {
        return blockedByProfile;
    }

    public Map<String, UltraLogLog> blockedClientsByCategory() {
        return blockedClientsByCategory;
    }

    public FrequentLongsSketch topClients() {
        return topClients;
    }

    /** UDP queries over a client's or network's rate limit. */
    public long limited() {
        return limited;
    }

    /** The clients limited most often. */
    public FrequentLongsSketch topLimited() {
        return topLimited;
    }

    public FrequentLongsSketch topBlockedNames() {
        return topBlockedNames;
    }

    public String clientKeyMode() {
        return clientKeyMode;
    }

    public @Nullable String nameOf(long hash) {
        return names.get(hash);
    }
}
