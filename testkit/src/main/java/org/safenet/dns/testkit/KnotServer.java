package org.safenet.dns.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/**
 * Knot DNS ({@code knotd}, Debian package {@code knot}) as a real authoritative server on
 * loopback, serving one zone that the test writes. Started in the foreground, stopped by its PID.
 */
public final class KnotServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;

    private KnotServer(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** Starts knotd serving {@code zone} from {@code zoneText} (a zone file) in {@code dir}. */
    public static KnotServer start(Path dir, String zone, String zoneText) throws IOException {
        IOException last = null;
        // A port free when we looked can be taken before knotd binds it; try a few.
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return startOnce(dir, zone, zoneText, freePort());
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private static KnotServer startOnce(Path dir, String zone, String zoneText, int port) throws IOException {
        Path zoneFile = dir.resolve(zone + "zone");
        Files.writeString(zoneFile, zoneText, StandardCharsets.UTF_8);
        return launch(dir, port, zone, "warning", """
                zone:
                  - domain: %s
                    file: %s
                    zonefile-sync: -1
                    journal-content: none
                """.formatted(zone, zoneFile), true);
    }

    /**
     * Starts knotd on {@code port} with the {@code key:}, {@code remote:}, {@code acl:} and {@code
     * zone:} sections the test writes ({@code extraConfig}); the server, database and log sections
     * are added here. Waits until it answers (any answer) a SOA query for {@code zone}: a secondary
     * has no zone to serve yet.
     */
    public static KnotServer startWithConfig(Path dir, int port, String zone, String extraConfig) throws IOException {
        return launch(dir, port, zone, "info", extraConfig, false);
    }

    /**
     * Writes knot.conf (server, database and log sections, then {@code sections}), starts knotd
     * and waits until it answers a SOA query for {@code zone} (with the SOA, if {@code withSoa}).
     */
    private static KnotServer launch(Path dir, int port, String zone, String logLevel, String sections, boolean withSoa)
            throws IOException {
        Path knotd = Peers.require("knotd", "knot");
        Path conf = dir.resolve("knot.conf");
        Files.writeString(conf, """
                server:
                    listen: 127.0.0.1@%d
                    rundir: %s
                database:
                    storage: %s
                log:
                  - target: stderr
                    any: %s
                %s
                """.formatted(port, dir, dir, logLevel, sections), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(knotd.toString(), "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("knotd.log").toFile())
                .start();
        KnotServer k = new KnotServer(p, port, dir);
        DnsProbe probe = new DnsProbe(k.address());
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("knotd exited: " + Files.readString(dir.resolve("knotd.log")));
                }
                try {
                    Message m = probe.udp(zone, Type.SOA);
                    return !withSoa || (m.getRcode() == 0 && !m.getSection(1).isEmpty());
                } catch (IOException notYet) {
                    return false;
                }
            });
        } catch (RuntimeException e) {
            k.close();
            throw new IOException("knotd did not start; log: " + Files.readString(dir.resolve("knotd.log")), e);
        }
        return k;
    }

    /** Runs {@code knotc} against this server (e.g. {@code zone-reload example.}); returns its output. */
    public String control(String... args) throws IOException, InterruptedException {
        Path knotc = Peers.require("knotc", "knot");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                knotc.toString(), "-c", dir.resolve("knot.conf").toString()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("knotc " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    /** knotd's log so far. */
    public String log() throws IOException {
        return Files.readString(dir.resolve("knotd.log"));
    }

    /** A port free for both UDP and TCP on 127.0.0.1 at the time of asking. */
    public static int freePort() throws IOException {
        for (int i = 0; i < 50; i++) {
            try (DatagramSocket u = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                    ServerSocket t = new ServerSocket(u.getLocalPort(), 1, InetAddress.getLoopbackAddress())) {
                t.setReuseAddress(true);
                return u.getLocalPort();
            } catch (IOException takenOverTcp) {
                // try another
            }
        }
        throw new IOException("no port free for both UDP and TCP");
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public Path dir() {
        return dir;
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
            process.destroyForcibly();
        }
    }
}
