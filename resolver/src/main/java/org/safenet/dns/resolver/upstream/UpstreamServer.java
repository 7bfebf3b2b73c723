package org.safenet.dns.resolver.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream and its health. After {@value #FAILURES_BEFORE_DOWN} failures in a row it is
 * marked down and skipped; it is tried again after a back-off that doubles with each further
 * failure, up to {@link #MAX_BACKOFF}. One answer makes it healthy again.
 */
public final class UpstreamServer {
    private static final Logger log = LoggerFactory.getLogger(UpstreamServer.class);

    static final int FAILURES_BEFORE_DOWN = 3;
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** At most one TLS failure per server is logged in this time (the metric counts them all). */
    static final long TLS_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final UpstreamAddress upstream;
    private final InetSocketAddress address;
    private final String name;
    /** For a tls:// upstream, its client context (trust anchors, name check, pins); else null. */
    final @Nullable SslContext tls;

    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile long downUntilNanos;
    private final AtomicLong lastTlsLogNanos = new AtomicLong(System.nanoTime() - TLS_LOG_INTERVAL_NANOS);
    final Timer latency;
    final Counter udpQueries;
    final Counter tcpQueries;
    final Counter tlsQueries;
    private final ResolverMetrics metrics;

    UpstreamServer(UpstreamAddress upstream, @Nullable SslContext tls, ResolverMetrics metrics) {
        if ((upstream.transport() == UpstreamAddress.Transport.TLS) != (tls != null)) {
            throw new IllegalArgumentException("a TLS context goes with a tls:// upstream, and only there");
        }
        this.upstream = upstream;
        this.tls = tls;
        this.address = upstream.hostPort().toSocketAddress();
        this.name = upstream.toString();
        this.metrics = metrics;
        this.latency = metrics.upstreamLatency(name);
        this.udpQueries = metrics.upstreamQuery(name, "udp");
        this.tcpQueries = metrics.upstreamQuery(name, "tcp");
        this.tlsQueries = metrics.upstreamQuery(name, "tls");
    }

    public InetSocketAddress address() {
        return address;
    }

    public HostPort hostPort() {
        return upstream.hostPort();
    }

    public UpstreamAddress upstream() {
        return upstream;
    }

    public UpstreamAddress.Transport transport() {
        return upstream.transport();
    }

    /** A TLS connection to this server could not be set up: logged at most once a minute. */
    void tlsFailed(Throwable cause) {
        long now = System.nanoTime();
        long last = lastTlsLogNanos.get();
        if (now - last >= TLS_LOG_INTERVAL_NANOS && lastTlsLogNanos.compareAndSet(last, now)) {
            Throwable root = cause;
            for (int depth = 0; depth < 8 && root.getCause() != null; depth++) {
                root = root.getCause();
            }
            log.warn(
                    "upstream {}: TLS connection refused: {} (no query goes to it in clear text; further failures in"
                            + " the next minute are only counted)",
                    name,
                    root.getMessage());
        }
    }

    public boolean isUp(long nowNanos) {
        return nowNanos - downUntilNanos >= 0;
    }

    void succeeded() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
            downUntilNanos = 0;
        }
    }

    void failed(String reason, long nowNanos) {
        metrics.upstreamFailure(name, reason).increment();
        int n = consecutiveFailures.incrementAndGet();
        if (n >= FAILURES_BEFORE_DOWN) {
            long backoff = Math.min(
                    MAX_BACKOFF.toNanos(), Duration.ofSeconds(1).toNanos() << Math.min(20, n - FAILURES_BEFORE_DOWN));
            downUntilNanos = nowNanos + backoff;
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
