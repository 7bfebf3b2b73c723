package org.safenet.dns.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigLoader;

/** What a reload applies and what waits for a restart, from two configurations alone. */
class ReloadPlanTest {
    @TempDir
    Path dir;

    private ApplianceConfig load(String yaml) throws Exception {
        Path p = dir.resolve("c" + System.nanoTime() + ".yaml");
        Files.writeString(p, yaml, StandardCharsets.UTF_8);
        return new ConfigLoader().load(p, ConfigLoader.Overrides.none());
    }

    @Test
    void liveSectionsRunAtOnce_restartOnlyOnesAreReportedAndKept() throws Exception {
        ApplianceConfig now = load("""
                server:
                  threads: 1
                upstream:
                  servers: ["192.0.2.53"]
                blocklist:
                  ttl: 60s
                """);
        ApplianceConfig next = load("""
                server:
                  threads: 2
                upstream:
                  servers: ["192.0.2.54"]
                blocklist:
                  ttl: 120s
                  protectedDomains: [gov.vn, example.vn]
                """);
        ReloadPlan plan = ReloadPlan.of(now, next);
        assertThat(plan.restart()).containsExactly("server", "blocklist.protectedDomains");
        assertThat(plan.running().server()).isEqualTo(now.server());
        assertThat(plan.running().blocklist().protectedDomains())
                .isEqualTo(now.blocklist().protectedDomains());
        assertThat(plan.running().upstream()).isEqualTo(next.upstream());
        assertThat(plan.running().blocklist().ttl()).isEqualTo(next.blocklist().ttl());
        assertThat(plan.sourcesChange(now)).isFalse();
    }

    @Test
    void sameConfig_nothingToRestart() throws Exception {
        ApplianceConfig c = load("upstream:\n  servers: [\"192.0.2.53\"]\n");
        ReloadPlan plan = ReloadPlan.of(c, c);
        assertThat(plan.restart()).isEmpty();
        assertThat(plan.running()).isEqualTo(c);
    }
}
