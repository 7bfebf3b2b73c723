package org.safenet.dns.resolver.cache;

import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * An upstream answer kept as wire bytes: everything after the question, without the upstream's OPT
 * record, with the offset of every TTL so a hit can lower them in place (dnsdist's packet cache).
 * Immutable but for the last-use stamp that eviction reads.
 *
 * <p>Layout: one object and one flat array per entry, so that 200,000 entries cost about 30 MB
 * rather than the 70 MB that separate arrays for the name, body, TTL offsets and TTLs cost.
 * {@code data} holds the lowercase question name ({@link #nameLength()} octets), then each TTL's
 * offset into the body as an unsigned 16-bit number, then the body. The body's TTLs are already
 * clamped; a hit reads each one back and subtracts the entry's age.
 *
 * <p>Compression pointers in the body refer to offsets in the original message. They stay valid
 * because every answer we write puts a 12-octet header and the same-length question first.
 */
public final class CachedResponse {
    final long keyHash;
    final long storedAtMillis;
    final long expiresAtMillis;
    /**
     * Racy on purpose, and written at most once a second per entry (not on every hit), so that
     * loops answering the same popular names do not keep stealing one another's cache line.
     */
    long lastUsedMillis;
    /** {@code type << 16 | qclass}. */
    private final int typeAndClass;
    /** {@code keyFlags << 16 | flags} (AD as the upstream set it). */
    private final int keyFlagsAndFlags;

    final int rcode;
    /** {@code answerCount << 16 | authorityCount}. */
    private final int answerAndAuthority;

    final int additionalCount;
    /** {@code ttlCount << 8 | nameLength}. */
    private final int layout;

    private final byte[] data;

    /** {@link #LEADS_ELSEWHERE} and {@link #HAS_ADDRESSES}: what {@link #checked} is about. */
    private final byte leads;

    static final int LEADS_ELSEWHERE = 1;
    static final int HAS_ADDRESSES = 2;

    /**
     * Which profiles (bit {@code slot}, low 32 bits) found this answer's CNAME/DNAME targets and
     * addresses clean, under which policy stamp (high 32 bits). Racy on purpose: one long
     * written whole, so a reader sees either the old memo or the new one, never a mix; losing a
     * write only costs a second check.
     */
    @SuppressWarnings("unused") // through CHECKED
    private long checked;

    private static final java.lang.invoke.VarHandle CHECKED;

    static {
        try {
            CHECKED =
                    java.lang.invoke.MethodHandles.lookup().findVarHandle(CachedResponse.class, "checked", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    CachedResponse(
            long keyHash,
            byte[] name,
            int nameLength,
            int type,
            int qclass,
            int keyFlags,
            int flags,
            int rcode,
            int answerCount,
            int authorityCount,
            int additionalCount,
            byte[] body,
            int bodyLength,
            int[] ttlOffsets,
            int ttlCount,
            long storedAtMillis,
            long expiresAtMillis,
            int leads) {
        this.keyHash = keyHash;
        this.leads = (byte) leads;
        this.typeAndClass = type << 16 | qclass;
        this.keyFlagsAndFlags = keyFlags << 16 | flags;
        this.rcode = rcode;
        this.answerAndAuthority = answerCount << 16 | authorityCount;
        this.additionalCount = additionalCount;
        this.layout = ttlCount << 8 | nameLength;
        this.storedAtMillis = storedAtMillis;
        this.expiresAtMillis = expiresAtMillis;
        this.lastUsedMillis = storedAtMillis;
        byte[] d = new byte[nameLength + 2 * ttlCount + bodyLength];
        System.arraycopy(name, 0, d, 0, nameLength);
        int at = nameLength;
        for (int i = 0; i < ttlCount; i++) {
            d[at++] = (byte) (ttlOffsets[i] >>> 8);
            d[at++] = (byte) ttlOffsets[i];
        }
        System.arraycopy(body, 0, d, at, bodyLength);
        this.data = d;
    }

    /** True if this entry answers {@code q}: same name (case-insensitively), type, class and DO/CD. */
    boolean matches(long hash, ParsedQuery q, int qKeyFlags) {
        if (hash != keyHash
                || typeAndClass != (q.type() << 16 | q.qclass())
                || qKeyFlags != keyFlags()
                || q.nameLength() != nameLength()) {
            return false;
        }
        return java.util.Arrays.equals(data, 0, nameLength(), q.name(), 0, nameLength());
    }

    boolean sameKey(CachedResponse o) {
        return keyHash == o.keyHash
                && typeAndClass == o.typeAndClass
                && keyFlags() == o.keyFlags()
                && nameLength() == o.nameLength()
                && java.util.Arrays.equals(data, 0, nameLength(), o.data, 0, nameLength());
    }

    int nameLength() {
        return layout & 0xFF;
    }

    /**
     * Whether the answer needs its targets checked for a profile: true if it has CNAME/DNAME
     * targets, or addresses while {@code addressRules} exist, and has not been found clean for
     * {@code profileSlot} under {@code stamp}.
     */
    public boolean needsCheck(int stamp, int profileSlot, boolean addressRules) {
        if ((leads & LEADS_ELSEWHERE) == 0 && (!addressRules || (leads & HAS_ADDRESSES) == 0)) {
            return false;
        }
        if (profileSlot >= 32) {
            return true; // no memo bit: check every time
        }
        long memo = (long) CHECKED.getOpaque(this);
        return (int) (memo >>> 32) != stamp || (memo >>> profileSlot & 1) == 0;
    }

    /** Notes that {@code profileSlot} found the answer clean under {@code stamp}. */
    public void markChecked(int stamp, int profileSlot) {
        if (profileSlot >= 32) {
            return;
        }
        long memo = (long) CHECKED.getOpaque(this);
        long bits = (int) (memo >>> 32) == stamp ? memo & 0xFFFFFFFFL : 0;
        CHECKED.setOpaque(this, (long) stamp << 32 | bits | 1L << profileSlot);
    }

    int ttlCount() {
        return layout >>> 8;
    }

    int keyFlags() {
        return keyFlagsAndFlags >>> 16;
    }

    /** The header flags kept from the upstream (AD). */
    int flags() {
        return keyFlagsAndFlags & 0xFFFF;
    }

    int answerCount() {
        return answerAndAuthority >>> 16;
    }

    int authorityCount() {
        return answerAndAuthority & 0xFFFF;
    }

    /** Where the body starts in {@link #data}. */
    int bodyStart() {
        return nameLength() + 2 * ttlCount();
    }

    int bodyLength() {
        return data.length - bodyStart();
    }

    /** The body's offset of TTL number {@code i}. */
    int ttlOffset(int i) {
        int at = nameLength() + 2 * i;
        return (data[at] & 0xFF) << 8 | (data[at + 1] & 0xFF);
    }

    /** The flat array; see the class comment for its layout. Do not modify. */
    byte[] data() {
        return data;
    }

    public int rcode() {
        return rcode;
    }

    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    public boolean isExpired(long nowMillis) {
        return nowMillis >= expiresAtMillis;
    }

    /** Size of the answer we write from this entry, before any OPT record. */
    public int encodedLength(int questionLength) {
        return 12 + questionLength + bodyLength();
    }
}
