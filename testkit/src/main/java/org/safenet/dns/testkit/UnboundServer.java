package org.safenet.dns.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Unbound ({@code unbound}, Debian package {@code unbound}) on loopback: one thread, in the
 * foreground, with what the test adds to its {@code server:} clause and after it. With a
 * certificate it also serves DNS over TLS ({@code tls-service-pem}/{@code tls-service-key}) on a
 * second port. Stopped by its PID.
 */
public final class UnboundServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final int tlsPort;

    private UnboundServer(Process process, int port, int tlsPort) {
        this.process = process;
        this.port = port;
        this.tlsPort = tlsPort;
    }

    /**
     * Starts Unbound with its files in {@code dir}.
     *
     * @param serverLines lines for the {@code server:} clause (indented by two spaces)
     * @param otherClauses clauses after it ({@code forward-zone:}, {@code rpz:}, ...)
     * @param tls the certificate and key for DNS over TLS, or null for none
     */
    public static UnboundServer start(
            Path dir, String serverLines, String otherClauses, TestCertificates.@Nullable Files tls)
            throws IOException {
        Path binary = Peers.require("unbound", "unbound");
        Files.createDirectories(dir);
        int port = KnotServer.freePort();
        int tlsPort = tls == null ? 0 : KnotServer.freePort();
        String tlsLines = tls == null ? "" : """
                  interface: 127.0.0.1@%d
                  tls-port: %d
                  tls-service-pem: "%s"
                  tls-service-key: "%s"
                """.formatted(tlsPort, tlsPort, tls.certificate(), tls.key());
        Path conf = dir.resolve("unbound.conf");
        Files.writeString(
                conf,
                """
                server:
                  interface: 127.0.0.1@%d
                %s  do-daemonize: no
                  use-syslog: no
                  logfile: ""
                  username: ""
                  chroot: ""
                  directory: "%s"
                  pidfile: ""
                  num-threads: 1
                %s
                %s
                """.formatted(port, tlsLines, dir, serverLines.stripTrailing(), otherClauses),
                StandardCharsets.UTF_8);
        Path log = dir.resolve("unbound.log");
        Process p = new ProcessBuilder(binary.toString(), "-d", "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        UnboundServer u = new UnboundServer(p, port, tlsPort);
        try {
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!p.isAlive()) {
                            throw new IllegalStateException("unbound exited: " + Files.readString(log));
                        }
                        return accepts(port) && (tlsPort == 0 || accepts(tlsPort));
                    });
        } catch (RuntimeException e) {
            u.close();
            throw e;
        }
        return u;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The plain DNS port (UDP and TCP). */
    public int port() {
        return port;
    }

    /** The DNS-over-TLS port; 0 without a certificate. */
    public int tlsPort() {
        return tlsPort;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
