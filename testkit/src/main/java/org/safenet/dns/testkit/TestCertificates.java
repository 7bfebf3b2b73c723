package org.safenet.dns.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

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

    /**
     * A TLS connection to {@code at} that accepts any certificate, handshake done: for tests that
     * look at which certificate a listener presents ({@link #subject}), not whether it verifies.
     */
    public static SSLSocket connectTrustingAny(InetSocketAddress at) throws IOException {
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new TrustAny()}, null);
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(at.getAddress(), at.getPort());
        s.setSoTimeout(5_000);
        s.startHandshake();
        return s;
    }

    /** The subject of the certificate the server presented on {@code s}, as an RFC 2253 name. */
    public static String subject(SSLSocket s) throws IOException {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0])
                .getSubjectX500Principal()
                .getName();
    }

    private static final class TrustAny implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
