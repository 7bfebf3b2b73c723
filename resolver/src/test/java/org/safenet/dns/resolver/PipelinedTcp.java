package org.safenet.dns.resolver;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.safenet.dns.testkit.DnsProbe;
import org.xbill.DNS.Message;

/** Several queries on one TCP connection without waiting for answers; answers matched by ID. */
final class PipelinedTcp implements AutoCloseable {
    private final Socket socket;
    private final DataOutputStream out;
    private final Map<Integer, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    private final Thread reader;

    PipelinedTcp(DnsProbe probe) throws IOException {
        this(probe.server());
    }

    PipelinedTcp(InetSocketAddress server) throws IOException {
        socket = new Socket();
        socket.connect(server, 5000);
        out = new DataOutputStream(socket.getOutputStream());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        reader = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    int len = in.readUnsignedShort();
                    Message m = new Message(in.readNBytes(len));
                    CompletableFuture<Message> f = pending.remove(m.getHeader().getID());
                    if (f != null) {
                        f.complete(m);
                    }
                }
            } catch (IOException closed) {
                pending.values().forEach(f -> f.completeExceptionally(closed));
            }
        });
    }

    synchronized CompletableFuture<Message> send(Message query) throws IOException {
        CompletableFuture<Message> f = new CompletableFuture<>();
        pending.put(query.getHeader().getID(), f);
        byte[] wire = query.toWire();
        out.writeShort(wire.length);
        out.write(wire);
        out.flush();
        return f;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        reader.interrupt();
    }
}
