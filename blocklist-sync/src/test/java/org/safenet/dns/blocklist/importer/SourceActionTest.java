package org.safenet.dns.blocklist.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.safenet.dns.blocklist.format.ListEntry;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.wire.DnsNames;

/** The per-source policy overrides, by the names BIND and Unbound give them. */
class SourceActionTest {
    private static final ListEntry LOCAL =
            new ListEntry(DnsNames.toWire("garden.example"), null, Match.EXACT, Action.LOCAL_DATA, "A 192.0.2.1", 7);
    private static final ListEntry PASS =
            new ListEntry(null, CidrPrefix.parse("192.0.2.0/24"), Match.EXACT, Action.PASSTHRU, null, 8, true);

    @Test
    void parse_everyNameBindAndUnboundUse() {
        assertThat(SourceAction.parse("given")).isEqualTo(SourceAction.LIST);
        assertThat(SourceAction.parse(" List ")).isEqualTo(SourceAction.LIST);
        assertThat(SourceAction.parse("tcp-only")).isEqualTo(SourceAction.TCP_ONLY);
        assertThat(SourceAction.parse("DISABLED")).isEqualTo(SourceAction.DISABLED);
        assertThat(SourceAction.parse("cname Walled.Example.")).isEqualTo(SourceAction.cname("walled.example"));
        assertThat(SourceAction.parse("cname walled.example").toString()).isEqualTo("cname walled.example.");
        assertThatThrownBy(() -> SourceAction.parse("cname"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs a target");
        assertThatThrownBy(() -> SourceAction.parse("cname http://x/")).hasMessageContaining("a URL or address");
        assertThatThrownBy(() -> SourceAction.parse("redirect"))
                .hasMessageContaining("one of list (or given), block, nxdomain");
    }

    @Test
    void apply_overridesEveryEntry_keepsTheTrigger() {
        ListEntry nx = SourceAction.NXDOMAIN.apply(LOCAL);
        assertThat(nx.action()).isEqualTo(Action.NXDOMAIN);
        assertThat(nx.data()).isNull();
        assertThat(nx.line()).isEqualTo(7);
        ListEntry walled = SourceAction.cname("walled.example").apply(PASS);
        assertThat(walled.action()).isEqualTo(Action.CNAME);
        assertThat(walled.data()).isEqualTo("walled.example.");
        assertThat(walled.clientIp()).isTrue();
        assertThat(walled.ipTrigger()).isEqualTo(CidrPrefix.parse("192.0.2.0/24"));
        assertThat(SourceAction.TCP_ONLY.apply(LOCAL).action()).isEqualTo(Action.TCP_ONLY);
        assertThat(SourceAction.LIST.apply(LOCAL)).isSameAs(LOCAL);
        assertThat(SourceAction.BLOCK.apply(PASS)).as("block keeps a passthru").isSameAs(PASS);
        assertThat(SourceAction.DISABLED.apply(LOCAL)).isNull();
    }
}
