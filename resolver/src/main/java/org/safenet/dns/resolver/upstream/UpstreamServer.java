package org.safenet.dns.resolver.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.stats.ResolverMetrics;

/**
 * One upstream and its health. After {@value #FAILURES_BEFORE_DOWN} failures in a row it is
 * marked down and skipped; it is tried again after a back-off that doubles with each further
 * failure, up to {@link #MAX_BACKOFF}. One answer makes it healthy again.
 */
public final class UpstreamServer {
    static final int FAILURES_BEFORE_DOWN = 3;
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final HostPort hostPort;
    private final InetSocketAddress address;
    private final String name;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile long downUntilNanos;
    final Timer latency;
    final Counter udpQueries;
    final Counter tcpQueries;
    private final ResolverMetrics metrics;

    UpstreamServer(HostPort hostPort, ResolverMetrics metrics) {
        this.hostPort = hostPort;
        this.address = hostPort.toSocketAddress();
        this.name = hostPort.toString();
        this.metrics = metrics;
        this.latency = metrics.upstreamLatency(name);
        this.udpQueries = metrics.upstreamQuery(name, "udp");
        this.tcpQueries = metrics.upstreamQuery(name, "tcp");
    }

    public InetSocketAddress address() {
        return address;
    }

    public HostPort hostPort() {
        return hostPort;
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
