package org.safenet.dns.admin.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.store.BlocklistStore;

/** The audit trail on a real store: retention, filters, and records that survive a reopen. */
class AuditLogTest {
    @TempDir
    Path dir;

    private static final long DAY = 86_400_000L;

    @Test
    void recordsPastTheRetentionGoWhenNewOnesCome_andTheRestSurviveAReopen() throws Exception {
        AtomicLong clock = new AtomicLong(1_800_000_000_000L);
        AuditLog.Actor who = AuditLog.Actor.local(AuditLog.IMPORT, "user ops", "control socket");
        try (BlocklistStore store = BlocklistStore.open(dir)) {
            AuditLog log = new AuditLog(store.auditRecords(), new ObjectMapper(), clock::get, Duration.ofDays(30));
            log.record(who, "import", "old", null, null);
            clock.addAndGet(20 * DAY);
            log.record(who, "import", "recent", null, null);
            clock.addAndGet(15 * DAY);
            log.record(who, "import", "new", null, null);
            assertThat(log.recent(10, Long.MAX_VALUE))
                    .extracting(e -> e.path("target").asText())
                    .containsExactly("new", "recent");
        }
        try (BlocklistStore store = BlocklistStore.open(dir)) {
            AuditLog log = new AuditLog(store.auditRecords(), new ObjectMapper(), clock::get, Duration.ofDays(30));
            JsonNode newest = log.recent(1, Long.MAX_VALUE).getFirst();
            assertThat(newest.path("via").asText()).isEqualTo("import");
            assertThat(newest.path("actor").asText()).isEqualTo("user ops");
            assertThat(newest.path("role").asText()).isEqualTo("local");
            assertThat(newest.path("tokenId").isNull()).isTrue();
        }
    }

    @Test
    void filtersMatchPathActorActionAndTime() throws Exception {
        AtomicLong clock = new AtomicLong(1_800_000_000_000L);
        try (BlocklistStore store = BlocklistStore.open(dir)) {
            AuditLog log = new AuditLog(store.auditRecords(), new ObjectMapper(), clock::get);
            log.record(
                    AuditLog.Actor.local(AuditLog.RELOAD, "SIGHUP", "signal"), "config.reload", "config", null, null);
            clock.addAndGet(1000);
            log.record(
                    AuditLog.Actor.local(AuditLog.SYNC, "user root", "control socket"),
                    "sync.approve",
                    "vn",
                    null,
                    null);
            clock.addAndGet(1000);
            log.record(
                    AuditLog.Actor.local(AuditLog.SYNC, "user ops", "control socket"),
                    "sync.run",
                    "all sources",
                    null,
                    null);
            assertThat(log.recent(new AuditLog.Filter("sync", null, null, null, 0), 10, Long.MAX_VALUE))
                    .extracting(e -> e.path("action").asText())
                    .containsExactly("sync.run", "sync.approve");
            assertThat(log.recent(new AuditLog.Filter(null, "ROOT", null, null, 0), 10, Long.MAX_VALUE))
                    .extracting(e -> e.path("target").asText())
                    .containsExactly("vn");
            assertThat(log.recent(new AuditLog.Filter(null, null, "config.", null, 0), 10, Long.MAX_VALUE))
                    .hasSize(1);
            assertThat(log.recent(new AuditLog.Filter(null, null, null, null, 1_800_000_001_000L), 10, Long.MAX_VALUE))
                    .hasSize(2);
            assertThat(log.recent(new AuditLog.Filter("sync", null, null, null, 0), 1, Long.MAX_VALUE))
                    .as("the limit counts matches, not records scanned")
                    .extracting(e -> e.path("action").asText())
                    .containsExactly("sync.run");
        }
    }
}
