package org.safenet.dns.resolver.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;
import org.safenet.dns.testkit.DnsProbe;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** Each policy action's wire answer, decoded by dnsjava; over UDP framing and TCP framing. */
class PolicyAnswersTest {
    private final PolicyAnswers answers = new PolicyAnswers(
            new SinkholeSettings(
                    List.of(InetAddress.getByName("192.0.2.80"), InetAddress.getByName("2001:db8::80")),
                    Duration.ofSeconds(60),
                    Duration.ofMinutes(5)),
            1232);

    PolicyAnswersTest() throws IOException {}

    private static Verdict verdict(PolicyAction action) {
        return new Verdict(
                action,
                "scam",
                "national",
                Verdict.EDE_BLOCKED,
                action == PolicyAction.CNAME ? "blocked.safenet.test" : null);
    }

    private Message answer(Message query, Verdict v, int prefix) throws IOException {
        ParsedQuery q = new ParsedQuery();
        ByteBuf in = Unpooled.wrappedBuffer(query.toWire());
        ByteBuf out = Unpooled.buffer();
        try {
            QueryParser.parse(in, q);
            out.writeZero(prefix); // a TCP length prefix must not disturb compression pointers
            assertThat(answers.write(out, q, v)).isTrue();
            byte[] wire = new byte[out.readableBytes() - prefix];
            out.getBytes(prefix, wire);
            return new Message(wire);
        } finally {
            in.release();
            out.release();
        }
    }

    private static ExtendedErrorCodeOption ede(Message m) {
        List<EDNSOption> options = m.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR);
        assertThat(options).hasSize(1);
        return (ExtendedErrorCodeOption) options.getFirst();
    }

    @ParameterizedTest(name = "prefix {0}")
    @ValueSource(ints = {0, 2})
    void sinkhole_aAndAaaa_getBlockPageAddressesAndEde(int prefix) throws IOException {
        Message a = answer(DnsProbe.query("Vay-Tien.Example.", Type.A, 1232), verdict(PolicyAction.SINKHOLE), prefix);
        assertThat(a.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.getSection(Section.ANSWER)).singleElement().satisfies(r -> {
            assertThat(r.getName().toString()).isEqualTo("Vay-Tien.Example.");
            assertThat(r.rdataToString()).isEqualTo("192.0.2.80");
            assertThat(r.getTTL()).isEqualTo(60);
        });
        assertThat(ede(a).getErrorCode()).isEqualTo(ExtendedErrorCodeOption.BLOCKED);
        assertThat(ede(a).getText()).isEqualTo("SafeNet DNS: scam (national)");
        Message aaaa =
                answer(DnsProbe.query("vay-tien.example.", Type.AAAA, 1232), verdict(PolicyAction.SINKHOLE), prefix);
        assertThat(DnsProbe.firstAnswer(aaaa)).isEqualTo("2001:db8:0:0:0:0:0:80");
    }

    @Test
    void sinkhole_otherType_isNodataWithSoa() throws IOException {
        Message m = answer(DnsProbe.query("bad.example.", Type.MX, 0), verdict(PolicyAction.SINKHOLE), 0);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
        assertThat(m.getOPT()).as("no EDNS from the client, none back").isNull();
    }

    @ParameterizedTest(name = "prefix {0}")
    @ValueSource(ints = {0, 2})
    void nxdomain_carriesSoaWithNegativeTtl(int prefix) throws IOException {
        Message m = answer(DnsProbe.query("bad.example.", Type.A, 1232), verdict(PolicyAction.NXDOMAIN), prefix);
        assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        SOARecord soa = (SOARecord) m.getSection(Section.AUTHORITY).getFirst();
        assertThat(soa.getName().toString()).isEqualTo("bad.example.");
        assertThat(soa.getTTL()).isEqualTo(300);
        assertThat(soa.getMinimum()).isEqualTo(300);
        assertThat(soa.getHost().toString()).isEqualTo("safenet.invalid.");
        assertThat(ede(m).getErrorCode()).isEqualTo(ExtendedErrorCodeOption.BLOCKED);
    }

    @Test
    void nodata_isNoerrorWithSoaOnly() throws IOException {
        Message m = answer(DnsProbe.query("bad.example.", Type.A, 1232), verdict(PolicyAction.NODATA), 0);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).hasSize(1);
    }

    @Test
    void refused_isRcodeFiveWithEde() throws IOException {
        Message m = answer(DnsProbe.query("bad.example.", Type.A, 1232), verdict(PolicyAction.REFUSED), 0);
        assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(ede(m).getErrorCode()).isEqualTo(ExtendedErrorCodeOption.BLOCKED);
    }

    @Test
    void cname_pointsAtTheTarget() throws IOException {
        Message m = answer(DnsProbe.query("bad.example.", Type.A, 1232), verdict(PolicyAction.CNAME), 2);
        assertThat(m.getSection(Section.ANSWER)).singleElement().satisfies(r -> {
            assertThat(r.getType()).isEqualTo(Type.CNAME);
            assertThat(r.rdataToString()).isEqualTo("blocked.safenet.test.");
        });
    }

    @Test
    void tcpOnly_overUdp_isAnEmptyTruncatedAnswer() throws IOException {
        Message m = answer(DnsProbe.query("spoofable.example.", Type.A, 1232), verdict(PolicyAction.TCP_ONLY), 0);
        assertThat(m.getHeader().getFlag(org.xbill.DNS.Flags.TC)).isTrue();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void localData_answersWithTheVerdictsOwnAddresses() throws IOException {
        Verdict local = Verdict.withLocalData(
                PolicyAction.SINKHOLE,
                "custom",
                "rpz",
                Verdict.EDE_FILTERED,
                LocalRecord.addresses(
                        List.of(InetAddress.getByName("192.0.2.55"), InetAddress.getByName("2001:db8::55"))));
        assertThat(DnsProbe.firstAnswer(answer(DnsProbe.query("walled.example.", Type.A, 1232), local, 0)))
                .isEqualTo("192.0.2.55");
        Message aaaa = answer(DnsProbe.query("walled.example.", Type.AAAA, 1232), local, 0);
        assertThat(DnsProbe.firstAnswer(aaaa)).isEqualTo("2001:db8:0:0:0:0:0:55");
        assertThat(ede(aaaa).getErrorCode()).isEqualTo(ExtendedErrorCodeOption.FILTERED);
    }

    @Test
    void localData_ofAnyType_answersTheQueryTypesRecordsAndNodataForOthers() throws IOException {
        Record txt = Record.fromString(Name.root, Type.TXT, DClass.IN, 60, "\"first\" \"second part\"", Name.root);
        Record mx1 = Record.fromString(Name.root, Type.MX, DClass.IN, 60, "10 mail.example.", Name.root);
        Record mx2 = Record.fromString(Name.root, Type.MX, DClass.IN, 60, "20 backup.example.", Name.root);
        Verdict local = Verdict.withLocalData(
                PolicyAction.SINKHOLE,
                "custom",
                "rpz",
                Verdict.EDE_BLOCKED,
                List.of(
                        new LocalRecord(Type.TXT, txt.rdataToWireCanonical()),
                        new LocalRecord(Type.MX, mx1.rdataToWireCanonical()),
                        new LocalRecord(Type.MX, mx2.rdataToWireCanonical())));
        Message m = answer(DnsProbe.query("local.example.", Type.MX, 1232), local, 2);
        assertThat(m.getSection(Section.ANSWER))
                .extracting(r -> r.getName() + " " + Type.string(r.getType()) + " " + r.rdataToString())
                .containsExactly("local.example. MX 10 mail.example.", "local.example. MX 20 backup.example.");
        Message t = answer(DnsProbe.query("local.example.", Type.TXT, 1232), local, 0);
        assertThat(t.getSection(Section.ANSWER))
                .singleElement()
                .extracting(r -> ((TXTRecord) r).getStrings())
                .isEqualTo(List.of("first", "second part"));
        Message a = answer(DnsProbe.query("local.example.", Type.A, 1232), local, 0);
        assertThat(a.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.getSection(Section.ANSWER)).isEmpty();
        assertThat(a.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
    }

    @Test
    void localData_tooBigForTheClientsUdpSize_isTruncated_andWholeOverTcp() throws IOException {
        List<LocalRecord> many = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(new LocalRecord(
                    Type.AAAA, InetAddress.getByName("2001:db8::" + (i + 1)).getAddress()));
        }
        Verdict local = Verdict.withLocalData(PolicyAction.SINKHOLE, "custom", "rpz", Verdict.EDE_BLOCKED, many);
        // 40 x 40 octets: over 512 without EDNS, within 65,535 over TCP.
        Message udp = answer(DnsProbe.query("many.example.", Type.AAAA, 0), local, 0);
        assertThat(udp.getHeader().getFlag(org.xbill.DNS.Flags.TC)).isTrue();
        assertThat(udp.getSection(Section.ANSWER)).isEmpty();
        ParsedQuery q = new ParsedQuery();
        ByteBuf in = Unpooled.wrappedBuffer(
                DnsProbe.query("many.example.", Type.AAAA, 0).toWire());
        ByteBuf out = Unpooled.buffer();
        try {
            QueryParser.parse(in, q);
            Profile none = Profile.builder("default").build(0);
            assertThat(answers.write(out, q, local, none, 65_535)).isTrue();
            byte[] wire = new byte[out.readableBytes()];
            out.getBytes(0, wire);
            Message tcp = new Message(wire);
            assertThat(tcp.getHeader().getFlag(org.xbill.DNS.Flags.TC)).isFalse();
            assertThat(tcp.getSection(Section.ANSWER)).hasSize(40);
        } finally {
            in.release();
            out.release();
        }
    }

    @Test
    void dropAndPassthru_writeNothing() {
        ParsedQuery q = new ParsedQuery();
        ByteBuf in =
                Unpooled.wrappedBuffer(DnsProbe.query("x.example.", Type.A, 0).toWire());
        ByteBuf out = Unpooled.buffer();
        try {
            QueryParser.parse(in, q);
            assertThat(answers.write(out, q, verdict(PolicyAction.DROP))).isFalse();
            assertThat(answers.write(out, q, verdict(PolicyAction.PASSTHRU))).isFalse();
            assertThat(out.readableBytes()).isZero();
        } finally {
            in.release();
            out.release();
        }
    }
}
