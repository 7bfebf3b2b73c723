package org.safenet.dns.testkit;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Frame Streams file the way fstrm's reader does: a START control frame (whose content
 * type must be dnstap's), data frames, a STOP control frame. Written from the fstrm
 * specification, not from the appliance's writer, so a test checks one against the other.
 */
public final class DnstapFrames {
    private DnstapFrames() {}

    /** The data frames' payloads (each a serialised {@code dnstap.Dnstap}); throws if the file is not one whole stream. */
    public static List<byte[]> read(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(raw)) {
            if (in.readInt() != 0) {
                throw new IOException("does not start with a control frame");
            }
            byte[] start = new byte[in.readInt()];
            in.readFully(start);
            if (start.length < 4 || start[3] != 0x02) {
                throw new IOException("the first control frame is not START");
            }
            if (!new String(start, StandardCharsets.US_ASCII).contains("protobuf:dnstap.Dnstap")) {
                throw new IOException("START does not name protobuf:dnstap.Dnstap");
            }
            List<byte[]> frames = new ArrayList<>();
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    throw new IOException("the stream ends without STOP (not closed properly)", e);
                }
                if (length == 0) {
                    byte[] control = new byte[in.readInt()];
                    in.readFully(control);
                    if (control.length >= 4 && control[3] == 0x03 && in.read() < 0) {
                        return frames;
                    }
                    throw new IOException("a control frame other than a final STOP inside the stream");
                }
                byte[] frame = new byte[length];
                in.readFully(frame);
                frames.add(frame);
            }
        }
    }

    /**
     * The whole data frames of a file another program is still writing or wrote without closing
     * its stream (the dnstap CLI 0.4 loses its last buffer when it is stopped by a signal): a
     * START, then frames up to the first one that is cut off or the STOP.
     */
    public static List<byte[]> readWritten(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(all);
        if (b.remaining() < 8 || b.getInt() != 0) {
            throw new IOException("does not start with a control frame");
        }
        int startLength = b.getInt();
        if (startLength < 4 || startLength > b.remaining()) {
            throw new IOException("a cut-off START frame");
        }
        b.position(b.position() + startLength);
        List<byte[]> frames = new ArrayList<>();
        while (b.remaining() >= 4) {
            int length = b.getInt();
            if (length == 0 || length > b.remaining()) {
                break; // STOP, or the cut-off end
            }
            byte[] frame = new byte[length];
            b.get(frame);
            frames.add(frame);
        }
        return frames;
    }
}
