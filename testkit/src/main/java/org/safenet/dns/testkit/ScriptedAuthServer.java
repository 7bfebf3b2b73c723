package org.safenet.dns.testkit;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A small authoritative server on loopback whose behaviour a test scripts: records to serve, and
 * faults (silence, SERVFAIL, truncation over UDP, a delay). UDP and TCP on the same port. Built on
 * dnsjava and plain sockets on purpose: it must not share code with the resolver it tests.
 */
public final class ScriptedAuthServer implements AutoCloseable {

    /** How the server treats queries. */
    public enum Mode {
        ANSWER,
        /** Read and ignore: the upstream is down. */
        SILENT,
        SERVFAIL
    }

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Record> records = new CopyOnWriteArrayList<>();
    private final List<Message> received = new CopyOnWriteArrayList<>();
    private final Set<Integer> udpSourcePorts = ConcurrentHashMap.newKeySet();
    private final AtomicInteger udpQueries = new AtomicInteger();
    private final AtomicInteger tcpQueries = new AtomicInteger();
    private volatile Mode mode = Mode.ANSWER;
    private volatile boolean truncateUdp;
    private volatile long delayMillis;
    private volatile @Nullable Record soa;

    private ScriptedAuthServer(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
    }

    /** Starts on 127.0.0.1 with a free port shared by UDP and TCP. */
    public static ScriptedAuthServer start() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try {
                ServerSocket tcp = new ServerSocket(udp.getLocalPort(), 50, InetAddress.getLoopbackAddress());
                ScriptedAuthServer s = new ScriptedAuthServer(udp, tcp);
                s.threads.submit(s::serveUdp);
                s.threads.submit(s::acceptTcp);
                return s;
            } catch (IOException portTakenOverTcp) {
                udp.close();
            }
        }
        throw new IOException("no free port for UDP and TCP together");
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort());
    }

    /** "host:port" for a resolver's upstream config. */
    public String hostPort() {
        return "127.0.0.1:" + udp.getLocalPort();
    }

    /** Adds a record in zone-file syntax relative to nothing, e.g. {@code "www.example.com. 300 IN A 192.0.2.1"}. */
    public ScriptedAuthServer add(String recordText) {
        try {
            Record r = parse(recordText);
            if (r.getType() == Type.SOA) {
                soa = r;
            } else {
                records.add(r);
            }
            return this;
        } catch (IOException e) {
            throw new IllegalArgumentException(recordText, e);
        }
    }

    private static Record parse(String text) throws IOException {
        String[] f = text.trim().split("\\s+", 5);
        Name name = Name.fromString(f[0]);
        long ttl = Long.parseLong(f[1]);
        int type = Type.value(f[3]);
        return Record.fromString(name, type, DClass.IN, ttl, f[4], Name.root);
    }

    public void mode(Mode m) {
        this.mode = m;
    }

    public void truncateUdp(boolean on) {
        this.truncateUdp = on;
    }

    public void delayMillis(long millis) {
        this.delayMillis = millis;
    }

    public int udpQueries() {
        return udpQueries.get();
    }

    public int tcpQueries() {
        return tcpQueries.get();
    }

    public int queries() {
        return udpQueries.get() + tcpQueries.get();
    }

    /** The distinct source ports UDP queries came from. */
    public Set<Integer> udpSourcePorts() {
        return Set.copyOf(udpSourcePorts);
    }

    public List<Message> received() {
        return List.copyOf(received);
    }

    private void serveUdp() {
        byte[] buf = new byte[65535];
        while (!udp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                byte[] query = java.util.Arrays.copyOf(p.getData(), p.getLength());
                InetAddress from = p.getAddress();
                int port = p.getPort();
                udpSourcePorts.add(port);
                udpQueries.incrementAndGet();
                threads.submit(() -> {
                    byte[] answer = answer(query, true);
                    if (answer != null) {
                        try {
                            udp.send(new DatagramPacket(answer, answer.length, from, port));
                        } catch (IOException ignored) {
                            // the client went away
                        }
                    }
                });
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                // keep serving
            }
        }
    }

    private void acceptTcp() {
        while (!tcp.isClosed()) {
            try {
                Socket s = tcp.accept();
                threads.submit(() -> serveTcp(s));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serveTcp(Socket s) {
        try (s;
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            while (true) {
                int len = in.readUnsignedShort();
                byte[] query = in.readNBytes(len);
                tcpQueries.incrementAndGet();
                byte[] answer = answer(query, false);
                if (answer != null) {
                    out.writeShort(answer.length);
                    out.write(answer);
                    out.flush();
                }
            }
        } catch (IOException endOfConnection) {
            // client closed
        }
    }

    private byte @Nullable [] answer(byte[] wire, boolean overUdp) {
        Message query;
        try {
            query = new Message(wire);
        } catch (IOException e) {
            return null;
        }
        received.add(query);
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis); // simulated upstream latency, not a test wait
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        Mode m = mode;
        if (m == Mode.SILENT) {
            return null;
        }
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        Record question = query.getQuestion();
        response.addRecord(question, Section.QUESTION);
        if (query.getOPT() != null) {
            response.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        }
        if (m == Mode.SERVFAIL) {
            response.getHeader().setRcode(Rcode.SERVFAIL);
            return response.toWire();
        }
        if (overUdp && truncateUdp) {
            response.getHeader().setFlag(Flags.TC);
            return response.toWire();
        }
        boolean nameExists = false;
        Name name = question.getName();
        // Follow CNAMEs inside our own data, as an authoritative server does (RFC 1034 §4.3.2).
        for (int depth = 0; depth < 8 && name != null; depth++) {
            Name next = null;
            for (Record r : records) {
                if (r.getName().equals(name)) {
                    nameExists = true;
                    if (r.getType() == question.getType() || question.getType() == Type.ANY) {
                        response.addRecord(r, Section.ANSWER);
                    } else if (r.getType() == Type.CNAME) {
                        response.addRecord(r, Section.ANSWER);
                        next = ((org.xbill.DNS.CNAMERecord) r).getTarget();
                    }
                }
            }
            name = next;
        }
        if (response.getSection(Section.ANSWER).isEmpty()) {
            if (!nameExists) {
                response.getHeader().setRcode(Rcode.NXDOMAIN);
            }
            Record s = soa;
            if (s != null) {
                response.addRecord(s, Section.AUTHORITY);
            }
        }
        return response.toWire(65535);
    }

    @Override
    public void close() {
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing
        }
        threads.shutdownNow();
    }
}
