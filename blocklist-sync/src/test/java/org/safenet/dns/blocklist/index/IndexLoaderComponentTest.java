package org.safenet.dns.blocklist.index;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.format.ListParser;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.ReversedName;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.SharedData;
import org.xbill.DNS.Type;

/** Parse a real list, store it in a real RocksDB, load the index from the store, ask it. */
class IndexLoaderComponentTest {
    @TempDir
    Path dir;

    private static @Nullable Verdict decide(BlocklistPolicy p, String name) {
        ParsedQuery q = new ParsedQuery();
        ByteBuf b = Unpooled.wrappedBuffer(DnsProbe.query(name, Type.A, 0).toWire());
        try {
            QueryParser.parse(b, q);
        } finally {
            b.release();
        }
        return p.decide(q);
    }

    @Test
    void realRpzList_throughStoreAndIndex_answersLikeTheList() throws Exception {
        BlocklistStore.Changes changes = new BlocklistStore.Changes();
        try (BufferedReader r = Files.newBufferedReader(
                SharedData.path("vn/chongluadao-vn-badsite-filter-rpz.conf"), StandardCharsets.UTF_8)) {
            ListParser.parse(
                    ListFormat.RPZ,
                    r,
                    "chongluadao",
                    e -> changes.block(new StoredEntry(
                            ReversedName.fromWire(e.name()),
                            e.match(),
                            e.action(),
                            "scam",
                            "chongluadao",
                            "",
                            1,
                            0,
                            e.data())));
        }
        changes.block(
                new StoredEntry("vn.example.vay-tien", Match.SUBTREE, Action.BLOCK, "scam", "local", "", 1, 0, null));
        changes.block(new StoredEntry("com.ads.tracker", Match.SUBTREE, Action.BLOCK, "ads", "local", "", 1, 0, null));
        changes.block(new StoredEntry("com.old.gone", Match.SUBTREE, Action.BLOCK, "scam", "local", "", 1, 1000, null));
        changes.allow(new StoredEntry(
                "vn.example.vay-tien.ok", Match.EXACT, Action.ALLOW, "custom", "operator", "", 1, 0, null));
        try (BlocklistStore store = BlocklistStore.open(dir)) {
            store.apply(changes);
        }
        Map<String, PolicyAction> enforced = Map.of("scam", PolicyAction.SINKHOLE); // "ads" not enforced
        try (BlocklistStore store = BlocklistStore.open(dir)) {
            IndexLoader.LoadResult result = new IndexLoader(enforced::get, () -> 5000).load(store);
            BlocklistPolicy p = new BlocklistPolicy(result.snapshot());
            assertThat(result.blocked()).isEqualTo(16842 + 1);
            assertThat(result.allowed()).isEqualTo(1);
            assertThat(result.skipped())
                    .as("the ads entry (category not enforced) and the expired one")
                    .isEqualTo(2);
            assertThat(result.snapshot().version()).isEqualTo(1);

            assertThat(decide(p, "0088shop.com.").action()).as("RPZ 'CNAME .'").isEqualTo(PolicyAction.NXDOMAIN);
            assertThat(decide(p, "www.0088shop.com."))
                    .as("the list has no *. line for it")
                    .isNull();
            assertThat(decide(p, "a.vay-tien.example.vn.").action()).isEqualTo(PolicyAction.SINKHOLE);
            assertThat(decide(p, "ok.vay-tien.example.vn.").action()).isEqualTo(PolicyAction.PASSTHRU);
            assertThat(decide(p, "x.tracker.ads.com.")).isNull();
            assertThat(decide(p, "gone.old.com.")).isNull();
        }
    }
}
