package org.safenet.dns.resolver.tap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dnstap collector on a Unix or TCP socket, spoken to in bidirectional Frame Streams: READY,
 * the collector's ACCEPT, START, data frames, and at the end STOP and the collector's FINISH. The
 * socket is non-blocking and every wait has a deadline, so a collector that stops reading costs a
 * reconnect, never a stuck writer.
 */
final class SocketOutput implements DnstapOutput {
    private static final Logger log = LoggerFactory.getLogger(SocketOutput.class);
    /** How long a handshake, a write or the FINISH may take before the collector counts as gone. */
    private static final long TIMEOUT_MILLIS = 5_000;

    private static final int SEND_BUFFER = 1 << 20;

    private final SocketAddress address;
    private @Nullable SocketChannel channel;
    private @Nullable Selector selector;

    SocketOutput(SocketAddress address) {
        this.address = address;
    }

    static SocketOutput unix(java.nio.file.Path path) {
        return new SocketOutput(UnixDomainSocketAddress.of(path));
    }

    static SocketOutput tcp(InetSocketAddress address) {
        return new SocketOutput(address);
    }

    @Override
    public void open() throws IOException {
        SocketChannel ch = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX)
                : SocketChannel.open();
        Selector sel = null;
        try {
            // Room for a whole pass of the writer (10 ms of a busy appliance's messages), so a
            // collector that keeps up takes it in one write instead of several waits.
            ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, SEND_BUFFER);
            ch.configureBlocking(false);
            sel = Selector.open();
            ch.register(sel, 0);
            channel = ch;
            selector = sel;
            if (!ch.connect(address)) {
                await(SelectionKey.OP_CONNECT, deadline());
                ch.finishConnect();
            }
            send(FrameStreams.control(FrameStreams.READY));
            int reply = readControl(deadline());
            if (reply != FrameStreams.ACCEPT) {
                throw new IOException("the collector answered READY with control frame " + reply + ", not ACCEPT");
            }
            send(FrameStreams.control(FrameStreams.START));
        } catch (IllegalArgumentException e) {
            abort();
            throw new IOException(e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    private static long deadline() {
        return System.nanoTime() + TIMEOUT_MILLIS * 1_000_000;
    }

    private void await(int op, long deadline) throws IOException {
        SocketChannel ch = channel;
        Selector sel = selector;
        if (ch == null || sel == null) {
            throw new IOException("not open");
        }
        SelectionKey key = ch.keyFor(sel);
        key.interestOps(op);
        try {
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new IOException("the collector did not respond within " + TIMEOUT_MILLIS + " ms");
                }
                sel.selectedKeys().clear();
                if (sel.select(left) > 0 && (key.readyOps() & op) != 0) {
                    return;
                }
            }
        } finally {
            if (key.isValid()) {
                key.interestOps(0);
            }
        }
    }

    private void send(ByteBuffer b) throws IOException {
        SocketChannel ch = channel;
        if (ch == null) {
            throw new IOException("not open");
        }
        long deadline = deadline();
        while (b.hasRemaining()) {
            if (ch.write(b) == 0) {
                await(SelectionKey.OP_WRITE, deadline);
            }
        }
    }

    private void readFully(ByteBuffer b, long deadline) throws IOException {
        SocketChannel ch = channel;
        if (ch == null) {
            throw new IOException("not open");
        }
        while (b.hasRemaining()) {
            int n = ch.read(b);
            if (n < 0) {
                throw new IOException("the collector closed the connection");
            }
            if (n == 0) {
                await(SelectionKey.OP_READ, deadline);
            }
        }
    }

    private int readControl(long deadline) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(8);
        readFully(head, deadline);
        head.flip();
        if (head.getInt() != 0) {
            throw new IOException("the collector sent a data frame where a control frame belongs");
        }
        int length = head.getInt();
        if (length < 4 || length > FrameStreams.MAX_CONTROL_LENGTH) {
            throw new IOException("the collector sent a control frame of " + length + " bytes");
        }
        ByteBuffer body = ByteBuffer.allocate(length);
        readFully(body, deadline);
        return FrameStreams.parseControl(body.flip());
    }

    @Override
    public boolean isOpen() {
        return channel != null;
    }

    @Override
    public void write(ByteBuffer frames) throws IOException {
        send(frames);
    }

    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        try {
            send(FrameStreams.control(FrameStreams.STOP));
            int reply = readControl(deadline());
            if (reply != FrameStreams.FINISH) {
                log.debug("dnstap: the collector answered STOP with control frame {}", reply);
            }
        } catch (IOException | RuntimeException e) {
            log.debug("dnstap: no FINISH from {}: {}", describe(), e.toString());
        }
        abort();
    }

    @Override
    public void abort() {
        SocketChannel ch = channel;
        Selector sel = selector;
        channel = null;
        selector = null;
        try {
            if (sel != null) {
                sel.close();
            }
            if (ch != null) {
                ch.close();
            }
        } catch (IOException e) {
            log.debug("dnstap: closing {}", describe(), e);
        }
    }

    @Override
    public String describe() {
        return address instanceof UnixDomainSocketAddress u ? "unix " + u.getPath() : "tcp " + address;
    }
}
