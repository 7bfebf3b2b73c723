package org.safenet.dns.blocklist.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.index.PolicyProbe;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;

/** Live changes (the overlay) decide exactly as a full rebuild of the index would. */
class LiveListTest {
    @TempDir
    Path dir;

    private static final Map<String, PolicyAction> ACTIONS = Map.of("scam", PolicyAction.SINKHOLE);

    private static StoredEntry entry(String source, String category) {
        return new StoredEntry("vn.vay-tien", Match.SUBTREE, Action.BLOCK, category, source, "", 1, 0, null);
    }

    private static @Nullable Verdict decide(LiveList live) {
        return live.policy().decide(PolicyProbe.query("www.vay-tien.vn"));
    }

    @Test
    void aHigherSourceInAnOffCategory_doesNotHideAnEnforcedLowerOne() throws Exception {
        try (BlocklistStore store = BlocklistStore.open(dir.resolve("store"))) {
            LiveList live = new LiveList(store, ACTIONS::get, s -> s.equals("high") ? 500 : 100, () -> 0, 100);
            live.apply(new BlocklistStore.Changes().block(entry("low", "scam")).counted("low", 1));
            assertThat(decide(live)).isNotNull();
            // The higher source lists the name as "ads", a category that is off here.
            LiveList.Applied applied = live.apply(
                    new BlocklistStore.Changes().block(entry("high", "ads")).counted("high", 1));
            assertThat(applied.how()).contains("overlaid");
            assertThat(decide(live))
                    .as("still blocked by the enforced lower source")
                    .isNotNull();
            assertThat(decide(live).category()).isEqualTo("scam");
            live.rebuild();
            assertThat(decide(live).category()).as("a full rebuild agrees").isEqualTo("scam");
            // The lower source drops it: now nothing enforced lists it.
            live.apply(new BlocklistStore.Changes()
                    .removeBlock("vn.vay-tien", Match.SUBTREE, "low")
                    .counted("low", -1));
            assertThat(decide(live)).isNull();
        }
    }
}
