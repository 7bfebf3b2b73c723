package org.safenet.dns.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates made by {@code openssl} (Debian package {@code openssl}) for tests of
 * the encrypted listeners: an EC P-256 key in PKCS#8 PEM and a certificate for one name.
 */
public final class TestCertificates {
    private TestCertificates() {}

    /** The files: {@code certificate} and {@code key}, PEM. */
    public record Files(Path certificate, Path key) {}

    /**
     * Writes {@code <prefix>-cert.pem} and {@code <prefix>-key.pem} in {@code dir}: a certificate
     * for {@code name} (subject and subjectAltName; an IPv4 address goes in as an IP address, so
     * that clients connecting to it by address verify it), valid for {@code days}.
     */
    public static Files make(Path dir, String prefix, String name, int days) throws IOException, InterruptedException {
        Path openssl = Peers.require("openssl", "openssl");
        Path cert = dir.resolve(prefix + "-cert.pem");
        Path key = dir.resolve(prefix + "-key.pem");
        Process p = new ProcessBuilder(
                        openssl.toString(),
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:P-256",
                        "-nodes",
                        "-keyout",
                        key.toString(),
                        "-out",
                        cert.toString(),
                        "-days",
                        String.valueOf(days),
                        "-subj",
                        "/CN=" + name,
                        "-addext",
                        "subjectAltName=" + (isAddress(name) ? "IP:" : "DNS:") + name)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl req failed: " + out);
        }
        return new Files(cert, key);
    }

    private static boolean isAddress(String name) {
        return !name.isEmpty() && name.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }
}
