package org.safenet.dns.bench.jmh.policy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
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
import org.safenet.dns.bench.jmh.BenchData;
import org.safenet.dns.blocklist.index.BlocklistIndexBuilder;
import org.safenet.dns.blocklist.index.BlocklistPolicy;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;

/**
 * Blocklist policy lookup (suffix walk, allow and block probes) for names on the list (hit, a
 * subdomain of a listed name) and popular names not on it (miss), with the real 1.46M-name list
 * from ../shared/data, cut or padded with names of the same shape up to {@code entries}. Setup prints the
 * index's heap bytes per entry and its build time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BlocklistLookupBenchmark {
    @Param({"1000000", "10000000"})
    public int entries;

    private BlocklistPolicy policy;
    private ParsedQuery[] hits;
    private ParsedQuery[] misses;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        List<String> real = BenchData.blockedList();
        Verdict scam = new Verdict(PolicyAction.SINKHOLE, "scam", "bench", Verdict.EDE_BLOCKED, null);
        long start = System.nanoTime();
        BlocklistIndexBuilder b = new BlocklistIndexBuilder();
        int added = 0;
        for (int i = 0; i < real.size() && added < entries; i++, added++) {
            b.block(real.get(i), true, scam);
        }
        // Padding with real names' shape: a real name whose first label is replaced by a counter
        // in base 36 (so lengths and TLDs stay like the list's, 18.6 characters on average).
        for (int i = 0; added < entries; i++, added++) {
            String base = real.get(i % real.size());
            b.block(Integer.toString(i, 36) + base.substring(Math.max(0, base.indexOf('.'))), true, scam);
        }
        BlocklistPolicy.Snapshot snapshot = b.build(1);
        long buildMillis = (System.nanoTime() - start) / 1_000_000;
        policy = new BlocklistPolicy(snapshot);
        System.out.printf(
                "%n[index] entries=%d heapBytes=%d bytesPerEntry=%.1f buildMillis=%d%n",
                snapshot.blockedNames(),
                snapshot.heapBytes(),
                (double) snapshot.heapBytes() / snapshot.blockedNames(),
                buildMillis);

        hits = new ParsedQuery[1024];
        for (int i = 0; i < hits.length; i++) {
            hits[i] = parse("www." + real.get((i * 1409) % Math.min(real.size(), entries)));
        }
        List<String> popular = BenchData.topDomains(1024);
        misses = new ParsedQuery[1024];
        for (int i = 0; i < misses.length; i++) {
            misses[i] = parse("www." + popular.get(i));
        }
    }

    private static ParsedQuery parse(String name) {
        byte[] wire = BenchData.query(1, name, 1, false);
        ParsedQuery q = new ParsedQuery();
        ByteBuf b = Unpooled.wrappedBuffer(wire);
        QueryParser.parse(b, q);
        b.release();
        return q;
    }

    @Benchmark
    public Verdict hit() {
        return policy.decide(hits[next++ & 1023]);
    }

    @Benchmark
    public Verdict miss() {
        return policy.decide(misses[next++ & 1023]);
    }
}
