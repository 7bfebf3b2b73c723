package org.safenet.dns.resolver.listen;

import static io.netty.handler.codec.http.HttpResponseStatus.BAD_REQUEST;
import static io.netty.handler.codec.http.HttpResponseStatus.METHOD_NOT_ALLOWED;
import static io.netty.handler.codec.http.HttpResponseStatus.NOT_FOUND;
import static io.netty.handler.codec.http.HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
import static io.netty.handler.codec.http.HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AsciiString;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.wire.DnsConstants;
import org.safenet.dns.resolver.wire.EdnsPadding;

/**
 * What RFC 8484 asks of a DNS-over-HTTPS request, for both HTTP versions: {@code GET
 * /dns-query?dns=<base64url>} or {@code POST /dns-query} with {@code application/dns-message}, a
 * body of one DNS message. Each refusal is a 4xx with a one-line reason; never a 500.
 */
final class DohRequests {
    private DohRequests() {}

    /** RFC 8484 §6. */
    static final String MEDIA_TYPE = "application/dns-message";

    static final String PATH = "/dns-query";

    /** Largest body taken: one DNS message. */
    static final int MAX_BODY = 65_535;

    /** A request refused: the status and the reason sent as the body. */
    record Refusal(HttpResponseStatus status, String why) {}

    static final Refusal NOT_HERE = new Refusal(NOT_FOUND, "DNS over HTTPS is at " + PATH);
    static final Refusal WRONG_METHOD = new Refusal(METHOD_NOT_ALLOWED, "GET or POST");
    static final Refusal WRONG_TYPE = new Refusal(UNSUPPORTED_MEDIA_TYPE, "POST needs Content-Type: " + MEDIA_TYPE);
    static final Refusal TOO_LARGE = new Refusal(REQUEST_ENTITY_TOO_LARGE, "a DNS message is at most 65,535 octets");
    static final Refusal NO_PARAMETER = new Refusal(BAD_REQUEST, "GET needs one dns parameter (the query, base64url)");
    static final Refusal NOT_BASE64 = new Refusal(BAD_REQUEST, "the dns parameter is not base64url");
    static final Refusal NOT_DNS = new Refusal(BAD_REQUEST, "not a DNS message");
    static final Refusal MALFORMED = new Refusal(BAD_REQUEST, "malformed HTTP request");

    /**
     * Checks what the request line and headers say.
     *
     * @param contentLength the declared body length, or -1
     * @return null when the request may go on (its parameter or body is read next)
     */
    static @Nullable Refusal check(
            CharSequence method, CharSequence uri, @Nullable CharSequence contentType, long contentLength) {
        int q = indexOf(uri, '?');
        int pathEnd = q < 0 ? uri.length() : q;
        if (pathEnd != PATH.length() || !PATH.contentEquals(uri.subSequence(0, pathEnd))) {
            return NOT_HERE;
        }
        if ("GET".contentEquals(method)) {
            return null;
        }
        if (!"POST".contentEquals(method)) {
            return WRONG_METHOD;
        }
        if (contentType == null || !isDnsMessage(contentType)) {
            return WRONG_TYPE;
        }
        return contentLength > MAX_BODY ? TOO_LARGE : null;
    }

    private static boolean isDnsMessage(CharSequence contentType) {
        String t = contentType.toString();
        int semi = t.indexOf(';');
        return (semi < 0 ? t : t.substring(0, semi)).trim().equalsIgnoreCase(MEDIA_TYPE);
    }

    /**
     * Decodes the query of a GET ({@code dns=}, base64url, RFC 8484 §4.1) into {@code out}; null
     * when done, else why not (missing or repeated parameter, not base64url), with {@code out}
     * partly written. Reads the URI in place: no string or array per request.
     */
    static @Nullable Refusal getQuery(CharSequence uri, ByteBuf out) {
        int length = uri.length();
        int q = indexOf(uri, '?', 0);
        int start = -1;
        int end = -1;
        for (int i = q < 0 ? length : q + 1; i < length; ) {
            int amp = indexOf(uri, '&', i);
            if (amp < 0) {
                amp = length;
            }
            if (amp - i >= 4
                    && uri.charAt(i) == 'd'
                    && uri.charAt(i + 1) == 'n'
                    && uri.charAt(i + 2) == 's'
                    && uri.charAt(i + 3) == '=') {
                if (start >= 0) {
                    return NO_PARAMETER;
                }
                start = i + 4;
                end = amp;
            }
            i = amp + 1;
        }
        if (start < 0) {
            return NO_PARAMETER;
        }
        int percent = indexOf(uri, '%', start);
        if (percent >= 0 && percent < end) {
            // Percent-encoded (no client needs to: base64url is URL-safe), so the slow way.
            String decoded;
            try {
                decoded = QueryStringDecoder.decodeComponent(
                        uri.subSequence(start, end).toString());
            } catch (IllegalArgumentException e) {
                return NOT_BASE64; // a broken escape
            }
            return base64Url(decoded, 0, decoded.length(), out);
        }
        return base64Url(uri, start, end, out);
    }

    /**
     * Base64url (RFC 4648 §5) of {@code s[start, end)} into {@code out}; the padding RFC 8484
     * leaves out is accepted too. Null when done, else {@link #NOT_BASE64}.
     */
    static @Nullable Refusal base64Url(CharSequence s, int start, int end, ByteBuf out) {
        int e = end;
        while (e > start && end - e < 2 && s.charAt(e - 1) == '=') {
            e--;
        }
        if (e != end && (end - start) % 4 != 0) {
            return NOT_BASE64; // padding that does not complete a group
        }
        int bits = 0;
        int held = 0;
        for (int i = start; i < e; i++) {
            int v = sextet(s.charAt(i));
            if (v < 0) {
                return NOT_BASE64;
            }
            bits = (bits << 6) | v;
            held += 6;
            if (held >= 8) {
                held -= 8;
                out.writeByte(bits >>> held);
                bits &= (1 << held) - 1;
            }
        }
        // One character left over carries 6 bits, less than a byte: not base64.
        return held >= 6 ? NOT_BASE64 : null;
    }

    private static int sextet(char c) {
        if (c >= 'A' && c <= 'Z') {
            return c - 'A';
        }
        if (c >= 'a' && c <= 'z') {
            return c - 'a' + 26;
        }
        if (c >= '0' && c <= '9') {
            return c - '0' + 52;
        }
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    }

    /** Null if {@code message} can be a DNS message by its size. */
    static @Nullable Refusal checkMessage(ByteBuf message) {
        if (message.readableBytes() < DnsConstants.HEADER_LENGTH) {
            return NOT_DNS;
        }
        return message.readableBytes() > MAX_BODY ? TOO_LARGE : null;
    }

    private static int indexOf(CharSequence s, char c) {
        return indexOf(s, c, 0);
    }

    private static int indexOf(CharSequence s, char c, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /** Header values for small numbers, made once: answers repeat a few lengths (padding) and TTLs. */
    private static final int CACHED_VALUES = 4096;

    private static final AsciiString[] DECIMALS = new AsciiString[CACHED_VALUES];
    private static final AsciiString[] MAX_AGES = new AsciiString[CACHED_VALUES];

    /** {@code n} in decimal, as a header value (a content length). */
    static AsciiString decimal(int n) {
        if (n < 0 || n >= CACHED_VALUES) {
            return AsciiString.of(Integer.toString(n));
        }
        AsciiString v = DECIMALS[n];
        if (v == null) {
            // A race makes the same value twice; AsciiString is immutable, so either is fine.
            v = AsciiString.cached(Integer.toString(n));
            DECIMALS[n] = v;
        }
        return v;
    }

    /** {@code max-age=SECONDS}, the Cache-Control value of an answer whose smallest TTL is {@code ttl}. */
    static AsciiString maxAge(long ttl) {
        if (ttl < 0 || ttl >= CACHED_VALUES) {
            return AsciiString.of("max-age=" + ttl);
        }
        AsciiString v = MAX_AGES[(int) ttl];
        if (v == null) {
            v = AsciiString.cached("max-age=" + ttl);
            MAX_AGES[(int) ttl] = v;
        }
        return v;
    }

    /**
     * The smallest TTL of the answer's records (answer and authority sections; the OPT is not a
     * record), for {@code Cache-Control: max-age} (RFC 8484 §5.1); 0 when there is none.
     */
    static long minTtl(ByteBuf m) {
        int start = m.readerIndex();
        int end = m.writerIndex();
        if (end - start < DnsConstants.HEADER_LENGTH) {
            return 0;
        }
        int at = start + DnsConstants.HEADER_LENGTH;
        int questions = m.getUnsignedShort(start + 4);
        int records = m.getUnsignedShort(start + 6) + m.getUnsignedShort(start + 8);
        for (int i = 0; i < questions; i++) {
            at = EdnsPadding.skipName(m, at, end) + 4;
        }
        long min = Long.MAX_VALUE;
        for (int i = 0; i < records && at + 10 <= end; i++) {
            at = EdnsPadding.skipName(m, at, end);
            if (at + 10 > end) {
                break;
            }
            min = Math.min(min, m.getUnsignedInt(at + 4));
            at += 10 + m.getUnsignedShort(at + 8);
        }
        return min == Long.MAX_VALUE ? 0 : min;
    }
}
