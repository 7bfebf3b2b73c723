package org.safenet.dns.blocklist.sync;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Downloads one file for a source, within its limits: conditional (ETag / If-Modified-Since, so an
 * unchanged list costs one small request), at most {@code maxBytes}, and within {@code timeout}
 * from the request to the last byte (a server that trickles is cut off, not waited on).
 */
final class HttpDownloader {
    private final SourceSpec spec;
    private final HttpClient client;

    HttpDownloader(SourceSpec spec) throws IOException {
        this.spec = spec;
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(spec.rails().timeout())
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (spec.clientCertificate() != null) {
            b.sslContext(clientCertificateContext(spec));
        }
        this.client = b.build();
    }

    /** A response: 304 (file null) or 200 with the body in {@code file}. */
    record Response(
            int status,
            @Nullable Path file,
            @Nullable String etag,
            @Nullable String lastModified) {
        boolean notModified() {
            return status == 304;
        }
    }

    /**
     * GETs {@code uri} into {@code dest}. Conditional if {@code etag} or {@code lastModified} is
     * given. Any status but 200 and 304 is an error naming the status.
     */
    Response get(URI uri, @Nullable String etag, @Nullable String lastModified, Path dest)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + spec.rails().timeout().toNanos();
        HttpRequest.Builder r = HttpRequest.newBuilder(uri)
                .timeout(spec.rails().timeout())
                .header("User-Agent", "SafeNet-DNS-sync")
                .GET();
        if (etag != null) {
            r.header("If-None-Match", etag);
        }
        if (lastModified != null) {
            r.header("If-Modified-Since", lastModified);
        }
        if (spec.bearerToken() != null) {
            r.header("Authorization", "Bearer " + spec.bearerToken());
        }
        HttpResponse<InputStream> response;
        try {
            response = client.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new IOException(
                    uri + ": no response within " + spec.rails().timeout().toSeconds() + " s", e);
        } catch (java.net.ConnectException e) {
            throw new IOException(uri + ": cannot connect (" + e.getMessage() + ")", e);
        }
        String newEtag = response.headers().firstValue("ETag").orElse(null);
        String newLastModified = response.headers().firstValue("Last-Modified").orElse(null);
        try (InputStream body = response.body()) {
            if (response.statusCode() == 304) {
                return new Response(304, null, etag, lastModified);
            }
            if (response.statusCode() != 200) {
                throw new IOException(uri + ": HTTP " + response.statusCode()
                        + (response.statusCode() == 401 || response.statusCode() == 403
                                ? " (check the source's bearerToken or client certificate)"
                                : ""));
            }
            long declared =
                    response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (declared > spec.rails().maxBytes()) {
                throw new IOException(uri + ": " + declared + " bytes, more than the limit of "
                        + spec.rails().maxBytes() + " (rails.maxBytes)");
            }
            copyWithinLimits(uri, body, dest, deadline);
        }
        return new Response(200, dest, newEtag, newLastModified);
    }

    private void copyWithinLimits(URI uri, InputStream body, Path dest, long deadline) throws IOException {
        long remaining = deadline - System.nanoTime();
        AtomicBoolean timedOut = new AtomicBoolean();
        // A blocked read cannot see a deadline: closing the stream at the deadline ends it.
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(
                () -> {
                    timedOut.set(true);
                    try {
                        body.close();
                    } catch (IOException ignored) {
                        // closing is all we want
                    }
                },
                CompletableFuture.delayedExecutor(Math.max(1, remaining), TimeUnit.NANOSECONDS));
        long total = 0;
        try (OutputStream out = Files.newOutputStream(dest)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = body.read(buf)) > 0) {
                total += n;
                if (total > spec.rails().maxBytes()) {
                    throw new IOException(uri + ": more than the limit of "
                            + spec.rails().maxBytes() + " bytes (rails.maxBytes); the download was stopped");
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            if (timedOut.get()) {
                throw new IOException(
                        uri + ": not complete within " + describe(spec.rails().timeout()) + " (rails.timeout); " + total
                                + " bytes received",
                        e);
            }
            throw e;
        } finally {
            watchdog.cancel(false);
        }
        if (timedOut.get()) {
            throw new IOException(
                    uri + ": not complete within " + describe(spec.rails().timeout()) + " (rails.timeout)");
        }
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static SSLContext clientCertificateContext(SourceSpec spec) throws IOException {
        char[] password = spec.clientCertificatePassword() == null
                ? new char[0]
                : spec.clientCertificatePassword().toCharArray();
        try (InputStream in = Files.newInputStream(spec.clientCertificate())) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException(
                    "source " + spec.name() + ": cannot use the client certificate " + spec.clientCertificate() + ": "
                            + e.getMessage(),
                    e);
        }
    }
}
