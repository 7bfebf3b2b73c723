package org.safenet.dns.resolver.tap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Where the dnstap writer's frames go: a file, or a collector on a Unix or TCP socket. Used by the
 * writer thread only.
 */
interface DnstapOutput {
    /** Opens the output (connects and completes the Frame Streams handshake); throws if it cannot now. */
    void open() throws IOException;

    boolean isOpen();

    /** Writes whole data frames; throws if the output failed (the writer then closes and retries later). */
    void write(ByteBuffer frames) throws IOException;

    /** Ends the stream properly (STOP, and FINISH from a collector), then closes. Never throws. */
    void close();

    /** Closes at once, after a failure. Never throws. */
    void abort();

    /** For logs: {@code file /var/log/x.dnstap}, {@code unix /run/x.sock}, {@code tcp 192.0.2.1:6000}. */
    String describe();

    static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** A file output past its size limit: the writer rotates it. */
    default boolean wantsRotation() {
        return false;
    }
}
