package org.safenet.dns.bench.jmh.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
import org.openjdk.jmh.annotations.TearDown;
import org.safenet.dns.bench.jmh.BenchData;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.cache.UpstreamResponses;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;

/**
 * The in-process part of a cache miss, minus the sockets: the query is parsed and copied (the
 * forwarder keeps the copy), the upstream's answer (two A records and an OPT, a typical forwarded
 * answer) is checked and decoded into a cache entry, and the entry is
 * stored in a full 200,000-entry cache (evicting). {@code -prof gc} gives the bytes this allocates
 * per miss; the system calls of a miss are measured end to end by bench/peers/compare.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MissPathBenchmark {
    private static final int NAMES = 1 << 16;

    private ByteBuf[] queries;
    private ByteBuf[] answers;
    private PacketCache cache;
    private final ParsedQuery query = new ParsedQuery();
    private int next;
    private long now;

    @Setup(Level.Trial)
    public void setUp() {
        now = System.currentTimeMillis();
        cache = new PacketCache(CacheSettings.defaults());
        List<String> top = BenchData.topDomains(NAMES / 4);
        queries = new ByteBuf[NAMES];
        answers = new ByteBuf[NAMES];
        for (int i = 0; i < NAMES; i++) {
            String name = "m" + (i / top.size()) + "." + top.get(i % top.size());
            byte[] q = BenchData.query(i, name, 1, true);
            queries[i] = Unpooled.directBuffer(q.length).writeBytes(q);
            answers[i] = upstreamAnswer(q);
        }
        // Fill the cache with other names, so every store below evicts, as in steady state.
        for (int i = 0; i < 250_000; i++) {
            byte[] q = BenchData.query(i, "fill" + i + ".example", 1, true);
            ByteBuf qb = Unpooled.wrappedBuffer(q);
            ParsedQuery pq = new ParsedQuery();
            QueryParser.parse(qb, pq);
            ByteBuf a = upstreamAnswer(q);
            cache.store(UpstreamResponses.decode(a, pq.id(), pq, cache.seed(), cache.settings(), now)
                    .entry());
            a.release();
        }
    }

    /** Two A records compressed onto the question, with the EDNS OPT an upstream sends back. */
    private static ByteBuf upstreamAnswer(byte[] q) {
        ParsedQuery pq = new ParsedQuery();
        QueryParser.parse(Unpooled.wrappedBuffer(q), pq);
        int qEnd = 12 + pq.nameLength() + 4;
        ByteBuf r = Unpooled.directBuffer(qEnd + 64);
        r.writeBytes(q, 0, qEnd);
        r.setShort(2, 0x8180);
        r.setShort(6, 2);
        r.setShort(10, 1);
        for (int i = 0; i < 2; i++) {
            r.writeShort(0xC00C)
                    .writeShort(1)
                    .writeShort(1)
                    .writeInt(300)
                    .writeShort(4)
                    .writeInt(0xC0000201 + i);
        }
        r.writeByte(0).writeShort(41).writeShort(1232).writeInt(0).writeShort(0);
        return r;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (int i = 0; i < NAMES; i++) {
            queries[i].release();
            answers[i].release();
        }
    }

    @Benchmark
    public Object decodeAndStore() {
        int i = next++ & (NAMES - 1);
        ByteBuf in = queries[i];
        QueryParser.parse(in.duplicate(), query);
        ParsedQuery waiting = query.copy();
        ByteBuf answer = answers[i];
        UpstreamResponses.Decoded d =
                UpstreamResponses.decode(answer, waiting.id(), waiting, cache.seed(), cache.settings(), now);
        cache.store(d.entry());
        return d;
    }
}
