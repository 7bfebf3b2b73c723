package org.safenet.dns.bench.jmh.acl;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.safenet.dns.resolver.acl.ClientAccessList;

/**
 * The client check every query passes first, with the default allow list (loopback and the
 * private ranges, 9 prefixes): a client inside (last prefix of its family), a public IPv4 client
 * (refused after every prefix is tried) and an IPv6 ULA client.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClientAccessListBenchmark {
    private ClientAccessList acl;
    private InetAddress insideV4;
    private InetAddress outsideV4;
    private InetAddress insideV6;

    @Setup(Level.Trial)
    public void setUp() throws UnknownHostException {
        acl = new ClientAccessList(ClientAccessList.DEFAULT_ALLOWED.stream()
                .map(org.safenet.dns.resolver.acl.CidrPrefix::parse)
                .toList());
        insideV4 = InetAddress.getByName("169.254.10.20");
        outsideV4 = InetAddress.getByName("203.0.113.7");
        insideV6 = InetAddress.getByName("fd00::53");
    }

    @Benchmark
    public boolean allowedV4() {
        return acl.allows(insideV4);
    }

    @Benchmark
    public boolean refusedV4() {
        return acl.allows(outsideV4);
    }

    @Benchmark
    public boolean allowedV6() {
        return acl.allows(insideV6);
    }
}
