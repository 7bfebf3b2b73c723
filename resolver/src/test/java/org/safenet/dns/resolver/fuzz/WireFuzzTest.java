package org.safenet.dns.resolver.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.BeforeAll;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.cache.UpstreamResponses;
import org.safenet.dns.resolver.wire.ParseResult;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.FuzzSeeds;
import org.xbill.DNS.Type;

/**
 * Coverage-guided fuzzing (Jazzer) of the two parsers that read packets from outside: a client's
 * query and an upstream's answer on the miss path. In a normal build each target replays its
 * corpus ({@code src/test/resources/.../WireFuzzTestInputs/<target>/}); with {@code JAZZER_FUZZ=1}
 * (the {@code fuzz} profile, on in CI) it fuzzes for its {@code maxDuration}. A finding is any
 * exception: both parsers must return a status for any bytes.
 */
class WireFuzzTest {
    /** The question every fuzzed answer is decoded against: www.example.com/A, ID 0x1234, EDNS. */
    private static final byte[] QUERY =
            withId(DnsProbe.query("www.example.com.", Type.A, 1232).toWire(), 0x1234);

    private static final PacketCache CACHE = new PacketCache(CacheSettings.defaults());

    @BeforeAll
    static void seedFromBind() {
        // BIND's packet corpus (queries and answers, well formed and not), when fuzzing.
        FuzzSeeds.files(WireFuzzTest.class, "queryParser", "fuzz/bind9/dns_message_parse.in");
        FuzzSeeds.files(WireFuzzTest.class, "upstreamAnswer", "fuzz/bind9/dns_message_parse.in");
    }

    private static byte[] withId(byte[] wire, int id) {
        wire[0] = (byte) (id >> 8);
        wire[1] = (byte) id;
        return wire;
    }

    @FuzzTest(maxDuration = "60s")
    void queryParser(byte[] packet) {
        ParsedQuery q = new ParsedQuery();
        ByteBuf b = Unpooled.wrappedBuffer(packet);
        try {
            ParseResult result = QueryParser.parse(b, q);
            assertThat(result).isNotNull();
            if (result == ParseResult.OK) {
                assertThat(q.nameLength()).isBetween(1, 255);
            }
        } finally {
            b.release();
        }
    }

    @FuzzTest(maxDuration = "60s")
    void upstreamAnswer(byte[] answer) {
        ParsedQuery q = new ParsedQuery();
        ByteBuf qb = Unpooled.wrappedBuffer(QUERY.clone());
        ByteBuf b = Unpooled.wrappedBuffer(answer);
        ByteBuf out = Unpooled.buffer();
        try {
            assertThat(QueryParser.parse(qb, q)).isEqualTo(ParseResult.OK);
            UpstreamResponses.Decoded d = UpstreamResponses.decode(b, 0x1234, q, CACHE.seed(), CACHE.settings(), 0);
            assertThat(d.status()).isNotNull();
            if (d.entry() != null) {
                // Whatever was accepted can be written back as an answer, within the size asked.
                CACHE.writeAnswer(out, q, d.entry(), 0, 1232, 1232);
                assertThat(out.readableBytes()).isLessThanOrEqualTo(1232);
            }
        } finally {
            qb.release();
            b.release();
            out.release();
        }
    }
}
