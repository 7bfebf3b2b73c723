package org.safenet.dns.bench.jmh.limit;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.resolver.limit.QueryLimiter;

/**
 * The per-client query rate check every UDP query from a client outside {@code limits.exempt}
 * takes, with the default rates (3,000 q/s per address, 20,000 per /24; never exceeded here):
 * 4,096 IPv4 clients over 256 /24s in turn, or IPv6 clients in 4,096 /64s, with the network
 * bucket on (the defaults) or off ({@code networkQps: 0}). The clock advances a millisecond per
 * 64 queries, so buckets refill as they would at about 64,000 q/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class QueryLimiterBenchmark {
    @Param({"on", "off"})
    public String network;

    @Param({"v4", "v6"})
    public String family;

    private final QueryLimiter limiter = new QueryLimiter();
    private final InetAddress[] clients = new InetAddress[4096];
    private LimitSettings settings;
    private int next;
    private long now;

    @Setup(Level.Trial)
    public void setUp() throws UnknownHostException {
        settings = new LimitSettings(
                3000,
                false,
                32,
                64,
                new ClientAccessList(List.of()),
                LimitSettings.DEFAULT_TCP_CONNECTIONS_PER_CLIENT,
                LimitSettings.DEFAULT_TCP_MESSAGE_TIMEOUT,
                20,
                2,
                network.equals("on") ? 20_000 : 0,
                24,
                56);
        for (int i = 0; i < clients.length; i++) {
            clients[i] = family.equals("v4")
                    ? InetAddress.getByAddress(new byte[] {10, 1, (byte) (i >> 4), (byte) (i & 15)})
                    : InetAddress.getByName("2001:db8:" + Integer.toHexString(i) + "::1");
        }
    }

    @Benchmark
    public QueryLimiter.Over check() {
        int i = next++ & (clients.length - 1);
        if ((i & 63) == 0) {
            now++;
        }
        return limiter.check(clients[i], now, settings);
    }
}
