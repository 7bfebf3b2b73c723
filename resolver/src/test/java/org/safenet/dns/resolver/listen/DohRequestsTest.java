package org.safenet.dns.resolver.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.AsciiString;
import java.util.Base64;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The GET query of RFC 8484, decoded in place: the same bytes as the JDK's base64url decoder, the same refusals. */
class DohRequestsTest {
    private static byte[] decode(CharSequence uri) {
        ByteBuf out = Unpooled.buffer();
        try {
            DohRequests.Refusal why = DohRequests.getQuery(uri, out);
            assertThat(why).as("refusal of %s", uri).isNull();
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    private static DohRequests.Refusal refusal(CharSequence uri) {
        ByteBuf out = Unpooled.buffer();
        try {
            return DohRequests.getQuery(uri, out);
        } finally {
            out.release();
        }
    }

    @Test
    void decodesWhatTheJdkEncodesForEveryLengthAndBothHeaderTypes() {
        SplittableRandom random = new SplittableRandom(8484);
        for (int length = 0; length < 300; length++) {
            byte[] message = new byte[length];
            for (int i = 0; i < length; i++) {
                message[i] = (byte) random.nextInt(256);
            }
            String unpadded = Base64.getUrlEncoder().withoutPadding().encodeToString(message);
            String padded = Base64.getUrlEncoder().encodeToString(message);
            assertThat(decode("/dns-query?dns=" + unpadded)).isEqualTo(message);
            assertThat(decode(new AsciiString("/dns-query?dns=" + unpadded))).isEqualTo(message);
            assertThat(decode("/dns-query?dns=" + padded))
                    .as("padding accepted")
                    .isEqualTo(message);
            assertThat(decode("/dns-query?ct=x&dns=" + unpadded + "&z=1")).isEqualTo(message);
        }
    }

    @Test
    void percentEncodedValuesAreDecodedFirst() {
        byte[] message = {0x12, 0x34, (byte) 0xfb, (byte) 0xff};
        String b64 = Base64.getUrlEncoder().withoutPadding().encodeToString(message); // EjT7_w
        assertThat(decode("/dns-query?dns=" + b64.replace("_", "%5F"))).isEqualTo(message);
    }

    @Test
    void refusesWhatTheJdkRefuses() {
        assertThat(refusal("/dns-query")).isSameAs(DohRequests.NO_PARAMETER);
        assertThat(refusal("/dns-query?")).isSameAs(DohRequests.NO_PARAMETER);
        assertThat(refusal("/dns-query?dn=AAAA")).isSameAs(DohRequests.NO_PARAMETER);
        assertThat(refusal("/dns-query?xdns=AAAA")).isSameAs(DohRequests.NO_PARAMETER);
        assertThat(refusal("/dns-query?dns=AAAA&dns=AAAA")).isSameAs(DohRequests.NO_PARAMETER);
        for (String bad : new String[] {"A", "AAAAA", "AA+A", "AA/A", "AA=A", "AA=", "A===", "AAA==", "AA AA", "%zz"}) {
            assertThat(refusal("/dns-query?dns=" + bad)).as(bad).isSameAs(DohRequests.NOT_BASE64);
            boolean jdkRefuses;
            try {
                Base64.getUrlDecoder().decode(bad);
                jdkRefuses = false;
            } catch (IllegalArgumentException e) {
                jdkRefuses = true;
            }
            assertThat(jdkRefuses).as("the JDK refuses %s too", bad).isTrue();
        }
    }
}
