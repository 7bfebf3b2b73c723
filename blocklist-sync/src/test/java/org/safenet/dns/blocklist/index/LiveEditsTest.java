package org.safenet.dns.blocklist.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;

class LiveEditsTest {
    private static final Map<String, PolicyAction> ACTIONS =
            Map.of("scam", PolicyAction.SINKHOLE, "malware", PolicyAction.NXDOMAIN);
    private static final Verdict SCAM = new Verdict(PolicyAction.SINKHOLE, "scam", "base", Verdict.EDE_BLOCKED, null);

    private static @Nullable Verdict decide(BlocklistPolicy p, String name) {
        return p.decide(ParsedQuery.forName(DnsNames.toWire(name)));
    }

    private static StoredEntry entry(String reversed, Match match, String category) {
        return new StoredEntry(reversed, match, Action.BLOCK, category, "operator", "", 1, 0, null);
    }

    @Test
    void overlay_addsRemovesAndChangesWithoutTouchingTheBase() {
        BlocklistPolicy.Snapshot base = new BlocklistIndexBuilder()
                .block("old-scam.example", true, SCAM)
                .block("keep.example", true, SCAM)
                .build(1);
        BlocklistPolicy p = new BlocklistPolicy(base);
        LiveEdits edits = new LiveEdits();
        BlocklistStore.Changes changes = new BlocklistStore.Changes()
                .block(entry("example.new-scam", Match.SUBTREE, "scam"))
                .block(entry("example.keep", Match.SUBTREE, "malware"))
                .removeBlock("example.old-scam", Match.SUBTREE, "test")
                .allow(new StoredEntry(
                        "example.new-scam.ok", Match.EXACT, Action.ALLOW, "custom", "operator", "", 1, 0, null));
        assertThat(edits.canTake(changes)).isTrue();
        edits.record(changes);
        p.swap(edits.apply(base, ACTIONS::get, 2));

        assertThat(decide(p, "www.new-scam.example").action()).as("added").isEqualTo(PolicyAction.SINKHOLE);
        assertThat(decide(p, "www.old-scam.example"))
                .as("removed: tombstone hides the base entry")
                .isNull();
        assertThat(decide(p, "keep.example").action()).as("changed category").isEqualTo(PolicyAction.NXDOMAIN);
        assertThat(decide(p, "ok.new-scam.example").action())
                .as("allow overlay")
                .isEqualTo(PolicyAction.PASSTHRU);
        assertThat(p.snapshot().version()).isEqualTo(2);
        // The base snapshot itself is unchanged (it is what the next overlay is built on).
        assertThat(new BlocklistPolicy(base).decide(ParsedQuery.forName(DnsNames.toWire("www.old-scam.example"))))
                .isSameAs(SCAM);

        // A second edit accumulates on the same base: re-adding the removed name works.
        edits.record(new BlocklistStore.Changes().block(entry("example.old-scam", Match.SUBTREE, "scam")));
        p.swap(edits.apply(base, ACTIONS::get, 3));
        assertThat(decide(p, "www.old-scam.example").action()).isEqualTo(PolicyAction.SINKHOLE);
        assertThat(decide(p, "www.new-scam.example").action()).isEqualTo(PolicyAction.SINKHOLE);
    }

    @Test
    void overlaid_mergesHalvesIndependently() {
        int base = 5 << 16 | 7;
        assertThat(BlocklistPolicy.overlaid(0, base)).isEqualTo(base);
        assertThat(BlocklistPolicy.overlaid(9 << 16, base)).isEqualTo(9 << 16 | 7);
        assertThat(BlocklistPolicy.overlaid(BlocklistPolicy.TOMBSTONE, base)).isEqualTo(5 << 16);
        assertThat(BlocklistPolicy.overlaid(BlocklistPolicy.TOMBSTONE << 16 | BlocklistPolicy.TOMBSTONE, base))
                .isZero();
    }

    @Test
    void ipChangesOrTooManyChanges_needAFullRebuild() {
        LiveEdits edits = new LiveEdits();
        assertThat(edits.canTake(new BlocklistStore.Changes()
                        .ip(new StoredEntry(
                                "192.0.2.0/24", Match.EXACT, Action.NXDOMAIN, "scam", "x", "", 1, 0, null))))
                .isFalse();
    }
}
