package org.safenet.dns.appliance;

import java.util.ArrayList;
import java.util.List;
import org.safenet.dns.appliance.config.ApplianceConfig;

/**
 * What a reload would do, worked out from the running and the re-read configuration alone: the
 * keys that only take effect at a restart (reported, not applied), which live parts changed, and
 * the configuration that runs afterwards (the new live sections, the old ones for what needs a
 * restart). {@link Appliance#reload} applies it; this class changes nothing.
 *
 * @param restart keys whose change waits for a restart, in a stable order
 * @param running the configuration the appliance runs after the reload
 */
record ReloadPlan(List<String> restart, ApplianceConfig running) {
    ReloadPlan {
        restart = List.copyOf(restart);
    }

    static ReloadPlan of(ApplianceConfig now, ApplianceConfig next) {
        List<String> restart = new ArrayList<>();
        restartIfChanged(restart, "server", now.server(), next.server());
        restartIfChanged(restart, "cache", now.cache(), next.cache());
        restartIfChanged(restart, "dataDir", now.dataDir(), next.dataDir());
        restartIfChanged(restart, "admin", now.admin(), next.admin());
        restartIfChanged(restart, "stats", now.stats(), next.stats());
        restartIfChanged(restart, "dnstap", now.dnstap(), next.dnstap());
        restartIfChanged(
                restart, "upstream.mode", now.upstream().mode(), next.upstream().mode());
        restartIfChanged(
                restart,
                "upstream.rootHints",
                now.upstream().rootHints(),
                next.upstream().rootHints());
        restartIfChanged(
                restart,
                "upstream.authorityPort",
                now.upstream().authorityPort(),
                next.upstream().authorityPort());
        restartIfChanged(
                restart,
                "dnssec.validate",
                now.dnssec().validate(),
                next.dnssec().validate());
        restartIfChanged(
                restart,
                "dnssec.trustAnchors",
                now.dnssec().trustAnchors(),
                next.dnssec().trustAnchors());
        restartIfChanged(restart, "distribution", now.distribution(), next.distribution());
        restartIfChanged(
                restart,
                "blocklist.enabled",
                now.blocklist().enabled(),
                next.blocklist().enabled());
        restartIfChanged(
                restart,
                "blocklist.blockPageListen",
                now.blocklist().blockPageListen(),
                next.blocklist().blockPageListen());
        restartIfChanged(
                restart,
                "blocklist.protectedDomains",
                now.blocklist().protectedDomains(),
                next.blocklist().protectedDomains());
        restartIfChanged(
                restart, "sync.tsigKeys", now.sync().keys(), next.sync().keys());
        restartIfChanged(
                restart,
                "sync.initialBackoff",
                now.sync().initialBackoff(),
                next.sync().initialBackoff());
        ApplianceConfig running = new ApplianceConfig(
                now.server(),
                next.upstream().withRecursionOf(now.upstream()),
                next.access(),
                next.limits(),
                now.cache(),
                new ApplianceConfig.Blocklist(
                        now.blocklist().enabled(),
                        next.blocklist().categories(),
                        next.blocklist().blockPage(),
                        next.blocklist().ttl(),
                        next.blocklist().negativeTtl(),
                        now.blocklist().protectedDomains(),
                        now.blocklist().blockPageListen()),
                next.profiles(),
                next.clients(),
                next.policy(),
                restart.contains("sync.tsigKeys") ? now.sync() : next.sync(),
                now.distribution(),
                now.admin(),
                now.stats(),
                now.dnstap(),
                new ApplianceConfig.Dnssec(
                        now.dnssec().validate(),
                        now.dnssec().trustAnchors(),
                        next.dnssec().negativeTrustAnchors()),
                next.logging(),
                now.dataDir());
        return new ReloadPlan(restart, running);
    }

    /** Whether the list sources change live: not while their TSIG keys wait for a restart. */
    boolean sourcesChange(ApplianceConfig now) {
        return !restart.contains("sync.tsigKeys")
                && !now.sync().specs().equals(running.sync().specs());
    }

    private static void restartIfChanged(List<String> restart, String key, Object now, Object next) {
        if (!now.equals(next)) {
            restart.add(key);
        }
    }
}
