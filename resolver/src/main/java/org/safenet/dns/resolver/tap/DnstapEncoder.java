package org.safenet.dns.resolver.tap;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Writes dnstap messages ({@code dnstap.proto}: {@code Dnstap} wrapping one {@code Message}, with
 * a {@code Policy} for blocked answers) as protocol buffers straight into the event loop's scratch
 * array, each preceded by its Frame Streams length. No generated classes and no intermediate objects: the
 * sizes of the nested messages are computed first (protobuf puts a length before each), then the
 * bytes are written once.
 */
final class DnstapEncoder {
    private static final int VARINT = 0;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    // Dnstap
    private static final int DNSTAP_IDENTITY = 1;
    private static final int DNSTAP_VERSION = 2;
    private static final int DNSTAP_MESSAGE = 14;
    private static final int DNSTAP_TYPE = 15;
    private static final int DNSTAP_TYPE_MESSAGE = 1;

    // Message
    private static final int MSG_TYPE = 1;
    private static final int MSG_SOCKET_FAMILY = 2;
    private static final int MSG_SOCKET_PROTOCOL = 3;
    private static final int MSG_QUERY_ADDRESS = 4;
    private static final int MSG_RESPONSE_ADDRESS = 5;
    private static final int MSG_QUERY_PORT = 6;
    private static final int MSG_RESPONSE_PORT = 7;
    private static final int MSG_QUERY_TIME_SEC = 8;
    private static final int MSG_QUERY_TIME_NSEC = 9;
    private static final int MSG_QUERY_MESSAGE = 10;
    private static final int MSG_RESPONSE_TIME_SEC = 12;
    private static final int MSG_RESPONSE_TIME_NSEC = 13;
    private static final int MSG_RESPONSE_MESSAGE = 14;
    private static final int MSG_POLICY = 15;

    // Policy
    private static final int POLICY_TYPE = 1;
    private static final int POLICY_RULE = 2;
    private static final int POLICY_ACTION = 3;
    private static final int POLICY_MATCH = 4;
    private static final int POLICY_VALUE = 5;

    private DnstapEncoder() {}

    /** One message's fields; a reusable holder, filled by the caller (one per event loop). */
    static final class Fields {
        int type;
        /** 1 INET, 2 INET6 */
        int family;
        /** dnstap SocketProtocol: 1 UDP, 2 TCP, 3 DOT, 4 DOH */
        int protocol;

        final byte[] queryAddress = new byte[16];
        int queryAddressLength;
        int queryPort = -1;
        final byte[] responseAddress = new byte[16];
        int responseAddressLength;
        int responsePort = -1;
        /** Milliseconds since the epoch, or -1. */
        long queryMillis = -1;

        long responseMillis = -1;

        ByteBuf queryMessage;
        int queryOffset;
        int queryLength = -1;
        ByteBuf responseMessage;
        int responseOffset;
        int responseLength = -1;
        /** The policy's rule text (UTF-8), or null for no Policy. */
        byte[] rule;
        /** dnstap Policy.Action, 0 for none. */
        int action;
        /** dnstap Policy.Match, 0 for none. */
        int match;

        byte[] value;
        int valueLength;

        /** The query's bytes {@code [offset, offset + length)} of {@code message}, sent or received at {@code millis}. */
        Fields query(ByteBuf message, int offset, int length, long millis) {
            queryMillis = millis;
            queryMessage = message;
            queryOffset = offset;
            queryLength = length;
            return this;
        }

        /** The response's bytes, and when its query and it were sent or received. */
        Fields response(ByteBuf message, int offset, int length, long queryMillis, long responseMillis) {
            this.queryMillis = queryMillis;
            this.responseMillis = responseMillis;
            responseMessage = message;
            responseOffset = offset;
            responseLength = length;
            return this;
        }

        void clear() {
            type = 0;
            family = 0;
            protocol = 0;
            queryAddressLength = 0;
            responseAddressLength = 0;
            queryPort = -1;
            responsePort = -1;
            queryMillis = -1;
            responseMillis = -1;
            queryMessage = null;
            queryLength = -1;
            responseMessage = null;
            responseLength = -1;
            rule = null;
            action = 0;
            match = 0;
            value = null;
            valueLength = 0;
        }
    }

    /**
     * The {@code Dnstap} fields every message of one appliance shares ({@code identity}, {@code
     * version}), encoded once; {@link #writeFrame} copies them.
     */
    static byte[] header(byte[] identity, byte[] version) {
        byte[] out = new byte
                [(identity.length > 0 ? bytesFieldSize(DNSTAP_IDENTITY, identity.length) : 0)
                        + (version.length > 0 ? bytesFieldSize(DNSTAP_VERSION, version.length) : 0)];
        int at = 0;
        if (identity.length > 0) {
            at = bytesField(out, at, DNSTAP_IDENTITY, identity, identity.length);
        }
        if (version.length > 0) {
            bytesField(out, at, DNSTAP_VERSION, version, version.length);
        }
        return out;
    }

    /**
     * Writes the frame (a 4-byte big-endian length, then the {@code Dnstap} message) into {@code
     * out} from index 0; returns its length, or -1 if it does not fit (nothing useful written).
     */
    static int writeFrame(byte[] out, byte[] header, Fields f) {
        int policySize = policySize(f);
        int messageSize = messageSize(f, policySize);
        int dnstapSize = header.length
                + bytesFieldSize(DNSTAP_MESSAGE, messageSize)
                + varintFieldSize(DNSTAP_TYPE, DNSTAP_TYPE_MESSAGE);
        if (4 + dnstapSize > out.length) {
            return -1;
        }
        out[0] = (byte) (dnstapSize >>> 24);
        out[1] = (byte) (dnstapSize >>> 16);
        out[2] = (byte) (dnstapSize >>> 8);
        out[3] = (byte) dnstapSize;
        System.arraycopy(header, 0, out, 4, header.length);
        int at = 4 + header.length;
        out[at++] = tag(DNSTAP_MESSAGE, LENGTH_DELIMITED);
        at = varint(out, at, messageSize);
        at = writeMessage(out, at, f, policySize);
        at = varintField(out, at, DNSTAP_TYPE, DNSTAP_TYPE_MESSAGE);
        return at;
    }

    private static int messageSize(Fields f, int policySize) {
        int n = varintFieldSize(MSG_TYPE, f.type);
        if (f.family != 0) {
            n += varintFieldSize(MSG_SOCKET_FAMILY, f.family);
        }
        if (f.protocol != 0) {
            n += varintFieldSize(MSG_SOCKET_PROTOCOL, f.protocol);
        }
        if (f.queryAddressLength > 0) {
            n += bytesFieldSize(MSG_QUERY_ADDRESS, f.queryAddressLength);
        }
        if (f.responseAddressLength > 0) {
            n += bytesFieldSize(MSG_RESPONSE_ADDRESS, f.responseAddressLength);
        }
        if (f.queryPort >= 0) {
            n += varintFieldSize(MSG_QUERY_PORT, f.queryPort);
        }
        if (f.responsePort >= 0) {
            n += varintFieldSize(MSG_RESPONSE_PORT, f.responsePort);
        }
        if (f.queryMillis >= 0) {
            n += varintFieldSize(MSG_QUERY_TIME_SEC, f.queryMillis / 1000) + 1 + 4;
        }
        if (f.queryLength >= 0) {
            n += bytesFieldSize(MSG_QUERY_MESSAGE, f.queryLength);
        }
        if (f.responseMillis >= 0) {
            n += varintFieldSize(MSG_RESPONSE_TIME_SEC, f.responseMillis / 1000) + 1 + 4;
        }
        if (f.responseLength >= 0) {
            n += bytesFieldSize(MSG_RESPONSE_MESSAGE, f.responseLength);
        }
        if (policySize >= 0) {
            n += bytesFieldSize(MSG_POLICY, policySize);
        }
        return n;
    }

    /** -1 for no Policy. */
    private static int policySize(Fields f) {
        if (f.rule == null) {
            return -1;
        }
        int n = bytesFieldSize(POLICY_TYPE, POLICY_TYPE_TEXT.length) + bytesFieldSize(POLICY_RULE, f.rule.length);
        if (f.action != 0) {
            n += varintFieldSize(POLICY_ACTION, f.action);
        }
        if (f.match != 0) {
            n += varintFieldSize(POLICY_MATCH, f.match);
        }
        if (f.value != null && f.valueLength > 0) {
            n += bytesFieldSize(POLICY_VALUE, f.valueLength);
        }
        return n;
    }

    /** Policy.type: what kind of policy. Ours are the appliance's lists (entries, sources, RPZ feeds). */
    static final byte[] POLICY_TYPE_TEXT = "SafeNet DNS blocklist".getBytes(StandardCharsets.US_ASCII);

    private static int writeMessage(byte[] out, int at, Fields f, int policySize) {
        at = varintField(out, at, MSG_TYPE, f.type);
        if (f.family != 0) {
            at = varintField(out, at, MSG_SOCKET_FAMILY, f.family);
        }
        if (f.protocol != 0) {
            at = varintField(out, at, MSG_SOCKET_PROTOCOL, f.protocol);
        }
        if (f.queryAddressLength > 0) {
            at = bytesField(out, at, MSG_QUERY_ADDRESS, f.queryAddress, f.queryAddressLength);
        }
        if (f.responseAddressLength > 0) {
            at = bytesField(out, at, MSG_RESPONSE_ADDRESS, f.responseAddress, f.responseAddressLength);
        }
        if (f.queryPort >= 0) {
            at = varintField(out, at, MSG_QUERY_PORT, f.queryPort);
        }
        if (f.responsePort >= 0) {
            at = varintField(out, at, MSG_RESPONSE_PORT, f.responsePort);
        }
        if (f.queryMillis >= 0) {
            at = varintField(out, at, MSG_QUERY_TIME_SEC, f.queryMillis / 1000);
            out[at++] = tag(MSG_QUERY_TIME_NSEC, FIXED32);
            at = fixed32(out, at, (int) (f.queryMillis % 1000) * 1_000_000);
        }
        if (f.queryLength >= 0) {
            out[at++] = tag(MSG_QUERY_MESSAGE, LENGTH_DELIMITED);
            at = varint(out, at, f.queryLength);
            f.queryMessage.getBytes(f.queryOffset, out, at, f.queryLength);
            at += f.queryLength;
        }
        if (f.responseMillis >= 0) {
            at = varintField(out, at, MSG_RESPONSE_TIME_SEC, f.responseMillis / 1000);
            out[at++] = tag(MSG_RESPONSE_TIME_NSEC, FIXED32);
            at = fixed32(out, at, (int) (f.responseMillis % 1000) * 1_000_000);
        }
        if (f.responseLength >= 0) {
            out[at++] = tag(MSG_RESPONSE_MESSAGE, LENGTH_DELIMITED);
            at = varint(out, at, f.responseLength);
            f.responseMessage.getBytes(f.responseOffset, out, at, f.responseLength);
            at += f.responseLength;
        }
        if (policySize >= 0) {
            out[at++] = tag(MSG_POLICY, LENGTH_DELIMITED);
            at = varint(out, at, policySize);
            at = bytesField(out, at, POLICY_TYPE, POLICY_TYPE_TEXT, POLICY_TYPE_TEXT.length);
            at = bytesField(out, at, POLICY_RULE, f.rule, f.rule.length);
            if (f.action != 0) {
                at = varintField(out, at, POLICY_ACTION, f.action);
            }
            if (f.match != 0) {
                at = varintField(out, at, POLICY_MATCH, f.match);
            }
            if (f.value != null && f.valueLength > 0) {
                at = bytesField(out, at, POLICY_VALUE, f.value, f.valueLength);
            }
        }
        return at;
    }

    private static byte tag(int field, int wireType) {
        return (byte) (field << 3 | wireType); // every field number here is below 16: one byte
    }

    private static int varintField(byte[] out, int at, int field, long value) {
        out[at] = tag(field, VARINT);
        return varint(out, at + 1, value);
    }

    private static int bytesField(byte[] out, int at, int field, byte[] value, int length) {
        out[at] = tag(field, LENGTH_DELIMITED);
        at = varint(out, at + 1, length);
        System.arraycopy(value, 0, out, at, length);
        return at + length;
    }

    /** protobuf's fixed32: little-endian. */
    private static int fixed32(byte[] out, int at, int value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >>> 8);
        out[at + 2] = (byte) (value >>> 16);
        out[at + 3] = (byte) (value >>> 24);
        return at + 4;
    }

    static int varint(byte[] out, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            out[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out[at++] = (byte) value;
        return at;
    }

    static int varintSize(long value) {
        if ((value & ~0x7FL) == 0) {
            return 1; // most lengths, ports' first byte aside, and every enum
        }
        int n = 1;
        while ((value & ~0x7FL) != 0) {
            n++;
            value >>>= 7;
        }
        return n;
    }

    private static int varintFieldSize(int field, long value) {
        return varintSize(field << 3) + varintSize(value);
    }

    private static int bytesFieldSize(int field, int length) {
        return varintSize(field << 3) + varintSize(length) + length;
    }
}
