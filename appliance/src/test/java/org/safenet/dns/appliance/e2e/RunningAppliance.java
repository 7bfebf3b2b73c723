package org.safenet.dns.appliance.e2e;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged jar ({@code target/safenet.jar}) running {@code serve} as its own process, as an
 * operator starts it: DNS on a free loopback port, the block page on another, its log collected.
 */
final class RunningAppliance implements AutoCloseable {
    static final String JAVA =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();
    static final String JAR = Path.of("target/safenet.jar").toAbsolutePath().toString();

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern BLOCK_PAGE = Pattern.compile("block page on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern ADMIN = Pattern.compile("admin API and dashboard on http://127\\.0\\.0\\.1:(\\d+)/");

    private final Process process;
    private final Thread reader;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private int dnsPort;
    private int blockPagePort;
    private int adminPort;

    private RunningAppliance(Process process) {
        this.process = process;
        this.reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.add(line);
                }
            } catch (IOException ended) {
                // the process is gone
            }
        });
    }

    /** Starts {@code serve} forwarding to {@code upstream} with state in {@code dataDir}; waits until it answers. */
    static RunningAppliance start(Path dataDir, String upstream) throws IOException {
        return start(dataDir, upstream, "");
    }

    /** The config file {@link #start(Path, String, String)} writes, for commands that need the same one. */
    static Path configOf(Path dataDir) {
        return dataDir.resolve("safenet-it.yaml");
    }

    /** As {@link #start(Path, String)}, with more config sections ({@code extraYaml}) in its file. */
    static RunningAppliance start(Path dataDir, String upstream, String extraYaml) throws IOException {
        return start(dataDir, upstream, extraYaml, Map.of());
    }

    /** As above, with extra environment variables (e.g. systemd's NOTIFY_SOCKET). */
    static RunningAppliance start(Path dataDir, String upstream, String extraYaml, Map<String, String> env)
            throws IOException {
        return start(dataDir, upstream, extraYaml, env, List.of());
    }

    /** As above, with JVM options before {@code -jar} (e.g. a heap limit). */
    static RunningAppliance start(
            Path dataDir, String upstream, String extraYaml, Map<String, String> env, List<String> jvm)
            throws IOException {
        return start(JAVA, JAR, dataDir, upstream, extraYaml, env, jvm, "127.0.0.1:0");
    }

    /** As above, DNS on {@code listen} (a port others must know in advance, e.g. for NOTIFY). */
    static RunningAppliance startOn(
            String listen, Path dataDir, String upstream, String extraYaml, Map<String, String> env)
            throws IOException {
        return start(JAVA, JAR, dataDir, upstream, extraYaml, env, List.of(), listen);
    }

    static RunningAppliance start(
            String java,
            String jar,
            Path dataDir,
            String upstream,
            String extraYaml,
            Map<String, String> env,
            List<String> jvm)
            throws IOException {
        return start(java, jar, dataDir, upstream, extraYaml, env, jvm, "127.0.0.1:0");
    }

    /** As above, on another Java ({@code java}, e.g. the package's runtime) and jar. */
    private static RunningAppliance start(
            String java,
            String jar,
            Path dataDir,
            String upstream,
            String extraYaml,
            Map<String, String> env,
            List<String> jvm,
            String listen)
            throws IOException {
        // The block page on a free port, so nothing else on this machine is in the way.
        Path config = configOf(dataDir);
        Files.createDirectories(dataDir);
        Files.writeString(
                config,
                "blocklist:\n  blockPageListen: [\"127.0.0.1:0\"]\nadmin:\n  listen: [\"127.0.0.1:0\"]\n" + extraYaml);
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvm);
        command.addAll(List.of(
                "-jar",
                jar,
                "serve",
                "--config",
                config.toString(),
                "--listen",
                listen,
                "--upstream",
                upstream,
                "--data-dir",
                dataDir.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        RunningAppliance a = new RunningAppliance(p);
        await().atMost(Duration.ofSeconds(60)).until(() -> a.ready() || !p.isAlive());
        if (!p.isAlive()) {
            throw new IllegalStateException("the appliance exited: " + a.log());
        }
        return a;
    }

    /** True once both ports appear in the log. */
    private boolean ready() {
        synchronized (log) {
            for (String l : log) {
                Matcher m = LISTENING.matcher(l);
                if (m.find()) {
                    dnsPort = Integer.parseInt(m.group(1));
                }
                Matcher b = BLOCK_PAGE.matcher(l);
                if (b.find()) {
                    blockPagePort = Integer.parseInt(b.group(1));
                }
                Matcher a = ADMIN.matcher(l);
                if (a.find()) {
                    adminPort = Integer.parseInt(a.group(1));
                }
            }
        }
        return dnsPort != 0 && blockPagePort != 0;
    }

    long pid() {
        return process.pid();
    }

    int dnsPort() {
        return dnsPort;
    }

    int blockPagePort() {
        return blockPagePort;
    }

    /** The admin API's port (0 if the log has not said it yet). */
    int adminPort() {
        ready();
        return adminPort;
    }

    List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /**
     * Sends SIGTERM, as systemd does, and waits for the process and its log to end. Through the
     * handle: {@code Process.destroy()} would also close our end of its output pipe, losing the
     * shutdown log. Returns whether it stopped by itself (it is killed otherwise).
     */
    boolean stop() throws InterruptedException {
        process.toHandle().destroy();
        boolean stopped = process.waitFor(30, TimeUnit.SECONDS);
        if (!stopped) {
            process.toHandle().destroyForcibly();
        }
        reader.join(Duration.ofSeconds(10));
        return stopped;
    }

    int exitValue() {
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }
}
