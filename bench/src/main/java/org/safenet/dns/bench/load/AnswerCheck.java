package org.safenet.dns.bench.load;

import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.bench.load.PreparedQuery.Kind;

/**
 * Decides whether a response is right, so that a fast wrong server does not win a comparison.
 * Blocked names must get the expected block answer; other names must get NOERROR or NXDOMAIN and
 * never the sinkhole address (over-blocking). Works on the response bytes; no allocation unless
 * the answer is wrong.
 */
public final class AnswerCheck {
    private static final int TYPE_A = 1;
    private static final int TYPE_AAAA = 28;

    /** How the target answers blocked names. */
    public enum BlockedMode {
        /** A answers carry the sinkhole IPv4 address; AAAA the IPv6 one, or NODATA without one. */
        SINKHOLE,
        /** NXDOMAIN (an RPZ {@code CNAME .} policy). */
        NXDOMAIN,
        /** Blocked names are not checked (the target is not expected to block them). */
        ANY
    }

    private final BlockedMode mode;
    private final byte[] sinkholeV4;
    private final byte @Nullable [] sinkholeV6;

    private AnswerCheck(BlockedMode mode, byte[] sinkholeV4, byte @Nullable [] sinkholeV6) {
        this.mode = mode;
        this.sinkholeV4 = sinkholeV4;
        this.sinkholeV6 = sinkholeV6;
    }

    public static AnswerCheck none() {
        return new AnswerCheck(BlockedMode.ANY, new byte[0], null);
    }

    /**
     * Parses {@code sinkhole:ADDR[,ADDR6]}, {@code nxdomain} or {@code any}.
     *
     * @throws IllegalArgumentException with the accepted forms
     */
    public static AnswerCheck parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("any")) {
            return none();
        }
        if (t.equals("nxdomain")) {
            return new AnswerCheck(BlockedMode.NXDOMAIN, new byte[0], null);
        }
        if (t.startsWith("sinkhole:")) {
            byte[] v4 = null;
            byte[] v6 = null;
            for (String a : t.substring("sinkhole:".length()).split(",")) {
                InetAddress addr = literal(a.strip(), text);
                if (addr instanceof Inet4Address) {
                    v4 = addr.getAddress();
                } else if (addr instanceof Inet6Address) {
                    v6 = addr.getAddress();
                }
            }
            if (v4 == null) {
                throw new IllegalArgumentException("'" + text + "': the sinkhole needs an IPv4 address");
            }
            return new AnswerCheck(BlockedMode.SINKHOLE, v4, v6);
        }
        throw new IllegalArgumentException(
                "'" + text + "': expected sinkhole:ADDR[,ADDR6], nxdomain or any for how blocked names are answered");
    }

    private static InetAddress literal(String a, String whole) {
        if (a.isEmpty() || !(a.indexOf(':') >= 0 || Character.isDigit(a.charAt(0)))) {
            throw new IllegalArgumentException("'" + whole + "': '" + a + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(a); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + whole + "': '" + a + "' is not an IP address");
        }
    }

    public BlockedMode mode() {
        return mode;
    }

    /** How this check reads in a report. */
    public String describe() {
        return switch (mode) {
            case ANY -> "blocked names not checked; other names must get NOERROR or NXDOMAIN";
            case NXDOMAIN -> "blocked names must get NXDOMAIN; other names NOERROR or NXDOMAIN";
            case SINKHOLE ->
                "blocked names must get the sinkhole " + address(sinkholeV4)
                        + (sinkholeV6 != null ? " / " + address(sinkholeV6) : " (AAAA: NODATA)")
                        + "; other names NOERROR or NXDOMAIN, never the sinkhole";
        };
    }

    private static String address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Why {@code response} (starting at {@code start}, question already matched) is a wrong answer
     * to {@code query}, or null if it is right.
     */
    public @Nullable String wrongBecause(ByteBuf response, int start, PreparedQuery query) {
        int rcode = response.getUnsignedByte(start + 3) & 0x0F;
        if (query.kind() == Kind.BLOCKED) {
            return switch (mode) {
                case ANY -> rcodeOk(rcode) ? null : "rcode " + rcode;
                case NXDOMAIN -> rcode == 3 ? null : "rcode " + rcode + " for a blocked name, expected NXDOMAIN";
                case SINKHOLE -> sinkholeWrong(response, start, query, rcode);
            };
        }
        if (!rcodeOk(rcode)) {
            return "rcode " + rcode;
        }
        // A query file's names may or may not be listed: only the response code says anything there.
        if (query.kind() == Kind.FILE) {
            return null;
        }
        if (mode == BlockedMode.SINKHOLE && (query.type() == TYPE_A || query.type() == TYPE_AAAA)) {
            byte[] sinkhole = query.type() == TYPE_A ? sinkholeV4 : sinkholeV6;
            if (sinkhole != null && (scanAddresses(response, start, query, sinkhole) & MATCHED) != 0) {
                return "sinkhole address for a name that is not blocked";
            }
        }
        return null;
    }

    private @Nullable String sinkholeWrong(ByteBuf response, int start, PreparedQuery query, int rcode) {
        if (query.type() != TYPE_A && query.type() != TYPE_AAAA) {
            return rcodeOk(rcode) ? null : "rcode " + rcode + " for a blocked name";
        }
        if (rcode != 0) {
            return "rcode " + rcode + " for a blocked name, expected the sinkhole";
        }
        byte[] expected = query.type() == TYPE_A ? sinkholeV4 : sinkholeV6;
        int found = scanAddresses(response, start, query, expected != null ? expected : new byte[0]);
        if (expected == null) {
            return (found & FOUND) == 0 ? null : "AAAA answer for a blocked name, expected NODATA";
        }
        if ((found & FOUND) == 0) {
            return "no " + (query.type() == TYPE_A ? "A" : "AAAA") + " answer for a blocked name";
        }
        if ((found & OTHER) != 0) {
            return "an address other than the sinkhole " + address(expected) + " for a blocked name";
        }
        return null;
    }

    private static boolean rcodeOk(int rcode) {
        return rcode == 0 || rcode == 3;
    }

    static final int FOUND = 1;
    static final int MATCHED = 2;
    static final int OTHER = 4;

    /**
     * Walks the answer section for records of the query's type: {@link #FOUND} if there is one,
     * {@link #MATCHED} if one equals {@code expected}, {@link #OTHER} if one differs. No allocation.
     */
    static int scanAddresses(ByteBuf b, int start, PreparedQuery query, byte[] expected) {
        int result = 0;
        int end = b.writerIndex();
        int answers = b.getUnsignedShort(start + 6);
        int p = start + query.questionEnd();
        for (int i = 0; i < answers && p < end; i++) {
            p = skipName(b, p, end);
            if (p < 0 || p + 10 > end) {
                break;
            }
            int type = b.getUnsignedShort(p);
            int rdLength = b.getUnsignedShort(p + 8);
            int rdata = p + 10;
            if (rdata + rdLength > end) {
                break;
            }
            if (type == query.type()) {
                result |= FOUND;
                result |= equalsAt(b, rdata, rdLength, expected) ? MATCHED : OTHER;
            }
            p = rdata + rdLength;
        }
        return result;
    }

    private static boolean equalsAt(ByteBuf b, int offset, int length, byte[] expected) {
        if (length != expected.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (b.getByte(offset + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static int skipName(ByteBuf b, int p, int end) {
        while (p < end) {
            int len = b.getUnsignedByte(p);
            if (len == 0) {
                return p + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                return p + 2;
            }
            p += 1 + len;
        }
        return -1;
    }
}
