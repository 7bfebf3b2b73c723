package org.safenet.dns.blocklist.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.ParseResult;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.SharedData;
import org.xbill.DNS.Type;

class BlocklistPolicyTest {
    private static final Verdict SCAM =
            new Verdict(PolicyAction.SINKHOLE, "scam", "national", Verdict.EDE_BLOCKED, null);
    private static final Verdict GONE =
            new Verdict(PolicyAction.NXDOMAIN, "malware", "local", Verdict.EDE_BLOCKED, null);
    private static final Verdict EXCEPTION = new Verdict(PolicyAction.PASSTHRU, "custom", "local", 0, null);

    private final ParsedQuery q = new ParsedQuery();

    private @Nullable Verdict decide(BlocklistPolicy policy, String name) {
        ByteBuf b = Unpooled.wrappedBuffer(DnsProbe.query(name, Type.A, 0).toWire());
        try {
            assertThat(QueryParser.parse(b, q)).isEqualTo(ParseResult.OK);
        } finally {
            b.release();
        }
        return policy.decide(q);
    }

    @Test
    void subtreeEntry_matchesNameAndDescendants_notParentOrSiblings() {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .block("vaytien.example.vn", true, SCAM)
                .build(1));
        assertThat(decide(p, "vaytien.example.vn.")).isSameAs(SCAM);
        assertThat(decide(p, "a.b.vaytien.example.vn.")).isSameAs(SCAM);
        assertThat(decide(p, "example.vn.")).isNull();
        assertThat(decide(p, "xvaytien.example.vn."))
                .as("label-aligned, not a string suffix")
                .isNull();
        assertThat(decide(p, "vn.")).isNull();
    }

    @Test
    void exactEntry_matchesOnlyTheName() {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .block("login.bank-fake.com", false, SCAM)
                .build(1));
        assertThat(decide(p, "login.bank-fake.com.")).isSameAs(SCAM);
        assertThat(decide(p, "www.login.bank-fake.com.")).isNull();
    }

    @Test
    void descendantsOnlyEntry_matchesBelowTheNameButNotTheName() {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .blockDescendants(org.safenet.dns.resolver.wire.DnsNames.toWire("tracker.example"), SCAM)
                .build(1));
        assertThat(decide(p, "tracker.example.")).isNull();
        assertThat(decide(p, "a.tracker.example.")).isSameAs(SCAM);
    }

    @Test
    void rpzPair_nameAndWildcard_coverBoth() {
        byte[] wire = org.safenet.dns.resolver.wire.DnsNames.toWire("chillup.at");
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .blockWire(wire, false, GONE)
                .blockDescendants(wire, SCAM)
                .build(1));
        assertThat(decide(p, "chillup.at.")).isSameAs(GONE);
        assertThat(decide(p, "cdn.chillup.at.")).isSameAs(SCAM);
    }

    @Test
    void addressTriggers_longestPrefixDecides() throws Exception {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .blockAddresses(org.safenet.dns.resolver.acl.CidrPrefix.parse("198.51.100.0/24"), SCAM)
                .blockAddresses(org.safenet.dns.resolver.acl.CidrPrefix.parse("198.51.100.7/32"), GONE)
                .blockAddresses(org.safenet.dns.resolver.acl.CidrPrefix.parse("198.51.100.128/25"), EXCEPTION)
                .blockAddresses(org.safenet.dns.resolver.acl.CidrPrefix.parse("2001:db8:bad::/48"), SCAM)
                .build(1));
        assertThat(p.decideAddress(
                        java.net.InetAddress.getByName("198.51.100.7").getAddress()))
                .isSameAs(GONE);
        assertThat(p.decideAddress(
                        java.net.InetAddress.getByName("198.51.100.8").getAddress()))
                .isSameAs(SCAM);
        assertThat(p.decideAddress(
                        java.net.InetAddress.getByName("198.51.100.200").getAddress()))
                .isSameAs(EXCEPTION);
        assertThat(p.decideAddress(
                        java.net.InetAddress.getByName("198.51.101.1").getAddress()))
                .isNull();
        assertThat(p.decideAddress(
                        java.net.InetAddress.getByName("2001:db8:bad:1::5").getAddress()))
                .isSameAs(SCAM);
        assertThat(p.decideAddress(
                        java.net.InetAddress.getByName("2001:db8:bae::5").getAddress()))
                .isNull();
    }

    @Test
    void lookup_isCaseInsensitive() {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .block("Scam.Example.COM", true, SCAM)
                .build(1));
        assertThat(decide(p, "sCaM.eXaMpLe.CoM.")).isSameAs(SCAM);
    }

    @Test
    void mostSpecificEntry_decides() {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .block("example.com", true, SCAM)
                .block("mail.example.com", false, GONE)
                .block("ok.example.com", true, EXCEPTION)
                .build(1));
        assertThat(decide(p, "www.example.com.")).isSameAs(SCAM);
        assertThat(decide(p, "mail.example.com.")).isSameAs(GONE);
        assertThat(decide(p, "x.mail.example.com."))
                .as("exact entries do not cover descendants")
                .isSameAs(SCAM);
        assertThat(decide(p, "a.ok.example.com."))
                .as("an RPZ passthru deeper down wins")
                .isSameAs(EXCEPTION);
    }

    @Test
    void sameNameExactAndSubtree_keepBothVerdicts() {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .block("example.org", false, GONE)
                .block("example.org", true, SCAM)
                .build(1));
        assertThat(decide(p, "example.org.")).isSameAs(GONE);
        assertThat(decide(p, "www.example.org.")).isSameAs(SCAM);
    }

    @Test
    void allowlist_winsOverAnyBlock() {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder()
                .block("bit.ly", true, SCAM)
                .block("evil.safe.example", false, GONE)
                .allow("bit.ly", false)
                .allow("safe.example", true)
                .build(1));
        assertThat(decide(p, "bit.ly.").action()).isEqualTo(PolicyAction.PASSTHRU);
        assertThat(decide(p, "x.bit.ly.")).as("the allow entry is exact").isSameAs(SCAM);
        assertThat(decide(p, "evil.safe.example.").action()).isEqualTo(PolicyAction.PASSTHRU);
    }

    @Test
    void idn_isMatchedInItsALabelForm() {
        String aLabel = IDN.toASCII("cốccốc.vn");
        BlocklistPolicy p = new BlocklistPolicy(
                new BlocklistIndexBuilder().block(aLabel, true, SCAM).build(1));
        assertThat(decide(p, aLabel + ".")).isSameAs(SCAM);
        assertThatThrownBy(() -> new BlocklistIndexBuilder().block("cốccốc.vn", true, SCAM))
                .hasMessageContaining("xn--");
    }

    @Test
    void swap_makesTheNewListLive() {
        BlocklistPolicy p = new BlocklistPolicy(new BlocklistIndexBuilder().build(1));
        assertThat(decide(p, "new-scam.example.")).isNull();
        p.swap(new BlocklistIndexBuilder().block("new-scam.example", true, SCAM).build(2));
        assertThat(decide(p, "new-scam.example.")).isSameAs(SCAM);
        assertThat(p.snapshot().version()).isEqualTo(2);
    }

    /**
     * The real 1.46M-name list from ../shared/data: every listed name is found, and none of the
     * popular names that the data set marks as not listed is (no false positives from hashing).
     */
    @Test
    void realList_findsEveryEntryAndNoPopularName() throws IOException {
        List<String> blocked = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(SharedData.path("derived/blocked-domains-1m.txt.gz"))),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    blocked.add(line.strip());
                }
            }
        }
        BlocklistIndexBuilder b = new BlocklistIndexBuilder();
        for (String name : blocked) {
            b.block(name, true, SCAM);
        }
        BlocklistPolicy p = new BlocklistPolicy(b.build(1));
        assertThat(b.blockedNames()).isEqualTo(blocked.size());
        for (int i = 0; i < blocked.size(); i += 7) {
            assertThat(decide(p, blocked.get(i) + ".")).as(blocked.get(i)).isSameAs(SCAM);
        }
        List<String> popular = Files.readAllLines(SharedData.path("derived/top-domains-not-blocked.txt"));
        int checked = 0;
        for (String name : popular) {
            if (name.isBlank() || name.startsWith("#")) {
                continue;
            }
            assertThat(decide(p, name.strip() + ".")).as(name).isNull();
            checked++;
        }
        assertThat(checked).isGreaterThan(100_000);
        long bytesPerEntry = p.snapshot().block().heapBytes() / blocked.size();
        assertThat(bytesPerEntry).as("heap bytes per entry").isLessThan(48);
    }
}
