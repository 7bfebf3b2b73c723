package org.safenet.dns.resolver.tap;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Writes dnstap messages ({@code dnstap.proto}: {@code Dnstap} wrapping one {@code Message}, with
 * a {@code Policy} for blocked answers) as protocol buffers straight into a {@link ByteBuf}, each
 * preceded by its Frame Streams length. No generated classes and no intermediate objects: the
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

    /** Writes the frame (a 4-byte big-endian length, then the {@code Dnstap} message) to {@code out}. */
    static void writeFrame(ByteBuf out, byte[] identity, byte[] version, Fields f) {
        int policySize = policySize(f);
        int messageSize = messageSize(f, policySize);
        int dnstapSize = 0;
        if (identity.length > 0) {
            dnstapSize += bytesFieldSize(DNSTAP_IDENTITY, identity.length);
        }
        if (version.length > 0) {
            dnstapSize += bytesFieldSize(DNSTAP_VERSION, version.length);
        }
        dnstapSize += bytesFieldSize(DNSTAP_MESSAGE, messageSize) + varintFieldSize(DNSTAP_TYPE, DNSTAP_TYPE_MESSAGE);
        out.ensureWritable(4 + dnstapSize);
        out.writeInt(dnstapSize);
        if (identity.length > 0) {
            bytesField(out, DNSTAP_IDENTITY, identity, identity.length);
        }
        if (version.length > 0) {
            bytesField(out, DNSTAP_VERSION, version, version.length);
        }
        tag(out, DNSTAP_MESSAGE, LENGTH_DELIMITED);
        varint(out, messageSize);
        writeMessage(out, f, policySize);
        varintField(out, DNSTAP_TYPE, DNSTAP_TYPE_MESSAGE);
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

    private static void writeMessage(ByteBuf out, Fields f, int policySize) {
        varintField(out, MSG_TYPE, f.type);
        if (f.family != 0) {
            varintField(out, MSG_SOCKET_FAMILY, f.family);
        }
        if (f.protocol != 0) {
            varintField(out, MSG_SOCKET_PROTOCOL, f.protocol);
        }
        if (f.queryAddressLength > 0) {
            bytesField(out, MSG_QUERY_ADDRESS, f.queryAddress, f.queryAddressLength);
        }
        if (f.responseAddressLength > 0) {
            bytesField(out, MSG_RESPONSE_ADDRESS, f.responseAddress, f.responseAddressLength);
        }
        if (f.queryPort >= 0) {
            varintField(out, MSG_QUERY_PORT, f.queryPort);
        }
        if (f.responsePort >= 0) {
            varintField(out, MSG_RESPONSE_PORT, f.responsePort);
        }
        if (f.queryMillis >= 0) {
            varintField(out, MSG_QUERY_TIME_SEC, f.queryMillis / 1000);
            tag(out, MSG_QUERY_TIME_NSEC, FIXED32);
            out.writeIntLE((int) (f.queryMillis % 1000) * 1_000_000);
        }
        if (f.queryLength >= 0) {
            tag(out, MSG_QUERY_MESSAGE, LENGTH_DELIMITED);
            varint(out, f.queryLength);
            out.writeBytes(f.queryMessage, f.queryOffset, f.queryLength);
        }
        if (f.responseMillis >= 0) {
            varintField(out, MSG_RESPONSE_TIME_SEC, f.responseMillis / 1000);
            tag(out, MSG_RESPONSE_TIME_NSEC, FIXED32);
            out.writeIntLE((int) (f.responseMillis % 1000) * 1_000_000);
        }
        if (f.responseLength >= 0) {
            tag(out, MSG_RESPONSE_MESSAGE, LENGTH_DELIMITED);
            varint(out, f.responseLength);
            out.writeBytes(f.responseMessage, f.responseOffset, f.responseLength);
        }
        if (policySize >= 0) {
            tag(out, MSG_POLICY, LENGTH_DELIMITED);
            varint(out, policySize);
            bytesField(out, POLICY_TYPE, POLICY_TYPE_TEXT, POLICY_TYPE_TEXT.length);
            bytesField(out, POLICY_RULE, f.rule, f.rule.length);
            if (f.action != 0) {
                varintField(out, POLICY_ACTION, f.action);
            }
            if (f.match != 0) {
                varintField(out, POLICY_MATCH, f.match);
            }
            if (f.value != null && f.valueLength > 0) {
                bytesField(out, POLICY_VALUE, f.value, f.valueLength);
            }
        }
    }

    private static void tag(ByteBuf out, int field, int wireType) {
        out.writeByte(field << 3 | wireType); // every field number here is below 16: one byte
    }

    private static void varintField(ByteBuf out, int field, long value) {
        tag(out, field, VARINT);
        varint(out, value);
    }

    private static void bytesField(ByteBuf out, int field, byte[] value, int length) {
        tag(out, field, LENGTH_DELIMITED);
        varint(out, length);
        out.writeBytes(value, 0, length);
    }

    static void varint(ByteBuf out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.writeByte((int) (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.writeByte((int) value);
    }

    static int varintSize(long value) {
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
