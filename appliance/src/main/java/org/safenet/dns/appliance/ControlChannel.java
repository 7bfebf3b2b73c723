package org.safenet.dns.appliance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Unix socket in the data dir ({@code control.sock}, mode 0600) through which CLI commands reach
 * a running appliance: RocksDB allows one writer, so {@code safenet import} hands its work to the
 * process that holds the store instead of failing on the lock. One request line, then the
 * command's report, then a last line {@code exit N}. Only the data dir's owner can connect.
 */
final class ControlChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlChannel.class);

    static final String SOCKET = "control.sock";

    /** Runs one request from {@code peer} (the local user who sent it); returns the exit status, writing the report to {@code out}. */
    interface Handler {
        int handle(String request, String peer, PrintWriter out);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    private ControlChannel(Path path, ServerSocketChannel server, Handler handler) {
        this.path = path;
        this.server = server;
        this.acceptor = Thread.ofVirtual().name("safenet-control").start(() -> serve(handler));
    }

    static ControlChannel open(Path dataDir, Handler handler) throws IOException {
        Path path = dataDir.resolve(SOCKET);
        Files.deleteIfExists(path); // left by a process that was killed: we hold the store, so it is stale
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        return new ControlChannel(path, server, handler);
    }

    private void serve(Handler handler) {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                BufferedReader in = new BufferedReader(
                        new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
                PrintWriter out = new PrintWriter(
                        new OutputStreamWriter(Channels.newOutputStream(client), StandardCharsets.UTF_8));
                String request = in.readLine();
                int status;
                StringWriter report = new StringWriter();
                try (PrintWriter w = new PrintWriter(report)) {
                    status = request == null ? 2 : handler.handle(request, peer(client), w);
                } catch (RuntimeException e) {
                    log.warn("control request failed", e);
                    report.append("failed: ")
                            .append(String.valueOf(e.getMessage()))
                            .append('\n');
                    status = 1;
                }
                out.print(report);
                out.println("exit " + status);
                out.flush();
            } catch (IOException e) {
                if (server.isOpen()) {
                    log.debug("control connection failed", e);
                }
            }
        }
    }

    /** The local user at the other end of the socket ("user NAME"), from the kernel's peer credentials. */
    private static String peer(SocketChannel client) {
        try {
            UnixDomainPrincipal p = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
            return "user " + p.user().getName();
        } catch (IOException | UnsupportedOperationException e) {
            return "user unknown";
        }
    }

    /**
     * Sends {@code request} to the appliance listening in {@code dataDir}, copying its report to
     * {@code out}; returns its exit status, or null if no appliance listens there.
     */
    static @Nullable Integer send(Path dataDir, String request, PrintWriter out) throws IOException {
        Path path = dataDir.resolve(SOCKET);
        if (!Files.exists(path)) {
            return null;
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            PrintWriter w =
                    new PrintWriter(new OutputStreamWriter(Channels.newOutputStream(ch), StandardCharsets.UTF_8));
            w.println(request);
            w.flush();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("exit ")) {
                    return Integer.parseInt(line.substring(5).trim());
                }
                out.println(line);
            }
            return 1;
        } catch (java.net.SocketException e) {
            return null; // a stale socket file: nobody listens
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.debug("closing the control channel", e);
        }
        acceptor.interrupt();
    }
}
