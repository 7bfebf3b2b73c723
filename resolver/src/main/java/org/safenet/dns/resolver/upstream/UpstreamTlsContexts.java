package org.safenet.dns.resolver.upstream;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * The TLS client contexts for DNS-over-TLS upstreams: TLS 1.3 and 1.2, the chain verified against
 * the configured or system trust anchors, the certificate's name checked against the upstream's
 * authentication name (or its IP address), and optional SPKI pins on top. Built when the
 * configuration is read, so that an unreadable CA file is a configuration error and not a failed
 * query.
 */
final class UpstreamTlsContexts {
    /** Debian's trust store, kept current by ca-certificates (the JDK's own is used where it is absent). */
    static final Path SYSTEM_BUNDLE = Path.of("/etc/ssl/certs/ca-certificates.crt");

    private final UpstreamTls tls;
    private @Nullable X509ExtendedTrustManager anchors;

    UpstreamTlsContexts(UpstreamTls tls) {
        this.tls = tls;
    }

    SslContext contextFor(UpstreamAddress server) {
        X509ExtendedTrustManager trust = anchors();
        List<String> pins = tls.pinsFor(server);
        if (!pins.isEmpty()) {
            trust = new PinningTrustManager(trust, pins, server.toString());
        }
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .trustManager(trust)
                    .endpointIdentificationAlgorithm("HTTPS")
                    .build();
        } catch (IOException e) {
            throw new IllegalArgumentException("upstream " + server + ": cannot set up TLS: " + e.getMessage(), e);
        }
    }

    X509ExtendedTrustManager anchors() {
        X509ExtendedTrustManager a = anchors;
        if (a != null) {
            return a;
        }
        Path ca = tls.caFile();
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (ca != null) {
                tmf.init(keyStoreOf(ca, "upstream.tls.ca"));
            } else if (Files.isReadable(SYSTEM_BUNDLE)) {
                tmf.init(keyStoreOf(SYSTEM_BUNDLE, "the system trust store"));
            } else {
                tmf.init((KeyStore) null); // the JDK's cacerts
            }
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    anchors = x;
                    return x;
                }
            }
            throw new IllegalStateException("the JDK offers no X509 trust manager");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load trust anchors for TLS upstreams: " + e.getMessage(), e);
        }
    }

    private static KeyStore keyStoreOf(Path pem, String what) throws GeneralSecurityException {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(pem)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " " + pem + ": " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(
                    what + " " + pem + " is not a PEM certificate bundle: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(what + " " + pem + " holds no certificate");
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int i = 0;
        for (var c : certs) {
            ks.setCertificateEntry("ca-" + i++, c);
        }
        return ks;
    }

    /**
     * The anchors' verdict (chain and name, done by the delegate, which sees the engine and so
     * its endpoint identification), then one of the presented certificates must carry a pinned key.
     */
    static final class PinningTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        private final List<String> pins;
        private final String server;

        PinningTrustManager(X509ExtendedTrustManager delegate, List<String> pins, String server) {
            this.delegate = delegate;
            this.pins = pins;
            this.server = server;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType, engine);
            checkPins(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType, socket);
            checkPins(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
            checkPins(chain);
        }

        void checkPins(X509Certificate[] chain) throws CertificateException {
            for (X509Certificate c : chain) {
                if (pins.contains(spkiSha256(c))) {
                    return;
                }
            }
            throw new CertificateException("no certificate presented has a key pinned in upstream.tls.pins for "
                    + server + " (the server's own: " + spkiSha256(chain[0]) + ")");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    /** Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo (the RFC 7858 pin). */
    static String spkiSha256(X509Certificate c) {
        try {
            return Base64.getEncoder()
                    .encodeToString(MessageDigest.getInstance("SHA-256")
                            .digest(c.getPublicKey().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
