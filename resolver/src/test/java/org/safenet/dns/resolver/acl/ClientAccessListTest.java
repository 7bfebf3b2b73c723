package org.safenet.dns.resolver.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientAccessListTest {
    private final ClientAccessList defaults = new ClientAccessList(
            ClientAccessList.DEFAULT_ALLOWED.stream().map(CidrPrefix::parse).toList());

    @ParameterizedTest(name = "{0} allowed={1}")
    @CsvSource({
        "127.0.0.1, true",
        "127.255.255.254, true",
        "10.20.30.40, true",
        "172.16.0.1, true",
        "172.31.255.255, true",
        "172.32.0.1, false",
        "192.168.1.1, true",
        "192.169.1.1, false",
        "8.8.8.8, false",
        "1.1.1.1, false",
        "::1, true",
        "fd12:3456::1, true",
        "fe80::1, true",
        "2001:db8::1, false",
        "::ffff:192.168.1.9, true",
        "::ffff:8.8.8.8, false"
    })
    void allows_defaultList_isLoopbackAndPrivateOnly(String address, boolean expected) throws UnknownHostException {
        assertThat(defaults.allows(InetAddress.getByName(address))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"0.0.0.0/0, 203.0.113.9", "::/0, 2001:db8::5", "203.0.113.7, 203.0.113.7", "10.1.2.3/8, 10.9.9.9"})
    void allows_configuredPrefix_matchesInside(String prefix, String inside) throws UnknownHostException {
        assertThat(ClientAccessList.of(prefix).allows(InetAddress.getByName(inside)))
                .isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"example.com", "10.0.0.0/33", "::/129", "10.0.0.0/x", "''"})
    void parse_badPrefix_saysWhy(String text) {
        assertThatThrownBy(() -> CidrPrefix.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text);
    }
}
