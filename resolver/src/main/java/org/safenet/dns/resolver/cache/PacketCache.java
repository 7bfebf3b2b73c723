package org.safenet.dns.resolver.cache;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import io.netty.buffer.ByteBuf;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.wire.AnswerWriter;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * The answer cache shared by all event loops: a set-associative table of immutable {@link
 * CachedResponse}s, looked up without locks or allocation.
 *
 * <p>Why not Caffeine: its lookup needs a key object per query, and the hot path allocates
 * nothing. A key may live in either of two buckets of {@value #WAYS} slots, chosen by the low and
 * the high half of its hash ("two choices": with one bucket per key, a cache only half full
 * already loses about 2% of its entries to buckets that overflow; with two, the overflow stays
 * negligible until the table is nearly full). A lookup compares the stored hash, then the name
 * bytes (a hash match alone is never trusted). A store replaces, in order of preference, the same
 * key, an empty slot, an entry past its stale window, then the least recently used of the 16
 * candidates. That bounds memory by entry count and approximates global LRU. Slots are published with release/acquire
 * semantics, and entries are immutable, so a reader on another loop always sees a whole entry.
 *
 * <p>See docs/decisions/0003-packet-cache.md.
 */
public final class PacketCache {
    static final int WAYS = 8;
    /** A hit refreshes an entry's last-use stamp at most this often (a write to memory other loops read). */
    static final long LAST_USED_GRANULARITY_MILLIS = 1000;

    private final AtomicReferenceArray<@Nullable CachedResponse> slots;
    /**
     * Each slot's key hash beside it, so a probe reads one cache line per bucket (8 longs) and
     * touches an entry only when the hash matches. Written before the slot's release; a reader
     * that sees a stale tag only compares an entry that then fails (or passes) the full check.
     */
    private final long[] tags;

    private final int bucketMask;
    private final long seed;
    private final CacheSettings settings;
    private final AtomicLong occupied = new AtomicLong();

    public PacketCache(CacheSettings settings) {
        this.settings = settings;
        int buckets = Integer.highestOneBit(Math.max(1, (settings.maxEntries() + WAYS - 1) / WAYS));
        if (buckets * WAYS < settings.maxEntries()) {
            buckets <<= 1;
        }
        this.slots = new AtomicReferenceArray<>(settings.maxEntries() == 0 ? 0 : buckets * WAYS);
        this.tags = new long[slots.length()];
        this.bucketMask = buckets - 1;
        this.seed = new SecureRandom().nextLong();
    }

    public CacheSettings settings() {
        return settings;
    }

    /** The per-process hash seed; {@link UpstreamResponses#decode} needs it to key new entries. */
    public long seed() {
        return seed;
    }

    /**
     * Finds the entry for {@code q}. A fresh entry is returned when one exists; with {@code
     * allowStale} an expired one still inside its serve-stale window is returned too.
     */
    public @Nullable CachedResponse lookup(ParsedQuery q, long nowMillis, boolean allowStale) {
        if (slots.length() == 0) {
            return null;
        }
        int keyFlags = CacheKeys.keyFlags(q);
        long hash = CacheKeys.hash(seed, q.name(), q.nameLength(), q.type(), q.qclass(), keyFlags);
        CachedResponse e = find(firstBucket(hash), hash, q, keyFlags);
        if (e == null) {
            e = find(secondBucket(hash), hash, q, keyFlags);
        }
        if (e == null) {
            return null;
        }
        if (nowMillis < e.expiresAtMillis || (allowStale && isServableStale(e, nowMillis))) {
            if (nowMillis - e.lastUsedMillis >= LAST_USED_GRANULARITY_MILLIS) {
                e.lastUsedMillis = nowMillis;
            }
            return e;
        }
        return null;
    }

    private @Nullable CachedResponse find(int first, long hash, ParsedQuery q, int keyFlags) {
        for (int i = first; i < first + WAYS; i++) {
            // The tag is a hint (one cache line covers the bucket); the entry confirms the whole key.
            if (tags[i] == hash) {
                CachedResponse e = slots.getAcquire(i);
                if (e != null && e.matches(hash, q, keyFlags)) {
                    return e;
                }
            }
        }
        return null;
    }

    /** First slot of the key's first bucket: the low bits of the hash. */
    private int firstBucket(long hash) {
        return (int) (hash & bucketMask) * WAYS;
    }

    /** First slot of the key's second bucket: the high bits, an independent choice. */
    private int secondBucket(long hash) {
        return (int) ((hash >>> 32) & bucketMask) * WAYS;
    }

    private boolean isServableStale(CachedResponse e, long nowMillis) {
        return settings.serveStale()
                && nowMillis < e.expiresAtMillis + settings.maxStale().toMillis();
    }

    /** Stores an entry made by {@link UpstreamResponses#decode}, evicting within its bucket. */
    public void store(CachedResponse entry) {
        if (slots.length() == 0) {
            return;
        }
        long now = entry.storedAtMillis;
        int[] buckets = {firstBucket(entry.keyHash), secondBucket(entry.keyHash)};
        int[] firstEmpty = {-1, -1};
        int[] emptyCount = {0, 0};
        int oldest = -1;
        long oldestScore = Long.MAX_VALUE;
        for (int b = 0; b < 2; b++) {
            for (int i = buckets[b]; i < buckets[b] + WAYS; i++) {
                CachedResponse e = slots.getAcquire(i);
                if (e == null) {
                    emptyCount[b]++;
                    if (firstEmpty[b] < 0) {
                        firstEmpty[b] = i;
                    }
                } else if (e.sameKey(entry)) {
                    replace(i, entry);
                    return;
                } else {
                    long score = evictionScore(e, now);
                    if (score < oldestScore) {
                        oldestScore = score;
                        oldest = i;
                    }
                }
            }
        }
        // The emptier of the two buckets: "two choices" only pays off if stores balance the load.
        int victim = emptyCount[0] == 0 && emptyCount[1] == 0
                ? oldest
                : emptyCount[0] >= emptyCount[1] ? firstEmpty[0] : firstEmpty[1];
        replace(victim, entry);
    }

    private void replace(int slot, CachedResponse entry) {
        tags[slot] = entry.keyHash;
        CachedResponse previous = slots.getAndSet(slot, entry);
        if (previous == null) {
            occupied.incrementAndGet();
        }
    }

    /** Lower goes first: entries past their stale window, then expired ones, then least recently used. */
    private long evictionScore(CachedResponse e, long now) {
        if (!e.isExpired(now)) {
            return e.lastUsedMillis;
        }
        return isServableStale(e, now) ? Long.MIN_VALUE / 2 + e.lastUsedMillis : Long.MIN_VALUE;
    }

    /** Entries held now (approximate under concurrent stores). */
    public long size() {
        return occupied.get();
    }

    /** Slots the table has, the bound on {@link #size()}. */
    public int capacity() {
        return slots.length();
    }

    public void clear() {
        for (int i = 0; i < slots.length(); i++) {
            tags[i] = 0;
            if (slots.getAndSet(i, null) != null) {
                occupied.decrementAndGet();
            }
        }
    }

    /**
     * Writes the answer to {@code q} from {@code e} into {@code out}: the client's ID and question
     * (its letter case kept), the stored records with each TTL lowered by the entry's age (or set
     * to the stale TTL), and our OPT when the client sent one. If the answer would not fit {@code
     * maxSize}, writes a TC answer with no records instead, so the client retries over TCP (RFC
     * 2181 §9). Allocates nothing.
     *
     * @return true if the full answer was written, false if it was truncated
     */
    public boolean writeAnswer(
            ByteBuf out, ParsedQuery q, CachedResponse e, long nowMillis, int ourUdpSize, int maxSize) {
        int questionLength = q.nameLength() + 4;
        int optLength = q.hasEdns() ? 11 : 0;
        // A resolver's answers are not authoritative: the upstream's AA is not kept (the sinkhole
        // and the RPZ zone served as primary answer from their own data elsewhere).
        int extraFlags = 0;
        // RFC 6840 §5.8: AD only to clients that asked for DNSSEC data.
        if (q.dnssecOk() || (q.flags() & FLAG_AD) != 0) {
            extraFlags |= e.flags() & FLAG_AD;
        }
        if (e.encodedLength(questionLength) + optLength > maxSize) {
            AnswerWriter.writeHeader(
                    out,
                    q.id(),
                    AnswerWriter.responseFlags(q, extraFlags | FLAG_TC, e.rcode),
                    1,
                    0,
                    0,
                    q.hasEdns() ? 1 : 0);
            AnswerWriter.writeQuestion(out, q);
            if (q.hasEdns()) {
                AnswerWriter.writeOpt(out, ourUdpSize, e.rcode, q.dnssecOk());
            }
            return false;
        }
        AnswerWriter.writeHeader(
                out,
                q.id(),
                AnswerWriter.responseFlags(q, extraFlags, e.rcode),
                1,
                e.answerCount(),
                e.authorityCount(),
                e.additionalCount + (q.hasEdns() ? 1 : 0));
        AnswerWriter.writeQuestion(out, q);
        int bodyAt = out.writerIndex();
        byte[] data = e.data();
        int bodyStart = e.bodyStart();
        out.writeBytes(data, bodyStart, data.length - bodyStart);
        boolean stale = nowMillis >= e.expiresAtMillis;
        long age = (nowMillis - e.storedAtMillis) / 1000;
        int staleTtl = (int) settings.staleAnswerTtl().toSeconds();
        for (int i = 0, n = e.ttlCount(); i < n; i++) {
            int at = bodyStart + e.ttlOffset(i);
            int stored = (data[at] & 0xFF) << 24
                    | (data[at + 1] & 0xFF) << 16
                    | (data[at + 2] & 0xFF) << 8
                    | (data[at + 3] & 0xFF);
            int ttl = stale ? staleTtl : (int) Math.max(0, stored - age);
            out.setInt(bodyAt + (at - bodyStart), ttl);
        }
        if (q.hasEdns()) {
            AnswerWriter.writeOpt(out, ourUdpSize, e.rcode, q.dnssecOk());
        }
        return true;
    }

    /**
     * Writes the answer to {@code q} that redirects it: a CNAME from the question's name to {@code
     * target} (uncompressed wire form, TTL {@code cnameTtl}), followed by the target's answer and
     * authority records from {@code e} (the cached answer for the target, same type), their
     * names decompressed and TTLs aged, with {@code e}'s rcode. What SafeSearch and RPZ's CNAME
     * action answer, so every stub resolver sees a complete chain. Allocates nothing; a TC answer
     * if it does not fit {@code maxSize}.
     *
     * @param scratch room for one decompressed name (255 octets)
     * @param authoritative set AA: the CNAME is the appliance's own data (a policy on the query's
     *     name or client), as Unbound marks its RPZ and local-zone rewrites; clear for a rewrite of
     *     where an upstream answer led (an RPZ-IP trigger)
     * @return true if the full answer was written, false if it was truncated
     */
    public boolean writeRedirect(
            ByteBuf out,
            ParsedQuery q,
            byte[] target,
            int cnameTtl,
            CachedResponse e,
            long nowMillis,
            int ourUdpSize,
            int maxSize,
            byte[] scratch,
            boolean authoritative) {
        int start = out.writerIndex();
        // No AD: the CNAME is ours, not data the upstream validated (RFC 4035 §3.2.3).
        int extraFlags = authoritative ? FLAG_AA : 0;
        AnswerWriter.writeHeader(
                out, q.id(), AnswerWriter.responseFlags(q, extraFlags, e.rcode), 1, 0, 0, q.hasEdns() ? 1 : 0);
        AnswerWriter.writeQuestion(out, q);
        out.writeShort(0xC000 | HEADER_LENGTH);
        out.writeShort(TYPE_CNAME);
        out.writeShort(CLASS_IN);
        out.writeInt(cnameTtl);
        out.writeShort(target.length);
        out.writeBytes(target);
        int answers = 1;
        int authority = 0;
        byte[] data = e.data();
        int nameLength = e.nameLength();
        int bodyStart = e.bodyStart();
        boolean stale = nowMillis >= e.expiresAtMillis;
        long age = (nowMillis - e.storedAtMillis) / 1000;
        int staleTtl = (int) settings.staleAnswerTtl().toSeconds();
        int pos = bodyStart;
        int records = e.answerCount() + e.authorityCount();
        for (int i = 0; i < records; i++) {
            int owner = pos;
            int at = AnswerTargets.skipName(data, pos);
            if (at < 0 || at + 10 > data.length) {
                break;
            }
            int type = (data[at] & 0xFF) << 8 | (data[at + 1] & 0xFF);
            int rdlength = (data[at + 8] & 0xFF) << 8 | (data[at + 9] & 0xFF);
            int rdata = at + 10;
            pos = rdata + rdlength;
            int recordOut = out.writerIndex();
            if (pos > data.length || !writeName(out, data, nameLength, bodyStart, owner, scratch)) {
                out.writerIndex(recordOut);
                break;
            }
            out.writeBytes(data, at, 4); // type, class
            int stored = (data[at + 4] & 0xFF) << 24
                    | (data[at + 5] & 0xFF) << 16
                    | (data[at + 6] & 0xFF) << 8
                    | (data[at + 7] & 0xFF);
            out.writeInt(stale ? staleTtl : (int) Math.max(0, stored - age));
            int lengthAt = out.writerIndex();
            out.writeShort(0);
            int rdataOut = out.writerIndex();
            boolean ok = switch (type) {
                case TYPE_CNAME, TYPE_DNAME, TYPE_NS, TYPE_PTR ->
                    writeName(out, data, nameLength, bodyStart, rdata, scratch);
                case TYPE_MX -> {
                    out.writeBytes(data, rdata, 2);
                    yield writeName(out, data, nameLength, bodyStart, rdata + 2, scratch);
                }
                case TYPE_SOA -> {
                    int second = AnswerTargets.skipName(data, rdata);
                    boolean names = second > 0
                            && writeName(out, data, nameLength, bodyStart, rdata, scratch)
                            && writeName(out, data, nameLength, bodyStart, second, scratch);
                    int fixed = second < 0 ? -1 : AnswerTargets.skipName(data, second);
                    if (names && fixed > 0 && fixed + 20 <= pos) {
                        out.writeBytes(data, fixed, 20);
                        yield true;
                    }
                    yield false;
                }
                default -> {
                    out.writeBytes(data, rdata, rdlength);
                    yield true;
                }
            };
            if (!ok) {
                out.writerIndex(recordOut); // an unreadable record: the chain ends before it
                break;
            }
            out.setShort(lengthAt, out.writerIndex() - rdataOut);
            if (i < e.answerCount()) {
                answers++;
            } else {
                authority++;
            }
        }
        out.setShort(start + 6, answers);
        out.setShort(start + 8, authority);
        if (q.hasEdns()) {
            AnswerWriter.writeOpt(out, ourUdpSize, e.rcode, q.dnssecOk());
        }
        if (out.writerIndex() - start > maxSize) {
            out.writerIndex(start);
            AnswerWriter.writeHeader(
                    out, q.id(), AnswerWriter.responseFlags(q, FLAG_TC, e.rcode), 1, 0, 0, q.hasEdns() ? 1 : 0);
            AnswerWriter.writeQuestion(out, q);
            if (q.hasEdns()) {
                AnswerWriter.writeOpt(out, ourUdpSize, e.rcode, q.dnssecOk());
            }
            return false;
        }
        return true;
    }

    private static boolean writeName(ByteBuf out, byte[] data, int nameLength, int bodyStart, int at, byte[] scratch) {
        int length = AnswerTargets.decompress(data, nameLength, bodyStart, at, scratch, 0);
        if (length < 0) {
            return false;
        }
        out.writeBytes(scratch, 0, length);
        return true;
    }
}
