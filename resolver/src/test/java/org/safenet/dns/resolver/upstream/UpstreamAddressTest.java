package org.safenet.dns.resolver.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UpstreamAddressTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            192.0.2.53                            | UDP | 192.0.2.53:53                        |
            udp://192.0.2.53:5353                 | UDP | 192.0.2.53:5353                      |
            tcp://192.0.2.53                      | TCP | tcp://192.0.2.53:53                  |
            TLS://1.1.1.1#Cloudflare-DNS.com      | TLS | tls://1.1.1.1:853#cloudflare-dns.com | cloudflare-dns.com
            tls://1.1.1.1:8853#dns.example        | TLS | tls://1.1.1.1:8853#dns.example       | dns.example
            tls://[2606:4700:4700::1111]          | TLS | tls://[2606:4700:4700::1111]:853     |
            [2001:db8::53]:5353                   | UDP | [2001:db8::53]:5353                  |
            """)
    void parse_givesTransportPortAndName(String text, String transport, String canonical, String name) {
        UpstreamAddress a = UpstreamAddress.parse(text);
        assertThat(a.transport()).isEqualTo(UpstreamAddress.Transport.valueOf(transport));
        assertThat(a.toString()).isEqualTo(canonical);
        assertThat(a.authName()).isEqualTo(name);
        assertThat(UpstreamAddress.parse(a.toString()))
                .as("the canonical form reads back")
                .isEqualTo(a);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            https://1.1.1.1/dns-query     | unknown scheme 'https://'
            tls://dns.google              | 'dns.google' is not an IP address
            192.0.2.1#dns.example         | only for tls:// upstreams
            tcp://192.0.2.1#dns.example   | only for tls:// upstreams
            tls://1.1.1.1#                | nothing after '#'
            tls://1.1.1.1#a..b            | 'a..b' is not a valid name
            tls://1.1.1.1:99999#x.example | port 99999 is outside 0..65535
            """)
    void parse_refusesWithTheReason(String text, String reason) {
        assertThatThrownBy(() -> UpstreamAddress.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }
}
