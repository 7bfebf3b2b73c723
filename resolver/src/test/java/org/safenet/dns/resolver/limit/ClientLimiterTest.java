package org.safenet.dns.resolver.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ClientLimiterTest {
    private static InetAddress ip(String text) throws Exception {
        return InetAddress.getByName(text);
    }

    @Test
    void aClientsPrefixIsOneBucket_asConfigured() throws Exception {
        LimitSettings perAddress = new LimitSettings(10, false, 32, 64);
        LimitSettings perSlash24 = new LimitSettings(10, false, 24, 56);
        assertThat(ClientLimiter.key(ip("10.1.2.3"), perAddress))
                .isNotEqualTo(ClientLimiter.key(ip("10.1.2.4"), perAddress));
        assertThat(ClientLimiter.key(ip("10.1.2.3"), perSlash24))
                .isEqualTo(ClientLimiter.key(ip("10.1.2.4"), perSlash24));
        assertThat(ClientLimiter.key(ip("2001:db8:0:1::1"), perAddress))
                .as("one /64, two hosts")
                .isEqualTo(ClientLimiter.key(ip("2001:db8:0:1::2"), perAddress));
        assertThat(ClientLimiter.key(ip("2001:db8:0:1::1"), perAddress))
                .isNotEqualTo(ClientLimiter.key(ip("2001:db8:0:2::1"), perAddress));
        assertThat(ClientLimiter.key(ip("2001:db8:0:1::1"), perSlash24))
                .as("the same /56")
                .isEqualTo(ClientLimiter.key(ip("2001:db8:0:2::1"), perSlash24));
        assertThat(ClientLimiter.key(ip("::ffff:10.1.2.3"), perAddress))
                .isEqualTo(ClientLimiter.key(ip("10.1.2.3"), perAddress));
        assertThat(ClientLimiter.key(ip("::1"), perAddress)).isNotZero();
    }

    @Test
    void tokensRefillAtTheRate_upToTwoSecondsWorth() throws Exception {
        ClientLimiter l = new ClientLimiter();
        LimitSettings s = new LimitSettings(10, false, 32, 64);
        InetAddress c = ip("192.0.2.1");
        int allowed = 0;
        for (int i = 0; i < 50; i++) {
            allowed += l.allow(c, 1_000, s) ? 1 : 0;
        }
        assertThat(allowed).as("a burst of two seconds' worth").isEqualTo(20);
        assertThat(l.allow(c, 1_099, s))
                .as("not yet one token back (10/s: 100 ms each)")
                .isFalse();
        assertThat(l.allow(c, 1_200, s)).isTrue();
        int later = 0;
        for (int i = 0; i < 50; i++) {
            later += l.allow(c, 60_000, s) ? 1 : 0;
        }
        assertThat(later).as("idle for a minute: full again, never more").isEqualTo(20);
    }

    @Test
    void aFloodOfNewSourcesNeverGrowsTheTable_andAReturningClientStartsFull() throws Exception {
        ClientLimiter l = new ClientLimiter();
        LimitSettings s = new LimitSettings(1, false, 32, 64);
        InetAddress real = ip("192.0.2.200");
        assertThat(l.allow(real, 0, s)).isTrue();
        for (int i = 0; i < 200_000; i++) { // far more sources than the table's 16,384 buckets
            l.allow(InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i}), i, s);
        }
        assertThat(l.allow(real, 200_001, s)).isTrue();
    }
}
