package org.safenet.dns.resolver.recursion;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;
import org.xbill.DNS.Message;

/**
 * One query to one authoritative server, blocking, for a virtual thread (which parks, not its
 * carrier): over UDP from a fresh socket on a port the kernel picks at random (Linux randomises
 * ephemeral ports), connected so that the kernel drops datagrams from anyone else; a datagram
 * that is not an answer to this query (another ID, a garbled packet) is ignored and the wait goes
 * on until the deadline. A truncated answer is asked again over TCP (RFC 7766).
 *
 * <p>dnsjava's {@code SimpleResolver} is not used here: its shared selector thread walks every
 * pending query on each wake-up, which under thousands of concurrent upstream queries costs more
 * than the queries themselves (decision 0017), and it fails a query at the first mismatched ID.
 */
final class AuthorityClient {
    /** Largest UDP answer read (we advertise 1232; some servers send more). */
    static final int MAX_UDP = 4096;

    private AuthorityClient() {}

    /** Thrown when no answer came within the time given. */
    static final class Timeout extends IOException {
        private static final long serialVersionUID = 1L;

        Timeout() {
            super("timed out", null);
        }
    }

    /**
     * Sends {@code query} to {@code server} and returns its answer, parsed with the question's
     * name written as {@code canonical} (the same name without 0x20's letter case, so that every
     * record name compressed to it comes out canonical too: dnsjava's key cache compares names as
     * text).
     *
     * @return the answer, or null when its question's name is not the one sent, byte for byte
     *     (a server that does not keep letter case, or a forgery)
     * @throws Timeout when none came within {@code timeoutMillis}
     * @throws IOException when the network refused (port unreachable, no route), TCP failed, or
     *     the answer does not parse
     */
    static @Nullable Message exchange(Message query, byte[] canonical, InetSocketAddress server, long timeoutMillis)
            throws IOException {
        byte[] out = query.toWire();
        int id = query.getHeader().getID();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        byte[] answer = udp(out, id, server, deadline);
        if ((answer[2] & TC) != 0) {
            answer = tcp(out, id, server, System.nanoTime() + timeoutMillis * 1_000_000);
        }
        int end = 12 + canonical.length;
        if (answer.length < end + 4 || !Arrays.equals(answer, 12, end, out, 12, end)) {
            return null;
        }
        System.arraycopy(canonical, 0, answer, 12, canonical.length);
        return new Message(answer);
    }

    /** The TC bit in the third byte of a DNS header. */
    private static final int TC = 0x02;

    private static byte[] udp(byte[] out, int id, InetSocketAddress server, long deadline) throws IOException {
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(server);
            socket.send(new DatagramPacket(out, out.length));
            byte[] in = new byte[MAX_UDP];
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new Timeout();
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                DatagramPacket p = new DatagramPacket(in, in.length);
                try {
                    socket.receive(p);
                } catch (SocketTimeoutException e) {
                    throw new Timeout();
                }
                if (isAnswerTo(in, p.getLength(), id)) {
                    return Arrays.copyOf(in, p.getLength());
                }
            }
        }
    }

    private static byte[] tcp(byte[] out, int id, InetSocketAddress server, long deadline) throws IOException {
        try (Socket socket = new Socket()) {
            int wait = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            socket.connect(server, wait);
            socket.setSoTimeout(wait);
            DataOutputStream w = new DataOutputStream(socket.getOutputStream());
            w.writeShort(out.length);
            w.write(out);
            w.flush();
            DataInputStream r = new DataInputStream(socket.getInputStream());
            byte[] in = new byte[r.readUnsignedShort()];
            r.readFully(in);
            if (!isAnswerTo(in, in.length, id)) {
                throw new IOException("not an answer to our query over TCP");
            }
            return in;
        } catch (SocketTimeoutException e) {
            throw new Timeout();
        }
    }

    /** Whether the first {@code length} bytes of {@code packet} are a response with our ID. */
    private static boolean isAnswerTo(byte[] packet, int length, int id) {
        return length >= 12 && (((packet[0] & 0xFF) << 8) | (packet[1] & 0xFF)) == id && (packet[2] & 0x80) != 0;
    }
}
