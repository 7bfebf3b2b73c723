package org.safenet.dns.resolver.cache;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.wire.DnsConstants;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;

/**
 * Checks an upstream response against the question we asked and turns it into a {@link
 * CachedResponse}. Miss path only; it may allocate.
 *
 * <p>The checks are dnsdist's {@code responseContentMatches}: QR set, our ID, opcode QUERY, one
 * question equal (case-insensitively) to ours, and every record within the packet. TTLs are clamped
 * to the configured bounds and written back, so a hit only has to subtract the age. Negative
 * answers take their lifetime from the SOA in the authority section (RFC 2308 §5: the lesser of the
 * SOA's TTL and its MINIMUM field).
 */
public final class UpstreamResponses {
    private UpstreamResponses() {}

    public enum Status {
        /** Usable; {@link Decoded#entry()} holds it, cacheable or not. */
        OK,
        /** TC set: ask again over TCP. */
        TRUNCATED,
        /** Not an answer to our question (wrong ID, question, or not a response): ignore it. */
        MISMATCH,
        /** Records run past the end of the packet or are otherwise broken. */
        MALFORMED
    }

    /**
     * The outcome; {@code entry} is set for {@link Status#OK}, {@code cacheable} says whether to
     * store it. {@code chainTargets} are the CNAME/DNAME targets of the answer section (lowercase
     * wire form) and {@code answerAddresses} its A/AAAA addresses, for the policy's checks of where
     * an answer leads (CNAME cloaking, RPZ-IP); the cache entry does not keep them.
     */
    public record Decoded(
            Status status,
            @Nullable CachedResponse entry,
            boolean cacheable,
            List<byte[]> chainTargets,
            List<byte[]> answerAddresses) {
        static Decoded of(Status s) {
            return new Decoded(s, null, false, List.of(), List.of());
        }
    }

    public static Decoded decode(
            ByteBuf resp, int expectedId, ParsedQuery q, long seed, CacheSettings settings, long nowMillis) {
        int base = resp.readerIndex();
        int end = base + resp.readableBytes();
        if (end - base < HEADER_LENGTH) {
            return Decoded.of(Status.MALFORMED);
        }
        int id = resp.getUnsignedShort(base);
        int flags = resp.getUnsignedShort(base + 2);
        if (id != expectedId
                || (flags & FLAG_QR) == 0
                || (flags & OPCODE_MASK) != 0
                || resp.getUnsignedShort(base + 4) != 1) {
            return Decoded.of(Status.MISMATCH);
        }
        // The question: uncompressed, and equal to ours but for letter case.
        int pos = base + HEADER_LENGTH;
        int nameLength = q.nameLength();
        if (pos + nameLength + 4 > end) {
            return Decoded.of(isTruncated(flags) ? Status.TRUNCATED : Status.MISMATCH);
        }
        byte[] qn = q.name();
        for (int i = 0; i < nameLength; i++) {
            if (DnsNames.lower(resp.getByte(pos + i)) != qn[i]) {
                return Decoded.of(Status.MISMATCH);
            }
        }
        pos += nameLength;
        if (resp.getUnsignedShort(pos) != q.type() || resp.getUnsignedShort(pos + 2) != q.qclass()) {
            return Decoded.of(Status.MISMATCH);
        }
        pos += 4;
        if (isTruncated(flags)) {
            return Decoded.of(Status.TRUNCATED);
        }
        int bodyStart = pos;
        int an = resp.getUnsignedShort(base + 6);
        int ns = resp.getUnsignedShort(base + 8);
        int ar = resp.getUnsignedShort(base + 10);
        int total = an + ns + ar;
        int[] ttlOffsets = new int[total];
        int[] ttls = new int[total];
        int ttlCount = 0;
        int optStart = -1;
        int optEnd = -1;
        int extendedRcode = 0;
        int soaTtlIndex = -1;
        long soaMinimum = -1;
        List<byte[]> chainTargets = new ArrayList<>(0);
        List<byte[]> addresses = new ArrayList<>(0);
        for (int i = 0; i < total; i++) {
            int recordStart = pos;
            pos = QueryParser.skipName(resp, pos, end);
            if (pos < 0 || pos + 10 > end) {
                return Decoded.of(Status.MALFORMED);
            }
            int type = resp.getUnsignedShort(pos);
            int rdlength = resp.getUnsignedShort(pos + 8);
            int next = pos + 10 + rdlength;
            if (next > end) {
                return Decoded.of(Status.MALFORMED);
            }
            if (type == TYPE_OPT) {
                if (optStart >= 0 || i < an + ns) {
                    return Decoded.of(Status.MALFORMED);
                }
                optStart = recordStart;
                optEnd = next;
                extendedRcode = resp.getUnsignedByte(pos + 4);
            } else {
                if (i < an && (type == TYPE_CNAME || type == TYPE_DNAME) && rdlength > 0) {
                    byte[] target = readName(resp, base, pos + 10, next);
                    if (target == null) {
                        return Decoded.of(Status.MALFORMED);
                    }
                    chainTargets.add(target);
                }
                if (i < an && ((type == TYPE_A && rdlength == 4) || (type == TYPE_AAAA && rdlength == 16))) {
                    byte[] address = new byte[rdlength];
                    resp.getBytes(pos + 10, address);
                    addresses.add(address);
                }
                long ttl = resp.getUnsignedInt(pos + 4);
                if (type == TYPE_SOA && i >= an && i < an + ns && rdlength >= 22) {
                    soaTtlIndex = ttlCount;
                    soaMinimum = resp.getUnsignedInt(next - 4);
                }
                // RFC 2181 §8: a TTL with the top bit set is treated as zero.
                ttls[ttlCount] = ttl > Integer.MAX_VALUE ? 0 : (int) ttl;
                ttlOffsets[ttlCount] = pos + 4 - bodyStart;
                ttlCount++;
            }
            pos = next;
        }
        int rcode = (extendedRcode << 4) | (flags & RCODE_MASK);
        int additional = ar - (optStart >= 0 ? 1 : 0);

        byte[] body;
        boolean cacheable = settings.maxEntries() > 0;
        if (optStart < 0) {
            body = bytes(resp, bodyStart, pos);
        } else {
            body = new byte[(pos - bodyStart) - (optEnd - optStart)];
            resp.getBytes(bodyStart, body, 0, optStart - bodyStart);
            resp.getBytes(optEnd, body, optStart - bodyStart, pos - optEnd);
            if (optEnd != pos) {
                // Records after the OPT moved; a pointer into them would now be wrong. Relay, don't keep.
                cacheable = false;
                int shift = optEnd - optStart;
                for (int i = 0; i < ttlCount; i++) {
                    if (ttlOffsets[i] > optStart - bodyStart) {
                        ttlOffsets[i] -= shift;
                    }
                }
            }
        }
        ttls = Arrays.copyOf(ttls, ttlCount);

        long lifetime = lifetimeSeconds(rcode, an, ttls, soaTtlIndex, soaMinimum, settings);
        if (lifetime <= 0) {
            cacheable = false;
            lifetime = 0;
        }
        for (int i = 0; i < ttlCount; i++) {
            writeInt(body, ttlOffsets[i], ttls[i]);
        }
        int keyFlags = CacheKeys.keyFlags(q);
        long hash = CacheKeys.hash(seed, qn, nameLength, q.type(), q.qclass(), keyFlags);
        int keptFlags = flags & FLAG_AD; // AA is the upstream's to claim, not ours
        CachedResponse entry = new CachedResponse(
                hash,
                qn,
                nameLength,
                q.type(),
                q.qclass(),
                keyFlags,
                keptFlags,
                rcode,
                an,
                ns,
                additional,
                body,
                body.length,
                ttlOffsets,
                ttlCount,
                nowMillis,
                nowMillis + lifetime * 1000,
                (chainTargets.isEmpty() ? 0 : CachedResponse.LEADS_ELSEWHERE)
                        | (addresses.isEmpty() ? 0 : CachedResponse.HAS_ADDRESSES));
        return new Decoded(Status.OK, entry, cacheable, chainTargets, addresses);
    }

    /**
     * Clamps every TTL in place and returns how long the answer may be cached, in seconds: 0 for
     * rcodes we never cache (SERVFAIL and friends) and for negative answers without an SOA.
     */
    private static long lifetimeSeconds(
            int rcode, int answers, int[] ttls, int soaIndex, long soaMinimum, CacheSettings s) {
        long min = s.minTtl().toSeconds();
        long max = s.maxTtl().toSeconds();
        boolean negative = rcode == RCODE_NXDOMAIN || (rcode == RCODE_NOERROR && answers == 0);
        if (rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN) {
            return 0;
        }
        long lifetime = Long.MAX_VALUE;
        for (int i = 0; i < ttls.length; i++) {
            long ttl = Math.min(Math.max(ttls[i], min), max);
            if (negative && i == soaIndex) {
                ttl = Math.min(Math.min(ttls[i], soaMinimum), s.negativeMaxTtl().toSeconds());
                ttl = Math.max(ttl, Math.min(min, s.negativeMaxTtl().toSeconds()));
            }
            ttls[i] = (int) ttl;
            lifetime = Math.min(lifetime, ttl);
        }
        if (negative && soaIndex < 0) {
            return 0; // RFC 2308 §5: without an SOA a negative answer is not cached
        }
        return lifetime == Long.MAX_VALUE ? 0 : lifetime;
    }

    /**
     * Reads a possibly compressed name at {@code pos} (within a record's RDATA ending at {@code
     * limit}) into lowercase wire form, following pointers into the message at most 64 times.
     */
    static byte @Nullable [] readName(ByteBuf p, int base, int pos, int limit) {
        byte[] out = new byte[DnsConstants.MAX_NAME_LENGTH];
        int len = 0;
        int hops = 0;
        int end = limit;
        while (true) {
            if (pos >= end) {
                return null;
            }
            int b = p.getUnsignedByte(pos);
            if ((b & 0xC0) == 0xC0) {
                if (pos + 1 >= end || ++hops > 64) {
                    return null;
                }
                pos = base + (((b & 0x3F) << 8) | p.getUnsignedByte(pos + 1));
                end = p.writerIndex();
                continue;
            }
            if ((b & 0xC0) != 0 || len + b + 1 > DnsConstants.MAX_NAME_LENGTH) {
                return null;
            }
            out[len++] = (byte) b;
            if (b == 0) {
                return java.util.Arrays.copyOf(out, len);
            }
            if (pos + 1 + b > end) {
                return null;
            }
            for (int i = 1; i <= b; i++) {
                out[len++] = DnsNames.lower(p.getByte(pos + i));
            }
            pos += b + 1;
        }
    }

    private static boolean isTruncated(int flags) {
        return (flags & FLAG_TC) != 0;
    }

    private static byte[] bytes(ByteBuf b, int from, int to) {
        byte[] out = new byte[to - from];
        b.getBytes(from, out);
        return out;
    }

    private static void writeInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
