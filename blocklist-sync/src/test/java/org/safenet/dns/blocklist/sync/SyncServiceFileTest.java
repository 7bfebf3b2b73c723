package org.safenet.dns.blocklist.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.index.PolicyProbe;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.testkit.SharedData;

/** A file source: synced at start, then again by itself when an operator replaces the file. */
class SyncServiceFileTest {
    @TempDir
    Path dir;

    @Test
    void fileSource_isReReadWhenTheFileChanges() throws Exception {
        Path lists = Files.createDirectories(dir.resolve("lists"));
        Path feed = lists.resolve("school.txt");
        Files.copy(SharedData.path("vn/hostsvn-threat.domains.txt"), feed);
        try (BlocklistStore store = BlocklistStore.open(dir.resolve("store"))) {
            LiveList live = new LiveList(store, c -> PolicyAction.SINKHOLE, s -> 0, System::currentTimeMillis, 100);
            try (SyncService sync = new SyncService(
                    store,
                    c -> live.apply(c).version(),
                    List.of(),
                    dir,
                    Map.of(),
                    new SimpleMeterRegistry(),
                    System::currentTimeMillis,
                    Duration.ofSeconds(30))) {
                sync.setSources(List.of(SourceSpec.builder("school", SourceSpec.Type.FILE, "custom")
                        .path(feed)
                        .rails(new SourceSpec.Rails(100, 100_000, 100, 1 << 30, Duration.ofSeconds(60)))
                        .build()));
                sync.start();
                try {
                    // The history record is written just after the change is live: wait for it, not the store.
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> !sync.history("school").isEmpty());
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("no first sync: " + sync.history("school"), e);
                }
                assertThat(sync.history("school").getFirst().trigger()).isEqualTo("schedule");
                assertThat(sync.history("school").getFirst().outcome()).isEqualTo(SyncResult.Outcome.APPLIED);
                long first = store.sourceSize("school");

                // The operator's tooling replaces the file (write elsewhere, then rename, as editors do).
                Path next = lists.resolve("school.txt.new");
                Files.copy(SharedData.path("vn/hostsvn-adult-VN.domains.txt"), next);
                Files.move(next, feed, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> sync.history("school").size() >= 2
                                && sync.history("school").getLast().outcome() == SyncResult.Outcome.APPLIED);
                SyncResult changed = sync.history("school").getLast();
                assertThat(changed.trigger()).isEqualTo("file-change");
                assertThat(store.sourceSize("school")).isEqualTo(first + changed.added() - changed.removed());
                assertThat(live.policy().decide(PolicyProbe.query("www.facebook.com")))
                        .isNull();
            }
        }
    }
}
