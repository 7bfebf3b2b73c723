package org.safenet.dns.resolver.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.safenet.dns.testkit.DnsProbe;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The encoder, checked by decoding its output with dnsjava (an independent implementation). */
class AnswerWriterTest {
    private static ParsedQuery parse(byte[] wire) {
        ParsedQuery q = new ParsedQuery();
        ByteBuf b = Unpooled.wrappedBuffer(wire);
        try {
            QueryParser.parse(b, q);
        } finally {
            b.release();
        }
        return q;
    }

    private static Message write(ParsedQuery q, int rcode) throws IOException {
        ByteBuf out = Unpooled.buffer();
        try {
            AnswerWriter.rcodeOnly(out, q, rcode, 1232);
            return new Message(ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    @Test
    void rcodeOnly_withEdns_echoesQuestionCaseFlagsAndDo() throws IOException {
        Message query = DnsProbe.query("MiXeD.Example.", Type.MX, 0);
        query.getHeader().setFlag(Flags.CD);
        query.addRecord(new OPTRecord(4096, 0, 0, Flags.DO), Section.ADDITIONAL);
        Message m = write(parse(query.toWire()), Rcode.REFUSED);
        assertThat(m.getHeader().getID()).isEqualTo(query.getHeader().getID());
        assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.RA)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.CD)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(m.getQuestion().getName().toString()).isEqualTo("MiXeD.Example.");
        assertThat(m.getQuestion().getType()).isEqualTo(Type.MX);
        assertThat(m.getOPT().getPayloadSize()).isEqualTo(1232);
        assertThat(m.getOPT().getFlags() & Flags.DO).isEqualTo(Flags.DO);
    }

    @Test
    void rcodeOnly_badvers_putsUpperBitsInOpt() throws IOException {
        Message query = DnsProbe.query("example.", Type.A, 0);
        query.addRecord(new OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        ParsedQuery q = parse(query.toWire());
        assertThat(q.ednsVersion()).isEqualTo(1);
        Message m = write(q, Rcode.BADVERS);
        assertThat(m.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(m.getOPT().getVersion()).isZero();
    }

    @Test
    void rcodeOnly_questionNotRead_sendsHeaderOnly() throws IOException {
        byte[] broken = {0x0A, 0x0B, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'a'};
        ParsedQuery q = parse(broken);
        Message m = write(q, Rcode.FORMERR);
        assertThat(m.getHeader().getID()).isEqualTo(0x0A0B);
        assertThat(m.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(m.getSection(Section.QUESTION)).isEmpty();
        assertThat(m.getOPT()).isNull();
    }

    @Test
    void minimalAnyAnswer_isOneHinfoOwnedByTheQuestion() throws IOException {
        ParsedQuery q = parse(DnsProbe.query("Host.Example.", Type.ANY, 1232).toWire());
        ByteBuf out = Unpooled.buffer();
        try {
            AnswerWriter.minimalAnyAnswer(out, q, 1232);
            Message m = new Message(ByteBufUtil.getBytes(out));
            assertThat(m.getSection(Section.ANSWER)).singleElement().satisfies(r -> {
                assertThat(r.getType()).isEqualTo(Type.HINFO);
                assertThat(r.getName().toString()).isEqualTo("Host.Example.");
                assertThat(r.rdataToString()).isEqualTo("\"RFC8482\" \"\"");
            });
            assertThat(m.getOPT()).isNotNull();
        } finally {
            out.release();
        }
    }
}
