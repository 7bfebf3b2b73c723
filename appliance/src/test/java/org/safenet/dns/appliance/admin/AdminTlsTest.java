package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.appliance.Appliance;
import org.safenet.dns.appliance.config.ConfigLoader;
import org.safenet.dns.testkit.TestCertificates;

/** The admin API over HTTPS from PEM files made by openssl, verified by a client that trusts only that certificate. */
class AdminTlsTest {
    @TempDir
    Path dir;

    @Test
    void servesHttpsFromPemFiles() throws Exception {
        TestCertificates.Files pem = TestCertificates.make(dir, "admin", "127.0.0.1", 2); // an IP address SAN
        Path cert = pem.certificate();
        Path key = pem.key();

        Path config = dir.resolve("safenet.yaml");
        Files.writeString(config, """
                server:
                  listen: ["127.0.0.1:0"]
                  threads: 1
                upstream:
                  servers: ["127.0.0.1:9"]
                blocklist:
                  blockPageListen: []
                admin:
                  listen: ["127.0.0.1:0"]
                  tlsCertificate: "%s"
                  tlsKey: "%s"
                dataDir: "%s"
                """.formatted(cert, key, dir.resolve("data")));
        try (Appliance a = new Appliance(new ConfigLoader().load(config, ConfigLoader.Overrides.none()))) {
            a.start();
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry(
                    "admin",
                    CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert))));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            String token = Files.readString(dir.resolve("data/admin-token")).trim();
            try (HttpClient client = HttpClient.newBuilder()
                    .sslContext(tls)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build()) {
                HttpResponse<String> r = client.send(
                        HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
                                        + a.adminAddresses().get(0).getPort() + "/api/v1/stats"))
                                .header("Authorization", "Bearer " + token)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("\"queries\"");
            }
        }
    }
}
