package org.safenet.dns.resolver.tap;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Frame Streams control frames (the framing dnstap rides on, {@code fstrm}'s
 * {@code control.h}): an escape of four zero bytes, the control frame's length, its type, and for
 * READY, ACCEPT and START one content-type field. Data frames are a length and the payload.
 */
final class FrameStreams {
    static final int ACCEPT = 0x01;
    static final int START = 0x02;
    static final int STOP = 0x03;
    static final int READY = 0x04;
    static final int FINISH = 0x05;

    private static final int FIELD_CONTENT_TYPE = 0x01;
    /** Longest control frame we accept from a collector (fstrm's own limit is 512 bytes). */
    static final int MAX_CONTROL_LENGTH = 512;

    static final byte[] CONTENT_TYPE = "protobuf:dnstap.Dnstap".getBytes(StandardCharsets.US_ASCII);

    private FrameStreams() {}

    /** A control frame of {@code type}, with the dnstap content type unless it is STOP or FINISH. */
    static ByteBuffer control(int type) {
        boolean withType = type != STOP && type != FINISH;
        int length = 4 + (withType ? 8 + CONTENT_TYPE.length : 0);
        ByteBuffer b = ByteBuffer.allocate(8 + length);
        b.putInt(0).putInt(length).putInt(type);
        if (withType) {
            b.putInt(FIELD_CONTENT_TYPE).putInt(CONTENT_TYPE.length).put(CONTENT_TYPE);
        }
        return b.flip();
    }

    /**
     * The type of the control frame in {@code body} (what follows the escape and length), checking
     * that an ACCEPT names our content type.
     *
     * @throws IllegalArgumentException if it is malformed or accepts another content type only
     */
    static int parseControl(ByteBuffer body) {
        if (body.remaining() < 4) {
            throw new IllegalArgumentException("control frame shorter than its type");
        }
        int type = body.getInt();
        if (type != ACCEPT) {
            return type;
        }
        boolean ours = !body.hasRemaining(); // an ACCEPT without a content type accepts any
        while (body.remaining() >= 8) {
            int field = body.getInt();
            int len = body.getInt();
            if (len < 0 || len > body.remaining()) {
                throw new IllegalArgumentException("control field longer than its frame");
            }
            byte[] value = new byte[len];
            body.get(value);
            if (field == FIELD_CONTENT_TYPE && Arrays.equals(value, CONTENT_TYPE)) {
                ours = true;
            }
        }
        if (!ours) {
            throw new IllegalArgumentException("the collector does not accept protobuf:dnstap.Dnstap");
        }
        return type;
    }
}
