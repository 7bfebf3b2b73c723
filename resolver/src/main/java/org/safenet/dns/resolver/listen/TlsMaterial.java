package org.safenet.dns.resolver.listen;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.safenet.dns.resolver.ResolverSettings.TlsFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate and key an encrypted listener presents, read from PEM files and read again when
 * they change (a Let's Encrypt renewal replaces them in place), so the next handshake presents the
 * new certificate without a restart and without refusing a connection in between: connections
 * already open keep the session they made. A change is looked for at most once a second, on a new
 * connection. Files that do not load (half written, a key that does not match) leave the last
 * good certificate in use, with a warning. TLS 1.2 and 1.3 (RFC 8310 §3: nothing older), the
 * JDK's provider.
 */
public final class TlsMaterial {
    private static final Logger log = LoggerFactory.getLogger(TlsMaterial.class);
    /** How long before expiry the log warns at every load. */
    static final Duration WARN_BEFORE = Duration.ofDays(14);

    private static final long CHECK_EVERY_NANOS = 1_000_000_000L;

    /**
     * BoringSSL (netty-tcnative) where its native library loads, else the JDK's TLS; {@code
     * -Dsafenet.tls.provider=jdk} forces the JDK's (to compare, or if BoringSSL ever misbehaves).
     * BoringSSL does a handshake for about a quarter of the JDK's CPU (docs/benchmarks.md).
     */
    static final SslProvider PROVIDER = chooseProvider();

    private static SslProvider chooseProvider() {
        String wanted = System.getProperty("safenet.tls.provider", "auto");
        if (wanted.equalsIgnoreCase("jdk")) {
            return SslProvider.JDK;
        }
        if (OpenSsl.isAvailable() && SslProvider.isAlpnSupported(SslProvider.OPENSSL)) {
            return SslProvider.OPENSSL;
        }
        if (wanted.equalsIgnoreCase("openssl")) {
            log.warn(
                    "TLS: BoringSSL was asked for but does not load ({}): using the JDK's TLS",
                    String.valueOf(OpenSsl.unavailabilityCause()));
        }
        return SslProvider.JDK;
    }

    /** {@code BoringSSL} or {@code JDK}, for the start-up log. */
    public static String providerName() {
        return PROVIDER == SslProvider.OPENSSL ? "BoringSSL " + OpenSsl.versionString() : "the JDK's";
    }

    private final Path certificate;
    private final Path key;
    private final String[] alpn;
    private final LongSupplier nanos;
    private volatile SslContext context;
    private volatile Instant notAfter;
    private volatile String subject;
    private volatile long checkedAt;
    private FileTime[] stamp;
    private volatile long reloads;

    /**
     * Loads {@code files} for a listener that offers {@code alpn} (RFC 7858 §3.2: {@code dot};
     * DNS over HTTPS: {@code h2}, {@code http/1.1}), in order of preference.
     *
     * @throws IOException with what is wrong when the files do not make a certificate and key
     */
    public TlsMaterial(TlsFiles files, String... alpn) throws IOException {
        this(files, System::nanoTime, alpn);
    }

    TlsMaterial(TlsFiles files, LongSupplier nanos, String... alpn) throws IOException {
        if (!files.configured()) {
            throw new IOException("server.tls: no certificate and key configured");
        }
        this.certificate = Path.of(files.certificate());
        this.key = Path.of(files.key());
        this.alpn = alpn;
        this.nanos = nanos;
        this.stamp = stamp();
        load();
        this.checkedAt = nanos.getAsLong();
    }

    /** The context for a new connection: the files' current certificate. */
    public SslContext context() {
        long now = nanos.getAsLong();
        if (now - checkedAt >= CHECK_EVERY_NANOS) {
            checkedAt = now;
            reloadIfChanged();
        }
        return context;
    }

    /** Reads the files again if they changed since they were last read; returns whether it did. */
    public synchronized boolean reloadIfChanged() {
        FileTime[] now;
        try {
            now = stamp();
        } catch (IOException e) {
            log.warn("TLS: cannot read {} or {}: {}; keeping the certificate in use", certificate, key, e.getMessage());
            return false;
        }
        if (Arrays.equals(now, stamp)) {
            return false;
        }
        try {
            load();
            stamp = now;
            reloads++;
            log.info("TLS: certificate reloaded from {} ({}, valid until {})", certificate, subject, notAfter);
            return true;
        } catch (IOException e) {
            // Half written, or the key from another certificate: try again at the next change.
            log.warn(
                    "TLS: {} and {} do not load ({}); keeping the certificate in use",
                    certificate,
                    key,
                    e.getMessage());
            return false;
        }
    }

    private void load() throws IOException {
        X509Certificate leaf;
        try (InputStream in = Files.newInputStream(certificate)) {
            leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (CertificateException | ClassCastException e) {
            throw new IOException(certificate + ": not a PEM certificate: " + e.getMessage(), e);
        }
        requireMatchingKey(leaf);
        SslContext built;
        try {
            built = SslContextBuilder.forServer(certificate.toFile(), key.toFile())
                    .sslProvider(PROVIDER)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            alpn))
                    .build();
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("the certificate and key do not load: " + e.getMessage(), e);
        }
        this.context = built;
        this.notAfter = leaf.getNotAfter().toInstant();
        this.subject = leaf.getSubjectX500Principal().getName();
        Duration left = Duration.between(Instant.now(), notAfter);
        if (left.compareTo(WARN_BEFORE) < 0) {
            log.warn(
                    "TLS: the certificate in {} ({}) expires {} ({} days left): renew it",
                    certificate,
                    subject,
                    notAfter,
                    left.toDays());
        }
    }

    /**
     * The key must be the certificate's: the TLS library takes any pair and every handshake would
     * fail. Signs a few bytes with the key and checks them with the certificate's public key.
     */
    private void requireMatchingKey(X509Certificate leaf) throws IOException {
        String pem = Files.readString(key, StandardCharsets.US_ASCII);
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IOException(key + ": not a PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it with"
                    + " openssl pkcs8 -topk8 -nocrypt");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
        String algorithm = leaf.getPublicKey().getAlgorithm(); // EC, RSA, Ed25519, EdDSA
        try {
            PrivateKey privateKey = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            String scheme = switch (algorithm) {
                case "EC" -> "SHA256withECDSA";
                case "RSA" -> "SHA256withRSA";
                default -> algorithm;
            };
            byte[] probe = "safenet-dns key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(scheme);
            sign.initSign(privateKey);
            sign.update(probe);
            Signature verify = Signature.getInstance(scheme);
            verify.initVerify(leaf.getPublicKey());
            verify.update(probe);
            if (!verify.verify(sign.sign())) {
                throw new IOException("the certificate and key do not load: " + key
                        + " is not the key of the certificate in " + certificate);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(
                    "the certificate and key do not load: " + key + " is not the key of the " + algorithm
                            + " certificate in " + certificate + " (" + e.getMessage() + ")",
                    e);
        }
    }

    private FileTime[] stamp() throws IOException {
        return new FileTime[] {
            Files.getLastModifiedTime(certificate),
            Files.getLastModifiedTime(key),
            FileTime.fromMillis(Files.size(certificate)),
            FileTime.fromMillis(Files.size(key))
        };
    }

    /** When the certificate in use expires: for the expiry metric. */
    public Instant notAfter() {
        return Objects.requireNonNull(notAfter);
    }

    /** How many times the files were read again after a change. */
    public long reloads() {
        return reloads;
    }
}
