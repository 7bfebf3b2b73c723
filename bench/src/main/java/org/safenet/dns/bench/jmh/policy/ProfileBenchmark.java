package org.safenet.dns.bench.jmh.policy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.safenet.dns.bench.jmh.BenchData;
import org.safenet.dns.blocklist.index.BlocklistIndexBuilder;
import org.safenet.dns.blocklist.index.BlocklistPolicy;
import org.safenet.dns.resolver.policy.ClientGroups;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Profile;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * The two per-query costs profiles add: finding the client's group (three groups, 1,024
 * clients in turn, a third of them in no group) and the profile's decision for a name (the
 * students' profile of {@link BenchData#threeProfiles()}: SafeSearch, services, an open
 * schedule, DoH bypass, over a 100,000-entry list; names listed, rewritten, services, plain).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProfileBenchmark {
    private ClientGroups groups;
    private Profile school;
    private BlocklistPolicy lists;
    private final InetAddress[] clients = new InetAddress[1024];
    private final InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);
    private final ParsedQuery[] names = new ParsedQuery[1024];
    private final ParsedQuery any = ParsedQuery.forName(DnsNames.toWire("example.com"));
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        groups = BenchData.threeProfiles();
        school = groups.profiles().get(1);
        InetSocketAddress[] c = BenchData.clients();
        for (int i = 0; i < clients.length; i++) {
            clients[i] = c[i].getAddress();
        }
        List<String> listed = BenchData.blockedList();
        Verdict scam = Verdict.ofCategory(PolicyAction.SINKHOLE, "scam", "national, list v1", Verdict.EDE_BLOCKED);
        BlocklistIndexBuilder b = new BlocklistIndexBuilder();
        for (int i = 0; i < 100_000; i++) {
            b.block(listed.get(i), true, scam);
        }
        lists = new BlocklistPolicy(b.build(1));
        List<String> mix = new ArrayList<>();
        List<String> top = BenchData.topDomains(1000);
        for (int i = 0; i < 1024; i++) {
            mix.add(
                    switch (i % 8) {
                        case 0 -> listed.get(i * 7);
                        case 1 -> "www.google.com";
                        case 2 -> "www.tiktok.com";
                        case 3 -> "m.facebook.com";
                        default -> "www." + top.get(i % top.size());
                    });
        }
        for (int i = 0; i < names.length; i++) {
            names[i] = ParsedQuery.forName(DnsNames.toWire(mix.get(i)));
        }
    }

    @Benchmark
    public Profile groupLookup() {
        return groups.profileFor(clients[next++ & 1023], local, any);
    }

    @Benchmark
    public Verdict profileDecision() {
        return school.decide(names[next++ & 1023], lists, 600);
    }
}
