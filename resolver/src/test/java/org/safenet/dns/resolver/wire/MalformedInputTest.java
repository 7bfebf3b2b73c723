package org.safenet.dns.resolver.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.cache.UpstreamResponses;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.SharedData;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * Seeded mutation of real and generated packets: whatever the bytes, the query parser returns a
 * status and the upstream-answer decoder returns a status, and an answer written from anything
 * the decoder accepted stays within its buffer. Deterministic (fixed seed), so a failure
 * reproduces; the seed and iteration are in the message.
 */
class MalformedInputTest {
    private static final long SEED = 0x5AFE_D45L;
    private static final int MUTATIONS_PER_SEED = 200;

    private static byte[] mutate(byte[] in, Random r) {
        byte[] b = in.clone();
        switch (r.nextInt(4)) {
            case 0 -> {
                for (int k = 0, n = 1 + r.nextInt(4); k < n && b.length > 0; k++) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            }
            case 1 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
            case 2 -> {
                if (b.length > 12) {
                    // Counts are where parsers most often trust the packet too much.
                    b[4 + r.nextInt(8)] = (byte) r.nextInt(256);
                }
            }
            default -> {
                if (b.length > 13) {
                    int at = 12 + r.nextInt(b.length - 12);
                    b[at] = (byte) (0xC0 | r.nextInt(64)); // a compression pointer anywhere
                }
            }
        }
        return b;
    }

    @Test
    void queryParser_mutatedBindCorpus_alwaysReturnsAStatus() throws IOException {
        List<Path> seeds;
        try (Stream<Path> s = Files.list(SharedData.path("fuzz/bind9/dns_message_parse.in"))) {
            seeds = s.sorted().toList();
        }
        Random r = new Random(SEED);
        ParsedQuery q = new ParsedQuery();
        int runs = 0;
        for (Path seed : seeds) {
            byte[] original = Files.readAllBytes(seed);
            for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
                byte[] packet = mutate(original, r);
                ByteBuf b = Unpooled.wrappedBuffer(packet);
                try {
                    ParseResult result = QueryParser.parse(b, q);
                    assertThat(result)
                            .as("%s mutation %d", seed.getFileName(), i)
                            .isNotNull();
                    if (result == ParseResult.OK) {
                        assertThat(q.nameLength()).isBetween(1, 255);
                    }
                } finally {
                    b.release();
                }
                runs++;
            }
        }
        assertThat(runs).isGreaterThan(50_000);
    }

    @Test
    void upstreamDecoder_mutatedAnswers_neverThrowAndStayInBounds() throws IOException {
        List<Message> responses = generatedResponses();
        PacketCache cache = new PacketCache(CacheSettings.defaults());
        Random r = new Random(SEED);
        for (Message resp : responses) {
            Message query = DnsProbe.query(
                    resp.getQuestion().getName().toString(), resp.getQuestion().getType(), 1232);
            ParsedQuery q = new ParsedQuery();
            ByteBuf qb = Unpooled.wrappedBuffer(query.toWire());
            QueryParser.parse(qb, q);
            qb.release();
            byte[] wire = resp.toWire();
            int id = resp.getHeader().getID();
            for (int i = 0; i < 2000; i++) {
                byte[] mutated = mutate(wire, r);
                ByteBuf b = Unpooled.wrappedBuffer(mutated);
                ByteBuf out = Unpooled.buffer();
                try {
                    int iteration = i;
                    assertThatCode(() -> {
                                UpstreamResponses.Decoded d =
                                        UpstreamResponses.decode(b, id, q, cache.seed(), cache.settings(), 0);
                                if (d.entry() != null) {
                                    cache.writeAnswer(out, q, d.entry(), 0, 1232, 65535);
                                }
                            })
                            .as("%s mutation %d", resp.getQuestion(), iteration)
                            .doesNotThrowAnyException();
                } finally {
                    b.release();
                    out.release();
                }
            }
        }
    }

    private static List<Message> generatedResponses() throws IOException {
        Name www = Name.fromString("www.example.com.");
        Name target = Name.fromString("edge.cdn.example.net.");
        Name zone = Name.fromString("example.com.");
        List<Message> out = new ArrayList<>();

        Message cname = response(www, Type.A);
        cname.addRecord(new CNAMERecord(www, DClass.IN, 300, target), Section.ANSWER);
        cname.addRecord(new ARecord(target, DClass.IN, 60, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
        out.add(cname);

        Message mx = response(zone, Type.MX);
        mx.addRecord(new MXRecord(zone, DClass.IN, 300, 10, Name.fromString("mail.example.com.")), Section.ANSWER);
        mx.addRecord(
                new ARecord(Name.fromString("mail.example.com."), DClass.IN, 300, InetAddress.getByName("192.0.2.25")),
                Section.ADDITIONAL);
        out.add(mx);

        Message nx = response(Name.fromString("nope.example.com."), Type.AAAA);
        nx.getHeader().setRcode(3);
        nx.addRecord(
                new SOARecord(
                        zone,
                        DClass.IN,
                        3600,
                        Name.fromString("ns.example.com."),
                        Name.fromString("h.example.com."),
                        1,
                        2,
                        3,
                        4,
                        60),
                Section.AUTHORITY);
        out.add(nx);

        Message txt = response(www, Type.TXT);
        txt.addRecord(new TXTRecord(www, DClass.IN, 300, "v=spf1 -all"), Section.ANSWER);
        out.add(txt);
        return out;
    }

    private static Message response(Name name, int type) {
        Message m = DnsProbe.query(name.toString(), type, 0);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return m;
    }
}
