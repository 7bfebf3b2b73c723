package org.safenet.dns.resolver.cache;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * Reads where a cached answer leads, one record at a time, without allocating: the targets of
 * its CNAME and DNAME records (decompressed into a reusable {@link ParsedQuery}) and its A/AAAA
 * addresses. One instance per event loop; {@link #reset} it per answer.
 *
 * <p>Compression pointers refer to offsets in the message the upstream sent; the entry keeps
 * enough of it (the question name's length and the body) to map an offset back: offsets below
 * the question belong to the header (invalid for a name), the question name is the entry's
 * stored name, and past the question's type and class comes the body.
 */
public final class AnswerTargets {
    /** {@link #next()}: a CNAME/DNAME target is in {@link #name()}. */
    public static final int NAME = 1;
    /** {@link #next()}: an IPv4 address is in {@link #ipv4()}. */
    public static final int IPV4 = 2;
    /** {@link #next()}: an IPv6 address is in {@link #ipv6()}. */
    public static final int IPV6 = 3;
    /** {@link #next()}: no more. */
    public static final int END = 0;

    private final ParsedQuery name = new ParsedQuery();
    private final byte[] wire = new byte[MAX_NAME_LENGTH];
    private final byte[] ipv4 = new byte[4];
    private final byte[] ipv6 = new byte[16];

    private byte[] data = new byte[0];
    private int nameLength;
    private int bodyStart;
    private int pos;
    private int remaining;

    /** Starts reading {@code e}'s answer section. */
    public void reset(CachedResponse e) {
        data = e.data();
        nameLength = e.nameLength();
        bodyStart = e.bodyStart();
        pos = bodyStart;
        remaining = e.answerCount();
    }

    public ParsedQuery name() {
        return name;
    }

    public byte[] ipv4() {
        return ipv4;
    }

    public byte[] ipv6() {
        return ipv6;
    }

    /** Advances to the next target or address in the answer section: {@link #NAME}, {@link #IPV4}, {@link #IPV6} or {@link #END}. */
    public int next() {
        while (remaining > 0) {
            remaining--;
            int at = skipName(pos);
            if (at < 0 || at + 10 > data.length) {
                remaining = 0;
                return END;
            }
            int type = u16(at);
            int rdlength = u16(at + 8);
            int rdata = at + 10;
            pos = rdata + rdlength;
            if (pos > data.length) {
                remaining = 0;
                return END;
            }
            if ((type == TYPE_CNAME || type == TYPE_DNAME) && rdlength > 0) {
                int length = decompress(data, nameLength, bodyStart, rdata, wire, 0);
                if (length > 0 && name.loadName(wire, length, TYPE_A)) {
                    return NAME;
                }
            } else if (type == TYPE_A && rdlength == 4) {
                System.arraycopy(data, rdata, ipv4, 0, 4);
                return IPV4;
            } else if (type == TYPE_AAAA && rdlength == 16) {
                System.arraycopy(data, rdata, ipv6, 0, 16);
                return IPV6;
            }
        }
        return END;
    }

    private int u16(int at) {
        return (data[at] & 0xFF) << 8 | (data[at + 1] & 0xFF);
    }

    private int skipName(int at) {
        return skipName(data, at);
    }

    static int skipName(byte[] data, int at) {
        while (at < data.length) {
            int len = data[at] & 0xFF;
            if ((len & 0xC0) == 0xC0) {
                return at + 2;
            }
            if ((len & 0xC0) != 0) {
                return -1;
            }
            at += len + 1;
            if (len == 0) {
                return at;
            }
        }
        return -1;
    }

    /**
     * Where message offset {@code offset} is in an entry's {@code data}, or -1 if no name can be
     * there (see the class comment).
     */
    static int locate(byte[] data, int nameLength, int bodyStart, int offset) {
        int questionName = HEADER_LENGTH;
        int body = HEADER_LENGTH + nameLength + 4;
        if (offset >= questionName && offset < questionName + nameLength) {
            return offset - questionName;
        }
        if (offset >= body) {
            int at = bodyStart + (offset - body);
            return at < data.length ? at : -1;
        }
        return -1;
    }

    /**
     * Decompresses the name at {@code at} of an entry's {@code data} into {@code out} from {@code
     * outAt}; returns its length, or -1 if malformed or longer than 255 octets.
     */
    static int decompress(byte[] data, int nameLength, int bodyStart, int at, byte[] out, int outAt) {
        int length = 0;
        int hops = 0;
        while (at >= 0 && at < data.length) {
            int len = data[at] & 0xFF;
            if ((len & 0xC0) == 0xC0) {
                if (at + 1 >= data.length || ++hops > 16) {
                    return -1;
                }
                at = locate(data, nameLength, bodyStart, (len & 0x3F) << 8 | (data[at + 1] & 0xFF));
                continue;
            }
            if ((len & 0xC0) != 0 || length + len + 1 > MAX_NAME_LENGTH || (len != 0 && at + len >= data.length)) {
                return -1;
            }
            System.arraycopy(data, at, out, outAt + length, len + 1);
            length += len + 1;
            if (len == 0) {
                return length;
            }
            at += len + 1;
        }
        return -1;
    }
}
