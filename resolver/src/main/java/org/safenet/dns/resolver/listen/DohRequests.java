package org.safenet.dns.resolver.listen;

import static io.netty.handler.codec.http.HttpResponseStatus.BAD_REQUEST;
import static io.netty.handler.codec.http.HttpResponseStatus.METHOD_NOT_ALLOWED;
import static io.netty.handler.codec.http.HttpResponseStatus.NOT_FOUND;
import static io.netty.handler.codec.http.HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
import static io.netty.handler.codec.http.HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.Base64;
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

    /** The query of a GET, decoded; null with {@code refusal[0]} set when it is missing, repeated or not base64url. */
    static byte @Nullable [] getQuery(CharSequence uri, Refusal[] refusal) {
        String u = uri.toString();
        int q = u.indexOf('?');
        String found = null;
        for (int i = q < 0 ? u.length() : q + 1; i < u.length(); ) {
            int amp = u.indexOf('&', i);
            if (amp < 0) {
                amp = u.length();
            }
            if (u.startsWith("dns=", i)) {
                if (found != null) {
                    refusal[0] = NO_PARAMETER;
                    return null;
                }
                found = u.substring(i + 4, amp);
            }
            i = amp + 1;
        }
        if (found == null) {
            refusal[0] = NO_PARAMETER;
            return null;
        }
        if (found.indexOf('%') >= 0) {
            found = QueryStringDecoder.decodeComponent(found);
        }
        try {
            return Base64.getUrlDecoder().decode(found);
        } catch (IllegalArgumentException e) {
            refusal[0] = NOT_BASE64;
            return null;
        }
    }

    /** Null if {@code message} can be a DNS message by its size. */
    static @Nullable Refusal checkMessage(ByteBuf message) {
        if (message.readableBytes() < DnsConstants.HEADER_LENGTH) {
            return NOT_DNS;
        }
        return message.readableBytes() > MAX_BODY ? TOO_LARGE : null;
    }

    private static int indexOf(CharSequence s, char c) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
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
