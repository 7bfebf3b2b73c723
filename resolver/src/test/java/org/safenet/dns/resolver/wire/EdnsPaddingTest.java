package org.safenet.dns.resolver.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** Padding to the block, and the answers left alone: no OPT, an OPT not last, a damaged message. */
class EdnsPaddingTest {
    private static Message answer(boolean edns) throws Exception {
        Message m = new Message(7);
        m.addRecord(Record.newRecord(Name.fromString("www.example.com."), Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(
                new ARecord(Name.fromString("www.example.com."), DClass.IN, 60, InetAddress.getByName("192.0.2.1")),
                Section.ANSWER);
        if (edns) {
            m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        }
        return m;
    }

    private static byte[] padded(byte[] wire, int prefix) {
        ByteBuf b = Unpooled.buffer();
        try {
            b.writeZero(prefix);
            b.writeBytes(wire);
            EdnsPadding.pad(b, prefix, EdnsPadding.RESPONSE_BLOCK);
            byte[] out = new byte[b.readableBytes() - prefix];
            b.getBytes(prefix, out);
            return out;
        } finally {
            b.release();
        }
    }

    @Test
    void withOpt_growsToTheBlock_andStaysAValidMessage() throws Exception {
        byte[] out = padded(answer(true).toWire(), 2);
        assertThat(out.length).isEqualTo(468);
        Message m = new Message(out);
        assertThat(m.getSection(Section.ANSWER)).hasSize(1);
        assertThat(m.getOPT().getOptions(EdnsPadding.OPTION_PADDING)).hasSize(1);
        assertThat(m.getOPT().getPayloadSize()).isEqualTo(1232);
    }

    @Test
    void withoutOpt_orOptNotLast_orDamaged_leftAsItIs() throws Exception {
        byte[] plain = answer(false).toWire();
        assertThat(padded(plain, 0)).isEqualTo(plain);
        Message optFirst = answer(true);
        optFirst.addRecord(new TXTRecord(Name.fromString("x."), DClass.IN, 0, "after"), Section.ADDITIONAL);
        byte[] notLast = optFirst.toWire();
        assertThat(padded(notLast, 0)).isEqualTo(notLast);
        byte[] cut = Arrays.copyOf(answer(true).toWire(), 30);
        assertThat(padded(cut, 0)).isEqualTo(cut);
    }
}
