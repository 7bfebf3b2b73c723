package org.safenet.dns.resolver.wire;

import static org.safenet.dns.resolver.wire.DnsConstants.HEADER_LENGTH;
import static org.safenet.dns.resolver.wire.DnsConstants.TYPE_OPT;

import io.netty.buffer.ByteBuf;

/**
 * EDNS(0) padding (RFC 7830) of an answer on an encrypted transport, by the block-length policy
 * of RFC 8467 §4.1: the answer grows to a multiple of the block (468 octets for responses), so its
 * size says little about the name. Only answers that carry an OPT record (the client spoke EDNS;
 * RFC 7830 §4 lets a responder pad those) and whose OPT is the last record are padded; the others
 * go as they are. Walks the message once; allocates nothing.
 */
public final class EdnsPadding {
    private EdnsPadding() {}

    /** RFC 7830 §3. */
    static final int OPTION_PADDING = 12;

    /** RFC 8467 §4.1: the block length recommended for responses. */
    public static final int RESPONSE_BLOCK = 468;

    /**
     * Pads the message from {@code start} to the buffer's writer index (a complete answer) to a
     * multiple of {@code block}. Returns whether it did.
     */
    public static boolean pad(ByteBuf buf, int start, int block) {
        int end = buf.writerIndex();
        if (end - start < HEADER_LENGTH) {
            return false;
        }
        int questions = buf.getUnsignedShort(start + 4);
        int records =
                buf.getUnsignedShort(start + 6) + buf.getUnsignedShort(start + 8) + buf.getUnsignedShort(start + 10);
        int at = start + HEADER_LENGTH;
        for (int i = 0; i < questions; i++) {
            at = skipName(buf, at, end) + 4;
            if (at > end) {
                return false;
            }
        }
        int lastType = -1;
        int lastRdLength = -1;
        for (int i = 0; i < records; i++) {
            at = skipName(buf, at, end);
            if (at < 0 || at + 10 > end) {
                return false;
            }
            lastType = buf.getUnsignedShort(at);
            lastRdLength = at + 8;
            at += 10 + buf.getUnsignedShort(at + 8);
            if (at > end) {
                return false;
            }
        }
        if (at != end || lastType != TYPE_OPT) {
            return false; // no OPT, or it is not last (a TSIG follows): left as it is
        }
        int length = end - start;
        int zeros = (block - (length + 4) % block) % block;
        if (length + 4 + zeros > 65_535) {
            return false;
        }
        buf.ensureWritable(4 + zeros);
        buf.writeShort(OPTION_PADDING);
        buf.writeShort(zeros);
        buf.writeZero(zeros);
        buf.setShort(lastRdLength, buf.getUnsignedShort(lastRdLength) + 4 + zeros);
        return true;
    }

    /**
     * The offset after the (possibly compressed) name at {@code at}, or a value past {@code end}
     * if it runs over; for other walkers of a whole message too.
     */
    public static int skipName(ByteBuf buf, int at, int end) {
        while (at >= 0 && at < end) {
            int len = buf.getUnsignedByte(at);
            if (len == 0) {
                return at + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                return at + 2;
            }
            if ((len & 0xC0) != 0) {
                return end + 1;
            }
            at += 1 + len;
        }
        return end + 1;
    }
}
