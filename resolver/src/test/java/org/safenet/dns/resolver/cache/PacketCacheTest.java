package org.safenet.dns.resolver.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.wire.ParseResult;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.FakeClock;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

class PacketCacheTest {
    private final FakeClock clock = new FakeClock();
    private final PacketCache cache = new PacketCache(CacheSettings.defaults());

    private static ParsedQuery parsed(Message query) {
        ParsedQuery q = new ParsedQuery();
        ByteBuf b = Unpooled.wrappedBuffer(query.toWire());
        try {
            assertThat(QueryParser.parse(b, q)).isEqualTo(ParseResult.OK);
        } finally {
            b.release();
        }
        return q;
    }

    private static Message response(Message query, int rcode, List<Record> answers, List<Record> authority) {
        Message r = new Message(query.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.RD);
        r.getHeader().setFlag(Flags.RA);
        r.getHeader().setRcode(rcode);
        r.addRecord(query.getQuestion(), Section.QUESTION);
        answers.forEach(a -> r.addRecord(a, Section.ANSWER));
        authority.forEach(a -> r.addRecord(a, Section.AUTHORITY));
        r.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return r;
    }

    private UpstreamResponses.Decoded decode(Message response, ParsedQuery q, CacheSettings settings) {
        ByteBuf b = Unpooled.wrappedBuffer(response.toWire());
        try {
            return UpstreamResponses.decode(
                    b, response.getHeader().getID(), q, cache.seed(), settings, clock.getAsLong());
        } finally {
            b.release();
        }
    }

    private Message serve(ParsedQuery q, CachedResponse e, int maxSize) throws IOException {
        ByteBuf out = Unpooled.buffer();
        try {
            cache.writeAnswer(out, q, e, clock.getAsLong(), 1232, maxSize);
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return new Message(bytes);
        } finally {
            out.release();
        }
    }

    private static PacketCache cacheOf(int maxEntries) {
        return new PacketCache(new CacheSettings(
                maxEntries,
                Duration.ZERO,
                Duration.ofDays(1),
                Duration.ofHours(1),
                true,
                Duration.ofDays(1),
                Duration.ofSeconds(30),
                Duration.ofMillis(1800)));
    }

    /** Stores an A answer for {@code name} in {@code c}, as if it came from upstream; returns its query. */
    private ParsedQuery storeA(PacketCache c, String name) throws IOException {
        Message uq = DnsProbe.query(name, Type.A, 1232);
        ParsedQuery q = parsed(uq);
        ByteBuf b = Unpooled.wrappedBuffer(
                response(uq, 0, List.of(a(name, 300, "192.0.2.1")), List.of()).toWire());
        try {
            c.store(UpstreamResponses.decode(b, uq.getHeader().getID(), q, c.seed(), c.settings(), clock.getAsLong())
                    .entry());
        } finally {
            b.release();
        }
        return q;
    }

    private static ARecord a(String name, long ttl, String ip) throws IOException {
        return new ARecord(Name.fromString(name), DClass.IN, ttl, java.net.InetAddress.getByName(ip));
    }

    @Test
    void lookup_afterStore_servesWithClientIdCaseAndAgedTtl() throws IOException {
        Message upstreamQuery = DnsProbe.query("www.example.com.", Type.A, 1232);
        ParsedQuery uq = parsed(upstreamQuery);
        Message resp =
                response(upstreamQuery, Rcode.NOERROR, List.of(a("www.example.com.", 300, "192.0.2.1")), List.of());
        UpstreamResponses.Decoded d = decode(resp, uq, CacheSettings.defaults());
        assertThat(d.status()).isEqualTo(UpstreamResponses.Status.OK);
        assertThat(d.cacheable()).isTrue();
        cache.store(d.entry());

        clock.advance(Duration.ofSeconds(100));
        Message clientQuery = DnsProbe.query("WWW.Example.com.", Type.A, 0);
        clientQuery.getHeader().setID(4242);
        ParsedQuery cq = parsed(clientQuery);
        CachedResponse hit = cache.lookup(cq, clock.getAsLong(), false);
        assertThat(hit).isNotNull();

        Message answer = serve(cq, hit, 512);
        assertThat(answer.getHeader().getID()).isEqualTo(4242);
        assertThat(answer.getQuestion().getName().toString()).isEqualTo("WWW.Example.com.");
        assertThat(answer.getSection(Section.ANSWER)).hasSize(1);
        assertThat(answer.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(200);
        assertThat(answer.getOPT()).as("no OPT to a client that sent none").isNull();
        assertThat(answer.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(answer.getHeader().getFlag(Flags.RA)).isTrue();
    }

    @Test
    void lookup_afterExpiry_missesButServesStaleWhenAllowed() throws IOException {
        Message uq = DnsProbe.query("a.example.", Type.A, 1232);
        ParsedQuery q = parsed(uq);
        cache.store(decode(
                        response(uq, Rcode.NOERROR, List.of(a("a.example.", 60, "192.0.2.7")), List.of()),
                        q,
                        CacheSettings.defaults())
                .entry());
        clock.advance(Duration.ofSeconds(61));
        assertThat(cache.lookup(q, clock.getAsLong(), false)).isNull();
        CachedResponse stale = cache.lookup(q, clock.getAsLong(), true);
        assertThat(stale).isNotNull();
        assertThat(serve(q, stale, 1232).getSection(Section.ANSWER).get(0).getTTL())
                .isEqualTo(30);
        clock.advance(Duration.ofDays(2));
        assertThat(cache.lookup(q, clock.getAsLong(), true))
                .as("past the stale window")
                .isNull();
    }

    @Test
    void decode_nxdomainWithSoa_cachesForSoaMinimum() throws IOException {
        Message uq = DnsProbe.query("nope.example.", Type.A, 1232);
        ParsedQuery q = parsed(uq);
        SOARecord soa = new SOARecord(
                Name.fromString("example."),
                DClass.IN,
                3600,
                Name.fromString("ns.example."),
                Name.fromString("host.example."),
                1,
                7200,
                900,
                86400,
                120);
        UpstreamResponses.Decoded d =
                decode(response(uq, Rcode.NXDOMAIN, List.of(), List.of(soa)), q, CacheSettings.defaults());
        assertThat(d.cacheable()).isTrue();
        assertThat(d.entry().expiresAtMillis() - clock.getAsLong()).isEqualTo(120_000);
        cache.store(d.entry());
        clock.advance(Duration.ofSeconds(20));
        Message served = serve(q, cache.lookup(q, clock.getAsLong(), false), 1232);
        assertThat(served.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(served.getSection(Section.AUTHORITY).get(0).getTTL())
                .as("RFC 2308 §5: SOA TTL is the negative TTL")
                .isEqualTo(100);
    }

    @Test
    void decode_nodataWithoutSoa_isNotCacheable() {
        Message uq = DnsProbe.query("x.example.", Type.AAAA, 1232);
        UpstreamResponses.Decoded d =
                decode(response(uq, Rcode.NOERROR, List.of(), List.of()), parsed(uq), CacheSettings.defaults());
        assertThat(d.status()).isEqualTo(UpstreamResponses.Status.OK);
        assertThat(d.cacheable()).isFalse();
    }

    @Test
    void decode_servfail_isNotCacheable() {
        Message uq = DnsProbe.query("x.example.", Type.A, 1232);
        UpstreamResponses.Decoded d =
                decode(response(uq, Rcode.SERVFAIL, List.of(), List.of()), parsed(uq), CacheSettings.defaults());
        assertThat(d.cacheable()).isFalse();
        assertThat(d.entry().rcode()).isEqualTo(Rcode.SERVFAIL);
    }

    @Test
    void decode_ttlsOutsideBounds_areClamped() throws IOException {
        CacheSettings s = new CacheSettings(
                100,
                Duration.ofSeconds(60),
                Duration.ofSeconds(600),
                Duration.ofHours(1),
                true,
                Duration.ofDays(1),
                Duration.ofSeconds(30),
                Duration.ofMillis(1800));
        Message uq = DnsProbe.query("c.example.", Type.A, 1232);
        ParsedQuery q = parsed(uq);
        UpstreamResponses.Decoded low =
                decode(response(uq, 0, List.of(a("c.example.", 5, "192.0.2.1")), List.of()), q, s);
        assertThat(low.entry().expiresAtMillis() - clock.getAsLong()).isEqualTo(60_000);
        UpstreamResponses.Decoded high =
                decode(response(uq, 0, List.of(a("c.example.", 86400, "192.0.2.1")), List.of()), q, s);
        assertThat(serve(q, high.entry(), 1232)
                        .getSection(Section.ANSWER)
                        .get(0)
                        .getTTL())
                .isEqualTo(600);
    }

    @Test
    void decode_wrongIdOrQuestion_isMismatch() {
        Message uq = DnsProbe.query("m.example.", Type.A, 1232);
        ParsedQuery q = parsed(uq);
        Message other = DnsProbe.query("other.example.", Type.A, 1232);
        other.getHeader().setID(uq.getHeader().getID());
        Message resp = response(other, 0, List.of(), List.of());
        assertThat(decode(resp, q, CacheSettings.defaults()).status()).isEqualTo(UpstreamResponses.Status.MISMATCH);
        ByteBuf b = Unpooled.wrappedBuffer(response(uq, 0, List.of(), List.of()).toWire());
        try {
            assertThat(UpstreamResponses.decode(b, uq.getHeader().getID() ^ 1, q, 0, CacheSettings.defaults(), 0)
                            .status())
                    .isEqualTo(UpstreamResponses.Status.MISMATCH);
        } finally {
            b.release();
        }
    }

    @Test
    void decode_recordPastEnd_isMalformed() {
        Message uq = DnsProbe.query("m.example.", Type.A, 0);
        byte[] wire = response(uq, 0, List.of(), List.of()).toWire();
        wire[7] = 1; // ANCOUNT 1, but no answer follows the question (only the OPT, read as an answer)
        wire[11] = 0;
        byte[] cut = java.util.Arrays.copyOf(wire, wire.length - 3);
        ByteBuf b = Unpooled.wrappedBuffer(cut);
        try {
            assertThat(UpstreamResponses.decode(b, uq.getHeader().getID(), parsed(uq), 0, CacheSettings.defaults(), 0)
                            .status())
                    .isEqualTo(UpstreamResponses.Status.MALFORMED);
        } finally {
            b.release();
        }
    }

    @Test
    void writeAnswer_largerThanClientSize_setsTcWithNoRecords() throws IOException {
        Message uq = DnsProbe.query("big.example.", Type.TXT, 1232);
        ParsedQuery q = parsed(uq);
        List<Record> txts = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            txts.add(new TXTRecord(Name.fromString("big.example."), DClass.IN, 300, "x".repeat(200) + i));
        }
        CachedResponse e = decode(response(uq, 0, txts, List.of()), q, CacheSettings.defaults())
                .entry();
        Message small = serve(parsed(DnsProbe.query("big.example.", Type.TXT, 0)), e, 512);
        assertThat(small.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(small.getSection(Section.ANSWER)).isEmpty();
        Message full = serve(q, e, 65535);
        assertThat(full.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(full.getSection(Section.ANSWER)).hasSize(10);
    }

    @Test
    void lookup_differentTypeOrDoBit_isAMiss() throws IOException {
        Message uq = DnsProbe.query("k.example.", Type.A, 1232);
        ParsedQuery q = parsed(uq);
        cache.store(decode(
                        response(uq, 0, List.of(a("k.example.", 300, "192.0.2.1")), List.of()),
                        q,
                        CacheSettings.defaults())
                .entry());
        assertThat(cache.lookup(parsed(DnsProbe.query("k.example.", Type.AAAA, 1232)), clock.getAsLong(), false))
                .isNull();
        Message withDo = DnsProbe.query("k.example.", Type.A, 0);
        withDo.addRecord(new OPTRecord(1232, 0, 0, Flags.DO), Section.ADDITIONAL);
        assertThat(cache.lookup(parsed(withDo), clock.getAsLong(), false)).isNull();
        assertThat(cache.lookup(q, clock.getAsLong(), false)).isNotNull();
    }

    @Test
    void store_upToThreeQuartersFull_losesAlmostNothing() throws IOException {
        PacketCache c = cacheOf(16384);
        int n = c.capacity() * 3 / 4;
        List<ParsedQuery> stored = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            stored.add(storeA(c, "h" + i + ".example."));
        }
        long found = stored.stream()
                .filter(q -> c.lookup(q, clock.getAsLong(), false) != null)
                .count();
        // Two-choice buckets: at 75% load, fewer than 0.5% of entries are pushed out early
        // (one bucket per key would lose several percent here).
        assertThat(found).isGreaterThan(n - n / 200);
    }

    @Test
    void store_beyondCapacity_staysBoundedAndKeepsRecentEntries() throws IOException {
        PacketCache small = cacheOf(64);
        ParsedQuery last = null;
        for (int i = 0; i < 1000; i++) {
            last = storeA(small, "n" + i + ".example.");
            clock.advance(Duration.ofMillis(1));
        }
        assertThat(small.capacity()).isEqualTo(64);
        assertThat(small.size()).isLessThanOrEqualTo(64).isGreaterThan(32);
        assertThat(small.lookup(last, clock.getAsLong(), false))
                .as("the newest entry is kept")
                .isNotNull();
    }
}
