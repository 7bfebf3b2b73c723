package org.safenet.dns.resolver.cache;

import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * An upstream answer kept as wire bytes: everything after the question, without the upstream's OPT
 * record, with the offset and stored value of every TTL so a hit can lower them in place
 * (dnsdist's packet cache). Immutable but for the last-use stamp that eviction reads.
 *
 * <p>Compression pointers in {@link #body()} refer to offsets in the original message. They stay
 * valid because every answer we write puts a 12-octet header and the same-length question first.
 */
public final class CachedResponse {
    final long keyHash;
    final byte[] name;
    final int type;
    final int qclass;
    final int keyFlags;
    final int flags;
    final int rcode;
    final int answerCount;
    final int authorityCount;
    final int additionalCount;
    final byte[] body;
    final int[] ttlOffsets;
    final int[] ttls;
    final long storedAtMillis;
    final long expiresAtMillis;
    /** CNAME/DNAME targets in the answer section, lowercase wire form (for CNAME-cloaking checks). */
    final byte[][] chainTargets;
    /** A/AAAA addresses in the answer section (for RPZ-IP checks). */
    final byte[][] answerAddresses;
    /** Racy on purpose: a lost update only makes eviction a little less exact. */
    long lastUsedMillis;

    CachedResponse(
            long keyHash,
            byte[] name,
            int type,
            int qclass,
            int keyFlags,
            int flags,
            int rcode,
            int answerCount,
            int authorityCount,
            int additionalCount,
            byte[] body,
            int[] ttlOffsets,
            int[] ttls,
            long storedAtMillis,
            long expiresAtMillis,
            byte[][] chainTargets,
            byte[][] answerAddresses) {
        this.keyHash = keyHash;
        this.name = name;
        this.type = type;
        this.qclass = qclass;
        this.keyFlags = keyFlags;
        this.flags = flags;
        this.rcode = rcode;
        this.answerCount = answerCount;
        this.authorityCount = authorityCount;
        this.additionalCount = additionalCount;
        this.body = body;
        this.ttlOffsets = ttlOffsets;
        this.ttls = ttls;
        this.storedAtMillis = storedAtMillis;
        this.expiresAtMillis = expiresAtMillis;
        this.chainTargets = chainTargets;
        this.answerAddresses = answerAddresses;
        this.lastUsedMillis = storedAtMillis;
    }

    /** True if this entry answers {@code q}: same name (case-insensitively), type, class and DO/CD. */
    boolean matches(long hash, ParsedQuery q, int qKeyFlags) {
        if (hash != keyHash || q.type() != type || q.qclass() != qclass || qKeyFlags != keyFlags) {
            return false;
        }
        int len = q.nameLength();
        if (len != name.length) {
            return false;
        }
        byte[] qn = q.name();
        for (int i = 0; i < len; i++) {
            if (qn[i] != name[i]) {
                return false;
            }
        }
        return true;
    }

    boolean sameKey(CachedResponse o) {
        return keyHash == o.keyHash
                && type == o.type
                && qclass == o.qclass
                && keyFlags == o.keyFlags
                && java.util.Arrays.equals(name, o.name);
    }

    /** The names the answer's CNAME/DNAME records point to, in order; do not modify. */
    public byte[][] chainTargets() {
        return chainTargets;
    }

    /** The A/AAAA addresses of the answer section; do not modify. */
    public byte[][] answerAddresses() {
        return answerAddresses;
    }

    public int rcode() {
        return rcode;
    }

    public byte[] body() {
        return body;
    }

    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    public boolean isExpired(long nowMillis) {
        return nowMillis >= expiresAtMillis;
    }

    /** Size of the answer we write from this entry, before any OPT record. */
    public int encodedLength(int questionLength) {
        return 12 + questionLength + body.length;
    }
}
