package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.safenet.dns.resolver.ResolverSettings.TlsFiles;
import org.safenet.dns.resolver.listen.Transports;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.safenet.dns.testkit.TestCertificates;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/**
 * DNS over HTTPS (RFC 8484) with real clients: curl over HTTP/2 and HTTP/1.1 with GET and POST,
 * kdig +https; and the bad requests, each with its 4xx, never a 500.
 */
class DnsOverHttpsTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private TlsFiles files;
    private int port;
    private Resolver resolver;
    /** server.tcpMaxConnections for the next start(). */
    private int maxConnections = 100;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out;
    }

    private void start() throws Exception {
        start("doh.safenet.test");
    }

    /** With a certificate for {@code name}; names with a label "blocked" are sinkholed. */
    private void start(String name) throws Exception {
        TestCertificates.Files f = TestCertificates.make(dir, "doh", name, 30);
        files = new TlsFiles(f.certificate().toString(), f.key().toString());
        ScriptedAuthServer upstream = ScriptedAuthServer.start()
                .add("www.example.com. 300 IN A 192.0.2.10")
                .add("short.example.com. 42 IN A 192.0.2.11");
        closeAfter.add(upstream);
        ResolverSettings base = ResolverTests.settings(
                ResolverTests.upstream(upstream.hostPort()), ResolverTests.defaultAccess(), maxConnections);
        ResolverSettings settings = new ResolverSettings(
                base.server().withDoh(files, List.of(HostPort.parse("127.0.0.1:0", 443))),
                base.upstream(),
                base.access(),
                base.cache());
        resolver = new Resolver(
                settings,
                new SimpleMeterRegistry(),
                System::currentTimeMillis,
                Transports.best(),
                q -> new String(q.name(), 0, q.nameLength(), StandardCharsets.ISO_8859_1).contains("\007blocked")
                        ? new Verdict(PolicyAction.SINKHOLE, "scam", "test", Verdict.EDE_BLOCKED, null)
                        : null,
                SinkholeSettings.defaults());
        closeAfter.add(resolver);
        resolver.start();
        port = resolver.boundHttpsAddresses().getFirst().getPort();
    }

    /** curl with the test's CA and name; returns "status version content-type" and writes the body and headers. */
    private String curl(String httpVersion, Path body, Path headers, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Peers.require("curl", "curl").toString(),
                "-s",
                httpVersion,
                "--cacert",
                files.certificate(),
                "--resolve",
                "doh.safenet.test:" + port + ":127.0.0.1",
                "-o",
                body.toString(),
                "-D",
                headers.toString(),
                "-w",
                "%{http_code} %{http_version} %{content_type}"));
        cmd.addAll(List.of(more));
        return run(cmd.toArray(String[]::new));
    }

    private String url() {
        return "https://doh.safenet.test:" + port + "/dns-query";
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--http2", "--http1.1"})
    void curl_getAndPost_getTheAnswer_withMaxAgeFromTheTtl(String version) throws Exception {
        start();
        String major = version.equals("--http2") ? "2" : "1.1";
        byte[] query = DnsProbe.query("short.example.com.", Type.A, 1232).toWire();
        query[0] = 0; // RFC 8484 §4.1: ID 0, so that caches see the same GET
        query[1] = 0;
        Path body = dir.resolve("body.bin");
        Path headers = dir.resolve("headers.txt");
        String get = curl(
                version,
                body,
                headers,
                url() + "?dns=" + Base64.getUrlEncoder().withoutPadding().encodeToString(query));
        assertThat(get).isEqualTo("200 " + major + " application/dns-message");
        Message answer = new Message(Files.readAllBytes(body));
        assertThat(DnsProbe.firstAnswer(answer)).isEqualTo("192.0.2.11");
        assertThat(Files.readAllBytes(body).length % 468).as("padded").isZero();
        assertThat(Files.readString(headers).toLowerCase()).containsPattern("cache-control: max-age=4[0-2]");

        Path q = dir.resolve("q.bin");
        Files.write(q, DnsProbe.query("www.example.com.", Type.A, 0).toWire());
        String post = curl(
                version, body, headers, "-H", "Content-Type: application/dns-message", "--data-binary", "@" + q, url());
        assertThat(post).isEqualTo("200 " + major + " application/dns-message");
        assertThat(DnsProbe.firstAnswer(new Message(Files.readAllBytes(body)))).isEqualTo("192.0.2.10");
        assertThat(ResolverTests.counter(resolver, "safenet.queries.by.transport", "transport", "doh"))
                .isEqualTo(2);
    }

    @Test
    void badRequests_get4xx_neverA500() throws Exception {
        start();
        Path body = dir.resolve("body.bin");
        Path headers = dir.resolve("headers.txt");
        Path q = dir.resolve("q.bin");
        Files.write(q, DnsProbe.query("www.example.com.", Type.A, 0).toWire());
        Path big = dir.resolve("big.bin");
        Files.write(big, new byte[70_000]);
        assertThat(curl("--http2", body, headers, url())).startsWith("400 ");
        assertThat(curl("--http1.1", body, headers, url() + "?dns=***")).startsWith("400 ");
        assertThat(curl("--http2", body, headers, url() + "?dns=AAAA"))
                .as("3 octets: no DNS header")
                .startsWith("400 ");
        assertThat(curl("--http2", body, headers, "-H", "Content-Type: text/plain", "--data-binary", "@" + q, url()))
                .startsWith("415 ");
        assertThat(curl(
                        "--http1.1",
                        body,
                        headers,
                        "-H",
                        "Content-Type: application/dns-message",
                        "--data-binary",
                        "@" + big,
                        url()))
                .startsWith("413 ");
        assertThat(curl("--http2", body, headers, "https://doh.safenet.test:" + port + "/other"))
                .startsWith("404 ");
        assertThat(curl("--http2", body, headers, "-X", "PUT", url())).startsWith("405 ");
    }

    @Test
    void kdigOverHttps_getsTheAnswer() throws Exception {
        start();
        Path kdig = Peers.require("kdig", "knot-dnsutils");
        String out = run(
                kdig.toString(),
                "@127.0.0.1",
                "-p",
                String.valueOf(port),
                "+https",
                "+tls-ca=" + files.certificate(),
                "+tls-hostname=doh.safenet.test",
                "+short",
                "+timeout=5",
                "+retry=0",
                "www.example.com",
                "A");
        assertThat(out.strip()).isEqualTo("192.0.2.10");
    }

    /**
     * The JDK's HTTP/2 client, 50 streams at once on one connection, 1,500 requests, more request
     * octets in all than the connection's initial flow-control window, the blocked names among them
     * answered with the sinkhole as over UDP.
     */
    @Test
    void oneHttp2Connection_manyConcurrentStreams_blockedNamesGetTheSinkhole() throws Exception {
        start("127.0.0.1");
        SSLContext tls = trustingTheCertificate();
        Message sinkholed = new DnsProbe(resolver.boundAddresses().getFirst()).udp("blocked.example.com.", Type.A);
        assertThat(DnsProbe.firstAnswer(sinkholed)).as("the sinkhole over UDP").isNotNull();

        URI uri = URI.create("https://127.0.0.1:" + port + "/dns-query");
        int requestBytes = 0;
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .sslContext(tls)
                .build()) {
            for (int batch = 0; batch < 30; batch++) {
                List<CompletableFuture<HttpResponse<byte[]>>> inFlight = new ArrayList<>();
                List<String> asked = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    String name = (i % 2 == 0 ? "www" : "blocked") + ".example.com.";
                    byte[] query = DnsProbe.query(name, Type.A, 1232).toWire();
                    requestBytes += query.length;
                    asked.add(name);
                    inFlight.add(client.sendAsync(
                            HttpRequest.newBuilder(uri)
                                    .header("Content-Type", "application/dns-message")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(query))
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray()));
                }
                for (int i = 0; i < inFlight.size(); i++) {
                    HttpResponse<byte[]> r = inFlight.get(i).get(30, TimeUnit.SECONDS);
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
                    String expected = asked.get(i).startsWith("www") ? "192.0.2.10" : DnsProbe.firstAnswer(sinkholed);
                    assertThat(DnsProbe.firstAnswer(new Message(r.body()))).isEqualTo(expected);
                }
            }
        }
        assertThat(requestBytes).as("more than the initial 65,535-octet window").isGreaterThan(65_535);
    }

    private SSLContext trustingTheCertificate() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (var in = Files.newInputStream(Path.of(files.certificate()))) {
            trust.setCertificateEntry(
                    "doh", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        return tls;
    }

    /**
     * DoH connections count against server.tcpMaxConnections with plain TCP and DoT: with the table
     * full of idle connections, a new one closes the longest idle one instead of adding to them.
     */
    @Test
    void dohConnections_shareTheTcpConnectionLimit() throws Exception {
        maxConnections = 2;
        start("127.0.0.1");
        SSLContext tls = trustingTheCertificate();
        try (SSLSocket oldest = handshake(tls);
                SSLSocket second = handshake(tls);
                SSLSocket newest = handshake(tls)) {
            assertThat(closedByServer(oldest))
                    .as("the longest idle connection made room")
                    .isTrue();
            byte[] query = DnsProbe.query("www.example.com.", Type.A, 0).toWire();
            String request = "GET /dns-query?dns="
                    + Base64.getUrlEncoder().withoutPadding().encodeToString(query)
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
            newest.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            newest.getOutputStream().flush();
            String response = new String(newest.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(response).startsWith("HTTP/1.1 200");
            assertThat(second.isClosed()).isFalse();
        }
    }

    private SSLSocket handshake(SSLContext tls) throws Exception {
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(3_000); // well under the 10 s idle timeout: a close before it is the limit's
        s.startHandshake();
        return s;
    }

    /** True when the server closed the connection (end of stream or a reset), false if it answered. */
    private static boolean closedByServer(SSLSocket s) {
        try {
            return s.getInputStream().read() < 0;
        } catch (IOException e) {
            return !(e instanceof SocketTimeoutException);
        }
    }
}
