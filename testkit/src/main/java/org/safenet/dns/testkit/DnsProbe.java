package org.safenet.dns.testkit;

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
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A DNS client for tests: builds queries with dnsjava and sends them over plain sockets, so what
 * the resolver receives is exactly what the test wrote (dnsjava's resolver would retry, add EDNS
 * and hide truncation). Raw bytes can be sent too, for malformed-packet tests.
 */
public final class DnsProbe {
    /** Generous: a test waits on a condition, not on this, unless it expects silence. */
    private static final int TIMEOUT_MILLIS = 5000;

    private final InetSocketAddress server;

    public DnsProbe(InetSocketAddress server) {
        this.server = server;
    }

    /** A recursive query for {@code name}/{@code type}, with EDNS at {@code udpSize} if it is above 0. */
    public static Message query(String name, int type, int udpSize) {
        try {
            Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
            if (udpSize > 0) {
                m.addRecord(new OPTRecord(udpSize, 0, 0), Section.ADDITIONAL);
            }
            return m;
        } catch (TextParseException e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    public InetSocketAddress server() {
        return server;
    }

    public Message udp(String name, int type) throws IOException {
        return udp(query(name, type, 1232));
    }

    public Message udp(Message query) throws IOException {
        byte[] answer = udpRaw(query.toWire());
        if (answer == null) {
            throw new SocketTimeoutException("no answer from " + server + " for " + query.getQuestion());
        }
        return new Message(answer);
    }

    /** Sends raw bytes over UDP; returns the answer, or null if none came within the timeout. */
    public byte @Nullable [] udpRaw(byte[] packet) throws IOException {
        return udpRaw(packet, TIMEOUT_MILLIS);
    }

    public byte @Nullable [] udpRaw(byte[] packet, int timeoutMillis) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(timeoutMillis);
            s.send(new DatagramPacket(packet, packet.length, server));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return Arrays.copyOf(p.getData(), p.getLength());
        }
    }

    public Message tcp(String name, int type) throws IOException {
        return tcp(query(name, type, 0));
    }

    public Message tcp(Message query) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte[] q = query.toWire();
            out.writeShort(q.length);
            out.write(q);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int len = in.readUnsignedShort();
            return new Message(in.readNBytes(len));
        }
    }

    /** Shorthand used by many assertions: the first answer record's rdata as text, or null. */
    public static @Nullable String firstAnswer(Message m) {
        var answers = m.getSection(Section.ANSWER);
        return answers.isEmpty() ? null : answers.get(0).rdataToString();
    }

    public static boolean truncated(Message m) {
        return m.getHeader().getFlag(Flags.TC);
    }

    public static int typeOf(String mnemonic) {
        return Type.value(mnemonic);
    }
}
