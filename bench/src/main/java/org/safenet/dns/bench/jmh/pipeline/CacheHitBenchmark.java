package org.safenet.dns.bench.jmh.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
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
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.cache.UpstreamResponses;
import org.safenet.dns.resolver.pipeline.ClientChannel;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.policy.Policy;
import org.safenet.dns.resolver.policy.PolicyAnswers;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.stats.ClientKeys;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;

/**
 * A cache hit through the whole pipeline, minus the socket: parse, ACL, cache lookup, answer
 * written to a pooled buffer with ID, case and TTLs patched. {@code -prof gc} shows what this
 * costs in allocation per query (the goal is 0 B/op).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CacheHitBenchmark implements ClientChannel {
    /** Names asked (rounded down to a power of two), all cached; the table has room for twice as many. */
    @Param({"1000", "100000", "1000000"})
    public int names;

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

    private int clientIndex;
    private final ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(4096);
    private int next;
    private int mask;

    @Setup(Level.Trial)
    public void setUp() {
        long now = System.currentTimeMillis();
        CacheSettings d = CacheSettings.defaults();
        PacketCache cache = new PacketCache(new CacheSettings(
                Math.max(d.maxEntries(), 2 * names),
                d.minTtl(),
                d.maxTtl(),
                d.negativeMaxTtl(),
                d.serveStale(),
                d.maxStale(),
                d.staleAnswerTtl(),
                d.staleClientTimeout()));
        pipeline = BenchData.pipeline(
                Policy.NONE,
                new PolicyAnswers(SinkholeSettings.defaults(), 1232),
                cache,
                now,
                stats.equals("off") ? null : ClientKeys.Mode.FULL);
        if (profiles.equals("three")) {
            pipeline.profiles(BenchData.threeProfiles(), java.time.ZoneOffset.UTC);
        }

        List<String> list = new java.util.ArrayList<>(BenchData.topDomains(names));
        // The popular-name list has about 110,000 names: past that, names under them.
        for (int i = 0, top = list.size(); list.size() < names; i++) {
            list.add("x" + i + "." + list.get(i % top));
        }
        int size = Integer.highestOneBit(list.size());
        mask = size - 1;
        queries = new ByteBuf[size];
        for (int i = 0; i < size; i++) {
            String name = list.get(i);
            byte[] q = BenchData.query(i, name, 1, true);
            queries[i] = Unpooled.directBuffer(q.length).writeBytes(q);
            cache.store(decodeUpstreamAnswer(cache, q, name, now));
        }
        // Students' SafeSearch redirects end at these names: cached too, so every query is a hit.
        for (String target : List.of(
                "forcesafesearch.google.com", "strict.bing.com", "safe.duckduckgo.com", "restrict.youtube.com")) {
            cache.store(decodeUpstreamAnswer(cache, BenchData.query(0, target, 1, true), target, now));
        }
    }

    /** What an upstream would have sent: the question and one A record, compressed onto it. */
    private static org.safenet.dns.resolver.cache.CachedResponse decodeUpstreamAnswer(
            PacketCache cache, byte[] q, String name, long now) {
        ParsedQuery pq = new ParsedQuery();
        ByteBuf qb = Unpooled.wrappedBuffer(q);
        QueryParser.parse(qb, pq);
        int qEnd = 12 + pq.nameLength() + 4;
        ByteBuf r = Unpooled.buffer();
        r.writeBytes(q, 0, qEnd);
        r.setShort(2, 0x8180);
        r.setShort(6, 1);
        r.setShort(10, 0);
        r.writeShort(0xC00C)
                .writeShort(1)
                .writeShort(1)
                .writeInt(3600)
                .writeShort(4)
                .writeInt(0xC0000201);
        UpstreamResponses.Decoded d = UpstreamResponses.decode(r, pq.id(), pq, cache.seed(), cache.settings(), now);
        r.release();
        qb.release();
        if (!d.cacheable() || d.entry() == null) {
            throw new IllegalStateException("not cacheable: " + name + " " + d.status());
        }
        return d.entry();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf b : queries) {
            b.release();
        }
        out.release();
    }

    @Benchmark
    public int cacheHit() {
        ByteBuf in = queries[next++ & mask];
        // One reused output buffer: what is measured is our code, not the allocator's wrapper
        // objects (which Netty recycles on its event-loop threads but not on JMH's).
        out.clear();
        pipeline.handle(in, clients[clientIndex++ & 1023], query, out, this);
        return out.readableBytes();
    }

    @Override
    public int maxAnswerSize(int udpLimit) {
        return udpLimit;
    }

    @Override
    public ReplySink sinkFor(InetSocketAddress c) {
        throw new IllegalStateException("a miss in a cache-hit benchmark: " + query);
    }
}
