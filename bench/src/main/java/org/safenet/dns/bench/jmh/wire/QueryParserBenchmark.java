package org.safenet.dns.bench.jmh.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.safenet.dns.bench.jmh.BenchData;
import org.safenet.dns.resolver.wire.ParseResult;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;

/** Header + question + OPT parsing over real names (top-domains), in place from direct buffers. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class QueryParserBenchmark {
    @Param({"true", "false"})
    public boolean edns;

    private ByteBuf[] packets;
    private final ParsedQuery query = new ParsedQuery();
    private int next;

    @Setup
    public void setUp() {
        List<String> names = BenchData.topDomains(1024);
        packets = new ByteBuf[names.size()];
        for (int i = 0; i < packets.length; i++) {
            byte[] wire = BenchData.query(i, names.get(i), 1, edns);
            packets[i] = Unpooled.directBuffer(wire.length).writeBytes(wire);
        }
    }

    @TearDown
    public void tearDown() {
        for (ByteBuf b : packets) {
            b.release();
        }
    }

    @Benchmark
    public ParseResult parse() {
        ByteBuf b = packets[next++ & (packets.length - 1)];
        return QueryParser.parse(b, query);
    }
}
