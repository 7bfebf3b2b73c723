package org.safenet.dns.bench.jmh.policy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
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
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyAnswers;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;

/**
 * Encoding the answer to a blocked name into the reply buffer: the sinkhole A record with its
 * Extended DNS Error (category, source, list version), and an NXDOMAIN with SOA for comparison.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SinkholeAnswerBenchmark {
    private PolicyAnswers answers;
    private final ParsedQuery query = new ParsedQuery();
    private final ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(1232);
    private Verdict sinkhole;
    private Verdict nxdomain;

    @Setup(Level.Trial)
    public void setUp() throws UnknownHostException {
        answers = new PolicyAnswers(
                new SinkholeSettings(
                        List.of(InetAddress.getByName("192.0.2.80")), Duration.ofSeconds(60), Duration.ofMinutes(5)),
                1232);
        ByteBuf q = Unpooled.wrappedBuffer(BenchData.query(0x1234, "login.vietcombank-xacthuc.example", 1, true));
        QueryParser.parse(q, query);
        sinkhole = new Verdict(PolicyAction.SINKHOLE, "scam", "national, list v42", Verdict.EDE_BLOCKED, null);
        nxdomain = new Verdict(PolicyAction.NXDOMAIN, "botnet", "national, list v42", Verdict.EDE_BLOCKED, null);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.release();
    }

    @Benchmark
    public int sinkholeA() {
        out.clear();
        answers.write(out, query, sinkhole);
        return out.readableBytes();
    }

    @Benchmark
    public int nxdomainWithSoa() {
        out.clear();
        answers.write(out, query, nxdomain);
        return out.readableBytes();
    }
}
