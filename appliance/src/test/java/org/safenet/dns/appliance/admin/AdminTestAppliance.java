package org.safenet.dns.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.appliance.Appliance;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigLoader;
import org.xbill.DNS.Message;

/**
 * An appliance in this JVM with its admin API on a free loopback port, a real store in {@code
 * dir}, and an HTTP client for the API; DNS queries can be sent from any 127.0.0.0/8 address, so
 * tests control which "clients" the statistics see.
 */
final class AdminTestAppliance implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Appliance appliance;
    final String adminToken;
    final URI base;
    final InetSocketAddress dns;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** The answer to one API call. */
    record Reply(int status, JsonNode json, String text, HttpResponse<byte[]> raw) {}

    /** The block page's address, or null when it does not listen. */
    final @Nullable InetSocketAddress blockPage;

    private AdminTestAppliance(Appliance appliance, String adminToken) {
        this.appliance = appliance;
        this.adminToken = adminToken;
        this.base = URI.create(
                "http://127.0.0.1:" + appliance.adminAddresses().get(0).getPort());
        this.dns = appliance.resolver().boundAddresses().get(0);
        this.blockPage = appliance.blockPageAddresses().isEmpty()
                ? null
                : appliance.blockPageAddresses().get(0);
    }

    static AdminTestAppliance start(Path dir, String upstream, String extraYaml) throws Exception {
        return start(dir, upstream, extraYaml, "\"127.0.0.1:0\"");
    }

    /** As {@link #start(Path, String, String)}, listening for DNS on {@code listen} (YAML list items). */
    static AdminTestAppliance start(Path dir, String upstream, String extraYaml, String listen) throws Exception {
        return start(dir, upstream, extraYaml, listen, "");
    }

    /** As {@link #start(Path, String, String)}, with more {@code server:} keys (YAML lines indented by two). */
    static AdminTestAppliance startWithServer(Path dir, String upstream, String serverYaml) throws Exception {
        return start(dir, upstream, "", "\"127.0.0.1:0\"", serverYaml);
    }

    /** As {@link #start(Path, String, String, String)}, with the block page on a free loopback port. */
    static AdminTestAppliance startWithBlockPage(Path dir, String upstream, String extraYaml, String listen)
            throws Exception {
        return start(dir, upstream, extraYaml, listen, "", "\"127.0.0.1:0\"");
    }

    private static AdminTestAppliance start(
            Path dir, String upstream, String extraYaml, String listen, String serverYaml) throws Exception {
        return start(dir, upstream, extraYaml, listen, serverYaml, "");
    }

    private static AdminTestAppliance start(
            Path dir, String upstream, String extraYaml, String listen, String serverYaml, String blockPages)
            throws Exception {
        Path config = dir.resolve("safenet.yaml");
        writeConfig(config, dir, upstream, extraYaml, listen, serverYaml, blockPages);
        ApplianceConfig c = new ConfigLoader().load(config, ConfigLoader.Overrides.none());
        Appliance a = new Appliance(c);
        a.configSource(() -> new ConfigLoader().load(config, ConfigLoader.Overrides.none())); // reloads read the file
        a.start();
        String token = Files.readString(dir.resolve("data/admin-token")).trim();
        return new AdminTestAppliance(a, token);
    }

    /** Writes the test config; a test rewrites it with other {@code extraYaml} before a reload. */
    static void writeConfig(Path config, Path dir, String upstream, String extraYaml, String listen)
            throws IOException {
        writeConfig(config, dir, upstream, extraYaml, listen, "", "");
    }

    private static void writeConfig(
            Path config,
            Path dir,
            String upstream,
            String extraYaml,
            String listen,
            String serverYaml,
            String blockPages)
            throws IOException {
        Files.writeString(
                config,
                """
                server:
                  listen: [%s]
                  threads: 2
                  %s
                upstream:
                  servers: ["%s"]
                  timeout: 500ms
                  attempts: 1
                blocklist:
                  blockPageListen: [%s]
                admin:
                  listen: ["127.0.0.1:0"]
                  sourceFileDirs: ["%s"]
                dataDir: "%s"
                %s
                """.formatted(
                        listen, serverYaml, upstream, blockPages, dir.resolve("lists"), dir.resolve("data"), extraYaml),
                StandardCharsets.UTF_8);
        Files.createDirectories(dir.resolve("lists"));
    }

    Reply call(String method, String path, @Nullable String token, @Nullable String body) throws IOException {
        return call(method, path, token, body, "application/json");
    }

    Reply call(String method, String path, @Nullable String token, @Nullable String body, String contentType)
            throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", contentType);
        }
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            String text = new String(r.body(), StandardCharsets.UTF_8);
            JsonNode json = r.headers().firstValue("content-type").orElse("").startsWith("application/json")
                    ? JSON.readTree(text)
                    : JSON.nullNode();
            return new Reply(r.statusCode(), json, text, r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    Reply admin(String method, String path, @Nullable String body) throws IOException {
        return call(method, path, adminToken, body);
    }

    /** Sends an A query for {@code name} from {@code client} (a 127.x address) and returns the answer. */
    Message query(String client, String name) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(client), 0))) {
            s.setSoTimeout(3000);
            byte[] q = org.safenet.dns.testkit.DnsProbe.query(
                            name.endsWith(".") ? name : name + ".", org.xbill.DNS.Type.A, 1232)
                    .toWire();
            s.send(new DatagramPacket(q, q.length, dns));
            byte[] buf = new byte[4096];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            return new Message(java.util.Arrays.copyOf(buf, p.getLength()));
        }
    }

    /** Posts a form to the block page ({@code /report}, {@code /appeal}) from this JVM; returns the status and the page. */
    Reply blockPageForm(String path, String acceptLanguage, String... fields) throws IOException {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < fields.length; i += 2) {
            body.append(i == 0 ? "" : "&")
                    .append(fields[i])
                    .append('=')
                    .append(java.net.URLEncoder.encode(fields[i + 1], StandardCharsets.UTF_8));
        }
        if (blockPage == null) {
            throw new IllegalStateException("started without a block page");
        }
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + blockPage.getPort() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept-Language", acceptLanguage)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        try {
            HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(r.statusCode(), JSON.nullNode(), new String(r.body(), StandardCharsets.UTF_8), r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Override
    public void close() {
        appliance.close();
    }
}
