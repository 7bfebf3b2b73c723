package org.safenet.dns.resolver.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.SharedData;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class QueryParserTest {
    private final ParsedQuery q = new ParsedQuery();

    private ParseResult parse(byte[] wire) {
        ByteBuf b = Unpooled.wrappedBuffer(wire);
        try {
            return QueryParser.parse(b, q);
        } finally {
            b.release();
        }
    }

    @Test
    void parse_mixedCaseQuery_lowercasesNameAndKeepsClientCase() {
        Message m = DnsProbe.query("WwW.ExAmple.COM.", Type.AAAA, 0);
        m.getHeader().setID(0xBEEF);
        assertThat(parse(m.toWire())).isEqualTo(ParseResult.OK);
        assertThat(q.id()).isEqualTo(0xBEEF);
        assertThat(q.nameText()).isEqualTo("www.example.com.");
        assertThat(DnsNames.toText(q.nameAsSent(), 0, q.nameLength())).isEqualTo("WwW.ExAmple.COM.");
        assertThat(q.labelCount()).isEqualTo(3);
        assertThat(new int[] {q.labelOffset(0), q.labelOffset(1), q.labelOffset(2)})
                .containsExactly(0, 4, 12);
        assertThat(q.type()).isEqualTo(Type.AAAA);
        assertThat(q.qclass()).isEqualTo(1);
        assertThat(q.hasEdns()).isFalse();
        assertThat(q.udpSize()).isEqualTo(512);
        assertThat(q.recursionDesired()).isTrue();
    }

    @Test
    void parse_ednsWithDo_readsSizeAndDoBit() {
        Message m = DnsProbe.query("example.com.", Type.A, 0);
        m.addRecord(new OPTRecord(4096, 0, 0, Flags.DO), Section.ADDITIONAL);
        assertThat(parse(m.toWire())).isEqualTo(ParseResult.OK);
        assertThat(q.hasEdns()).isTrue();
        assertThat(q.udpSize()).isEqualTo(4096);
        assertThat(q.dnssecOk()).isTrue();
    }

    @Test
    void parse_clientSubnet_readsFamilyPrefixAndAddress_zeroingBitsPastThePrefix() throws Exception {
        Message m = DnsProbe.query("example.com.", Type.A, 0);
        m.addRecord(
                new OPTRecord(
                        1232,
                        0,
                        0,
                        0,
                        List.of(new ClientSubnetOption(20, java.net.InetAddress.getByName("10.1.240.0")))),
                Section.ADDITIONAL);
        assertThat(parse(m.toWire())).isEqualTo(ParseResult.OK);
        assertThat(q.ecsFamily()).isEqualTo(1);
        assertThat(q.ecsSourcePrefix()).isEqualTo(20);
        assertThat(java.util.Arrays.copyOf(q.ecsAddress(), 4)).containsExactly(10, 1, (byte) 240, 0);

        Message six = DnsProbe.query("example.com.", Type.A, 0);
        six.addRecord(
                new OPTRecord(
                        1232, 0, 0, 0, List.of(new ClientSubnetOption(48, java.net.InetAddress.getByName("fd00:1::")))),
                Section.ADDITIONAL);
        assertThat(parse(six.toWire())).isEqualTo(ParseResult.OK);
        assertThat(q.ecsFamily()).isEqualTo(2);
        assertThat(q.ecsAddress()[0]).isEqualTo((byte) 0xfd);

        assertThat(parse(DnsProbe.query("example.com.", Type.A, 1232).toWire())).isEqualTo(ParseResult.OK);
        assertThat(q.ecsFamily()).as("reset between queries").isZero();
    }

    @Test
    void parse_badEdnsOptions_areFormerr() {
        byte[] question = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
        // OPT: root owner, type 41, size 1232, ttl 0, then RDLENGTH and the options.
        java.util.function.Function<byte[], byte[]> withOptions = options -> concat(
                header(1, 0, 0, 1),
                question,
                new byte[] {0, 0, 41, 0x04, (byte) 0xD0, 0, 0, 0, 0, 0, (byte) options.length},
                options);
        // An unknown option that fits: fine.
        assertThat(parse(withOptions.apply(new byte[] {0, 99, 0, 2, 1, 2}))).isEqualTo(ParseResult.OK);
        // An option whose length runs past the end of the OPT record (as Knot answers it).
        assertThat(parse(withOptions.apply(new byte[] {0, 99, 0, 9, 1, 2}))).isEqualTo(ParseResult.FORMERR);
        // Half an option header.
        assertThat(parse(withOptions.apply(new byte[] {0, 99, 0}))).isEqualTo(ParseResult.FORMERR);
        // ECS: family 3 does not exist; a /24 with 4 address octets; a /33 for IPv4 (RFC 7871 §7.1.1).
        assertThat(parse(withOptions.apply(new byte[] {0, 8, 0, 7, 0, 3, 24, 0, 10, 1, 2})))
                .isEqualTo(ParseResult.FORMERR);
        assertThat(parse(withOptions.apply(new byte[] {0, 8, 0, 8, 0, 1, 24, 0, 10, 1, 2, 3})))
                .isEqualTo(ParseResult.FORMERR);
        assertThat(parse(withOptions.apply(new byte[] {0, 8, 0, 9, 0, 1, 33, 0, 10, 1, 2, 3, 4})))
                .isEqualTo(ParseResult.FORMERR);
        assertThat(parse(withOptions.apply(new byte[] {0, 8, 0, 7, 0, 1, 24, 0, 10, 1, 2})))
                .isEqualTo(ParseResult.OK);
    }

    @Test
    void parse_metaTypesInTheQuestion_areFormerr_asUnbound() {
        for (int type : new int[] {41, 249, 250, 253, 254, 128, 200, 248}) {
            assertThat(parse(DnsProbe.query("example.com.", type, 1232).toWire()))
                    .as("type %d", type)
                    .isEqualTo(ParseResult.FORMERR);
            assertThat(q.questionRead()).as("the FORMERR can echo the question").isTrue();
        }
        for (int type : new int[] {1, 28, 65, 127, 251, 252, 255, 256}) {
            assertThat(parse(DnsProbe.query("example.com.", type, 1232).toWire()))
                    .as("type %d", type)
                    .isEqualTo(ParseResult.OK);
        }
    }

    @Test
    void parse_bytesAfterTheLastRecord_areFormerr() {
        byte[] wire = DnsProbe.query("example.com.", Type.A, 1232).toWire();
        assertThat(parse(wire)).isEqualTo(ParseResult.OK);
        assertThat(parse(concat(wire, new byte[] {0}))).isEqualTo(ParseResult.FORMERR);
        assertThat(parse(concat(wire, new byte[] {1, 2, 3, 4}))).isEqualTo(ParseResult.FORMERR);
    }

    @Test
    void parse_tsig_isNotedWhenLast_andFormerrWhenNot() throws Exception {
        org.xbill.DNS.TSIG key =
                new org.xbill.DNS.TSIG(org.xbill.DNS.TSIG.HMAC_SHA256, "unknown-key.", "c2VjcmV0c2VjcmV0c2VjcmV0");
        Message m = DnsProbe.query("example.com.", Type.A, 1232);
        m.setTSIG(key);
        byte[] signed = m.toWire(65535); // toWire(maxLength) is the one that signs
        assertThat(parse(signed)).isEqualTo(ParseResult.OK);
        assertThat(q.hasTsig()).isTrue();
        // Move the OPT after the TSIG: same records, TSIG no longer last.
        int optLength = 11;
        int tsigStart = DnsProbe.query("example.com.", Type.A, 1232).toWire().length;
        byte[] reordered = concat(
                java.util.Arrays.copyOfRange(signed, 0, tsigStart - optLength),
                java.util.Arrays.copyOfRange(signed, tsigStart, signed.length),
                java.util.Arrays.copyOfRange(signed, tsigStart - optLength, tsigStart));
        assertThat(parse(reordered)).isEqualTo(ParseResult.FORMERR);
        assertThat(parse(DnsProbe.query("example.com.", Type.A, 1232).toWire())).isEqualTo(ParseResult.OK);
        assertThat(q.hasTsig()).isFalse();
    }

    @Test
    void parse_ednsSizeBelow512_isRaisedTo512() {
        Message m = DnsProbe.query("example.com.", Type.A, 100);
        assertThat(parse(m.toWire())).isEqualTo(ParseResult.OK);
        assertThat(q.udpSize()).isEqualTo(512);
    }

    @Test
    void parse_rootName_isOneOctet() {
        Message m = DnsProbe.query(".", Type.NS, 0);
        assertThat(parse(m.toWire())).isEqualTo(ParseResult.OK);
        assertThat(q.nameLength()).isEqualTo(1);
        assertThat(q.labelCount()).isZero();
        assertThat(q.nameText()).isEqualTo(".");
    }

    @Test
    void parse_ednsVersion1_isBadvers() {
        Message m = DnsProbe.query("example.com.", Type.A, 0);
        m.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        assertThat(parse(m.toWire())).isEqualTo(ParseResult.BADVERS);
        assertThat(q.questionRead()).isTrue();
    }

    static Stream<Arguments> malformed() {
        byte[] okQuestion = concat(new byte[] {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}, new byte[] {0, 1, 0, 1});
        byte[] longName = new byte[260];
        for (int i = 0; i < 256; i += 4) {
            longName[i] = 3;
            longName[i + 1] = 'a';
            longName[i + 2] = 'b';
            longName[i + 3] = 'c';
        }
        longName[256] = 0;
        byte[] label64 = new byte[66];
        label64[0] = 64;
        java.util.Arrays.fill(label64, 1, 65, (byte) 'x');
        byte[] label63 = new byte[65];
        label63[0] = 63;
        java.util.Arrays.fill(label63, 1, 64, (byte) 'x');
        byte[] secondOpt = {0, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 0};
        return Stream.of(
                new Arguments("empty packet", new byte[0], ParseResult.DROP),
                new Arguments("eleven octets", new byte[11], ParseResult.DROP),
                new Arguments(
                        "a response (QR set)", withFlags(header(1, 0, 0, 0), 0x8100, okQuestion), ParseResult.DROP),
                new Arguments(
                        "opcode NOTIFY",
                        withFlags(header(1, 0, 0, 0), Opcode.NOTIFY << 11, okQuestion),
                        ParseResult.NOTIMP),
                new Arguments(
                        "opcode 7 (unassigned)",
                        withFlags(header(1, 0, 0, 0), 7 << 11, okQuestion),
                        ParseResult.NOTIMP),
                new Arguments("no question", header(0, 0, 0, 0), ParseResult.FORMERR),
                new Arguments("two questions", concat(header(2, 0, 0, 0), okQuestion, okQuestion), ParseResult.FORMERR),
                new Arguments("answer records in a query", concat(header(1, 1, 0, 0), okQuestion), ParseResult.FORMERR),
                new Arguments(
                        "TC set in a query", withFlags(header(1, 0, 0, 0), 0x0300, okQuestion), ParseResult.FORMERR),
                new Arguments(
                        "question cut short",
                        concat(header(1, 0, 0, 0), new byte[] {7, 'e', 'x'}),
                        ParseResult.FORMERR),
                new Arguments(
                        "no qtype/qclass", concat(header(1, 0, 0, 0), new byte[] {1, 'a', 0, 0}), ParseResult.FORMERR),
                new Arguments(
                        "name over 255 octets",
                        concat(header(1, 0, 0, 0), longName, new byte[] {0, 1, 0, 1}),
                        ParseResult.FORMERR),
                new Arguments(
                        "label of 64 octets",
                        concat(header(1, 0, 0, 0), label64, new byte[] {0, 1, 0, 1}),
                        ParseResult.FORMERR),
                new Arguments(
                        "pointer to itself (loop)",
                        concat(header(1, 0, 0, 0), new byte[] {(byte) 0xC0, 12, 0, 1, 0, 1}),
                        ParseResult.FORMERR),
                new Arguments(
                        "labels then pointer back onto them (loop)",
                        concat(header(1, 0, 0, 0), new byte[] {1, 'a', (byte) 0xC0, 12, 0, 1, 0, 1}),
                        ParseResult.FORMERR),
                new Arguments(
                        "pointer forwards",
                        concat(header(1, 0, 0, 0), new byte[] {(byte) 0xC0, 20, 0, 1, 0, 1, 0, 0, 1, 'a', 0}),
                        ParseResult.FORMERR),
                new Arguments(
                        "pointer into the header",
                        concat(header(1, 0, 0, 0), new byte[] {(byte) 0xC0, 2, 0, 1, 0, 1}),
                        ParseResult.FORMERR),
                new Arguments(
                        "extended label type 0x40",
                        concat(header(1, 0, 0, 0), new byte[] {0x41, 'a', 0, 0, 1, 0, 1}),
                        ParseResult.FORMERR),
                new Arguments(
                        "ARCOUNT larger than the records", concat(header(1, 0, 0, 1), okQuestion), ParseResult.FORMERR),
                new Arguments(
                        "two OPT records",
                        concat(header(1, 0, 0, 2), okQuestion, secondOpt, secondOpt),
                        ParseResult.FORMERR),
                new Arguments(
                        "OPT rdata past the end",
                        concat(header(1, 0, 0, 1), okQuestion, new byte[] {0, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 9}),
                        ParseResult.FORMERR),
                new Arguments(
                        "63-octet label is fine",
                        concat(header(1, 0, 0, 0), label63, new byte[] {0, 1, 0, 1}),
                        ParseResult.OK));
    }

    record Arguments(String name, byte[] packet, ParseResult expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void parse_malformedPacket_returnsStatusWithoutThrowing(Arguments c) {
        assertThat(parse(c.packet())).isEqualTo(c.expected());
    }

    /** BIND's own fuzz corpus (MPL-2.0, ../shared/data/fuzz): every seed parses to a status, none throws. */
    @Test
    void parse_bindFuzzCorpus_neverThrows() throws IOException {
        Path dir = SharedData.path("fuzz/bind9/dns_message_parse.in");
        List<Path> seeds;
        try (Stream<Path> s = Files.list(dir)) {
            seeds = s.toList();
        }
        assertThat(seeds).hasSizeGreaterThan(100);
        int ok = 0;
        for (Path seed : seeds) {
            if (parse(Files.readAllBytes(seed)) == ParseResult.OK) {
                ok++;
            }
        }
        // The corpus mixes queries and responses; some real queries must come through as OK.
        assertThat(ok).isPositive();
    }

    static byte[] header(int qd, int an, int ns, int ar) {
        return new byte[] {0x12, 0x34, 0x01, 0x00, 0, (byte) qd, 0, (byte) an, 0, (byte) ns, 0, (byte) ar};
    }

    static byte[] withFlags(byte[] header, int flags, byte[] rest) {
        header[2] = (byte) (flags >>> 8);
        header[3] = (byte) flags;
        return concat(header, rest);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
