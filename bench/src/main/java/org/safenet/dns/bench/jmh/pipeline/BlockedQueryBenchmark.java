package org.safenet.dns.bench.jmh.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.TearDown;
import org.safenet.dns.bench.jmh.BenchData;
import org.safenet.dns.blocklist.index.BlocklistIndexBuilder;
import org.safenet.dns.blocklist.index.BlocklistPolicy;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.pipeline.ClientChannel;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyAnswers;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.stats.ClientKeys;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * A blocked query through the whole pipeline, minus the socket: parse, ACL, blocklist suffix walk
 * over {@code entries} real listed names, sinkhole answer with EDE written to the reply buffer, the
 * per-category counter incremented. Queries are listed names and "www." subdomains of them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BlockedQueryBenchmark implements ClientChannel {
    @Param({"1000000"})
    public int entries;

    private ByteBuf[] queries;
    private QueryPipeline pipeline;
    private final ParsedQuery query = new ParsedQuery();
    /** Client statistics: off (stats.enabled false), or on with every client its own key (1024 keys). */
    /** Profiles: none configured (every client default), or the three of {@link BenchData#threeProfiles()}. */
    @Param({"none", "three"})
    public String profiles;

    @Param({"off", "full"})
    public String stats;

    /** 1024 clients in turn, so the distinct and top-client sketches see many keys. */
    private final InetSocketAddress[] clients = BenchData.clients();

    private final ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws UnknownHostException {
        long now = System.currentTimeMillis();
        List<String> listed = BenchData.blockedList();
        Verdict scam = new Verdict(PolicyAction.SINKHOLE, "scam", "national, list v1", Verdict.EDE_BLOCKED, null);
        BlocklistIndexBuilder b = new BlocklistIndexBuilder();
        int n = Math.min(entries, listed.size());
        for (int i = 0; i < n; i++) {
            b.block(listed.get(i), true, scam);
        }
        BlocklistPolicy policy = new BlocklistPolicy(b.build(1));
        PacketCache cache = new PacketCache(CacheSettings.defaults());
        pipeline = BenchData.pipeline(
                policy,
                new PolicyAnswers(
                        new SinkholeSettings(
                                List.of(InetAddress.getByName("192.0.2.80")),
                                Duration.ofSeconds(60),
                                Duration.ofMinutes(5)),
                        1232),
                cache,
                now,
                stats.equals("off") ? null : ClientKeys.Mode.FULL);
        if (profiles.equals("three")) {
            pipeline.profiles(BenchData.threeProfiles(), java.time.ZoneOffset.UTC);
        }
        queries = new ByteBuf[1024];
        for (int i = 0; i < queries.length; i++) {
            String name = listed.get((int) ((i * 1409L) % n));
            byte[] q = BenchData.query(i, i % 2 == 0 ? name : "www." + name, 1, true);
            queries[i] = Unpooled.directBuffer(q.length).writeBytes(q);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf q : queries) {
            q.release();
        }
        out.release();
    }

    @Benchmark
    public int blockedQuery() {
        out.clear();
        pipeline.handle(queries[next & 1023], clients[next++ & 1023], query, out, this);
        return out.readableBytes();
    }

    @Override
    public int maxAnswerSize(int udpLimit) {
        return udpLimit;
    }

    @Override
    public ReplySink sinkFor(InetSocketAddress c) {
        throw new IllegalStateException("a blocked query went upstream: " + query);
    }
}
