package org.safenet.dns.appliance.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.appliance.Appliance;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigLoader;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.blocklist.sync.SyncResult;
import org.safenet.dns.blocklist.sync.SyncService;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.SharedData;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferIn;

/**
 * RPZ over the DNS protocol with a real Knot DNS (Debian {@code knot}) on loopback, TSIG
 * (HMAC-SHA256) on every transfer and NOTIFY: the appliance as a secondary of a Knot primary
 * (AXFR, then NOTIFY and IXFR for an addition and a removal), and as the primary of a Knot
 * secondary (its copy equals the appliance's list; an addition arrives by NOTIFY and IXFR).
 */
class RpzTransferInteropTest {
    private static final String KEY_NAME = "safenet-test-key";

    @TempDir
    Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();
    private final String secret = randomSecret();

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    private static String randomSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    /** The first names of the real vn-badsite list (MIT/CC0), lowercased, comments dropped. */
    private static List<String> vnNames(int from, int count) throws Exception {
        Set<String> out = new LinkedHashSet<>();
        for (String l : Files.readAllLines(SharedData.path("vn/chongluadao-vn-badsite-filter-domains.txt"))) {
            String t = l.trim().toLowerCase(Locale.ROOT);
            if (!t.isEmpty() && !t.startsWith("#") && t.matches("[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z][a-z0-9-]*")) {
                out.add(t);
            }
        }
        return new ArrayList<>(out).subList(from, from + count);
    }

    private static String rpzZone(String origin, long serial, List<String> names) {
        StringBuilder z = new StringBuilder();
        z.append("$ORIGIN ").append(origin).append(".\n$TTL 300\n");
        z.append("@ SOA localhost. hostmaster.localhost. ").append(serial).append(" 3600 600 604800 60\n");
        z.append("@ NS localhost.\n");
        for (String n : names) {
            z.append(n).append(" CNAME .\n*.").append(n).append(" CNAME .\n");
        }
        return z.toString();
    }

    private String keySection() {
        return """
                key:
                  - id: %s
                    algorithm: hmac-sha256
                    secret: %s
                """.formatted(KEY_NAME, secret);
    }

    private Appliance startAppliance(int port, String extraYaml) throws Exception {
        return startAppliance(port, dir, extraYaml);
    }

    private Appliance startAppliance(int port, Path dir, String extraYaml) throws Exception {
        Path config = dir.resolve("safenet.yaml");
        Files.writeString(config, """
                server:
                  listen: ["127.0.0.1:%d"]
                  threads: 1
                upstream:
                  servers: ["127.0.0.1:9"]
                blocklist:
                  blockPageListen: []
                admin:
                  listen: []
                dataDir: %s
                %s
                """.formatted(port, dir.resolve("data"), extraYaml), StandardCharsets.UTF_8);
        ApplianceConfig c = new ConfigLoader().load(config, ConfigLoader.Overrides.none());
        Appliance a = new Appliance(c);
        running.add(a);
        a.start();
        return a;
    }

    private static boolean sinkholed(DnsProbe probe, String name) throws Exception {
        Message m = probe.udp(name + ".", Type.A);
        return m.getRcode() == 0
                && m.getSection(1).stream()
                        .anyMatch(r -> r instanceof ARecord a
                                && a.getAddress().getHostAddress().equals("127.0.0.1"));
    }

    @Test
    void applianceAsSecondary_ofKnot_axfrThenNotifyAndIxfr() throws Exception {
        List<String> names = vnNames(0, 300);
        Path knotDir = Files.createDirectories(dir.resolve("knot-primary"));
        int knotPort = KnotServer.freePort();
        int appPort = KnotServer.freePort();
        Path zoneFile = knotDir.resolve("rpz.test.zone");
        Files.writeString(zoneFile, rpzZone("rpz.test", 1, names));
        KnotServer knot = KnotServer.startWithConfig(
                knotDir, knotPort, "rpz.test.", keySection() + """
                remote:
                  - id: appliance
                    address: 127.0.0.1@%d
                    key: %s
                acl:
                  - id: transfer
                    address: 127.0.0.1
                    key: %s
                    action: transfer
                zone:
                  - domain: rpz.test
                    file: %s
                    notify: appliance
                    acl: transfer
                    zonefile-load: difference
                    journal-content: changes
                    zonefile-sync: -1
                """.formatted(appPort, KEY_NAME, KEY_NAME, zoneFile));
        running.add(knot);

        Appliance appliance = startAppliance(appPort, """
                sync:
                  tsigKeys:
                    - {name: %s, algorithm: hmac-sha256, secret: "%s"}
                  sources:
                    - name: knot-rpz
                      type: rpz
                      primary: "127.0.0.1:%d"
                      zone: rpz.test
                      tsigKey: %s
                      category: scam
                      action: block
                      refresh: 1h
                """.formatted(KEY_NAME, secret, knotPort, KEY_NAME));
        SyncService sync = appliance.sync();
        DnsProbe probe = new DnsProbe(appliance.resolver().boundAddresses().getFirst());

        // Initial AXFR, at start.
        await().atMost(Duration.ofSeconds(30)).until(() -> sinkholed(probe, names.get(10)));
        assertThat(sinkholed(probe, "www." + names.get(20)))
                .as("the *. record: below the name too")
                .isTrue();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !sync.history("knot-rpz").isEmpty());
        SyncResult axfr = sync.history("knot-rpz").getFirst();
        assertThat(axfr.detail()).startsWith("AXFR serial 1");
        assertThat(axfr.added()).isBetween(290, 300); // a few real names are public suffixes: refused
        assertThat(appliance.liveList().store().sourceSize("knot-rpz")).isEqualTo(axfr.added());

        // The primary's zone changes: one name added, one removed; Knot sends NOTIFY, we IXFR.
        String added = vnNames(500, 1).getFirst();
        List<String> next = new ArrayList<>(names.subList(1, names.size()));
        next.add(added);
        Files.writeString(zoneFile, rpzZone("rpz.test", 2, next));
        knot.control("zone-reload", "rpz.test");
        await().atMost(Duration.ofSeconds(30)).until(() -> sinkholed(probe, added));
        await().atMost(Duration.ofSeconds(10)).until(() -> !sinkholed(probe, names.getFirst()));
        // The sync that brought serial 2 (a repeated NOTIFY may add a "serial 2 is current" after it);
        // its record is written just after the change is live.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> sync.history("knot-rpz").stream()
                        .anyMatch(r -> r.detail().startsWith("IXFR serial 1 -> 2")));
        SyncResult ixfr = sync.history("knot-rpz").stream()
                .filter(r -> r.detail().startsWith("IXFR serial 1 -> 2"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no IXFR to serial 2: " + sync.history("knot-rpz")));
        assertThat(ixfr.trigger()).isEqualTo("notify");
        assertThat(ixfr.detail()).startsWith("IXFR serial 1 -> 2");
        assertThat(ixfr.added()).isEqualTo(1);
        assertThat(ixfr.removed()).isEqualTo(1);

        // A removal alone.
        Files.writeString(zoneFile, rpzZone("rpz.test", 3, next.subList(1, next.size())));
        knot.control("zone-reload", "rpz.test");
        await().atMost(Duration.ofSeconds(30)).until(() -> !sinkholed(probe, next.getFirst()));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> sync.history("knot-rpz").stream()
                        .anyMatch(r -> r.detail().startsWith("IXFR serial 2 -> 3") && r.removed() == 1));
        assertThat(knot.log()).doesNotContain("TSIG").as("every TSIG check passed on Knot's side");
    }

    @Test
    void applianceAsPrimary_knotSecondaryConverges_andFollowsByNotifyAndIxfr() throws Exception {
        int knotPort = KnotServer.freePort();
        int appPort = KnotServer.freePort();
        Appliance appliance = startAppliance(appPort, """
                sync:
                  tsigKeys:
                    - {name: %s, algorithm: hmac-sha256, secret: "%s"}
                distribution:
                  enabled: true
                  zone: rpz.safenet.test
                  allowTransfer: [127.0.0.0/8]
                  tsigKey: %s
                  notify: ["127.0.0.1:%d"]
                """.formatted(KEY_NAME, secret, KEY_NAME, knotPort));
        LiveList live = appliance.liveList();
        BlocklistStore.Changes initial = new BlocklistStore.Changes();
        for (String n : vnNames(0, 500)) {
            initial.block(entry(n, "vn"));
        }
        live.apply(initial.counted("vn", 500));

        Path knotDir = Files.createDirectories(dir.resolve("knot-secondary"));
        KnotServer knot = KnotServer.startWithConfig(
                knotDir, knotPort, "rpz.safenet.test.", keySection() + """
                remote:
                  - id: appliance
                    address: 127.0.0.1@%d
                    key: %s
                acl:
                  - id: notify-from-appliance
                    address: 127.0.0.1
                    key: %s
                    action: notify
                  - id: transfer-out
                    address: 127.0.0.1
                    action: transfer
                zone:
                  - domain: rpz.safenet.test
                    master: appliance
                    acl: [notify-from-appliance, transfer-out]
                    zonefile-sync: -1
                    journal-content: changes
                """.formatted(appPort, KEY_NAME, KEY_NAME));
        running.add(knot);
        DnsProbe knotProbe = new DnsProbe(knot.address());
        long version = live.store().listVersion();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> knotSerial(knotProbe) == version);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("Knot did not transfer serial " + version + "; its log:\n" + knot.log(), e);
        }

        // Knot's copy holds exactly the appliance's list: every name and its subtree, and the
        // metadata record a SafeNet DNS follower reads (to Knot, one more plain RPZ record).
        Set<String> expected = new TreeSet<>();
        for (String n : vnNames(0, 500)) {
            expected.add(n + "._safenet-meta.rpz.safenet.test. TXT category=scam source=vn action=block");
            expected.add(n + ".rpz.safenet.test. CNAME .");
            expected.add("*." + n + ".rpz.safenet.test. CNAME .");
        }
        assertThat(zoneOf(knot)).isEqualTo(expected);

        // An addition through the store: NOTIFY, then Knot asks for IXFR.
        String added = vnNames(600, 1).getFirst();
        live.apply(new BlocklistStore.Changes().block(entry(added, "operator")).counted("operator", 1));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> knotSerial(knotProbe) == version + 1);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("Knot did not follow to serial " + (version + 1) + "; its log:\n" + knot.log(), e);
        }
        assertThat(zoneOf(knot)).contains(added + ".rpz.safenet.test. CNAME .");
        assertThat(knot.log()).containsIgnoringCase("IXFR").doesNotContain("TSIG, failed");
        assertThat(appliance.registry().find("safenet.rpz.messages").counters())
                .as(knot.log())
                .anyMatch(c -> "ixfr".equals(c.getId().getTag("kind")) && c.count() >= 1);
    }

    @Test
    void secondAppliance_followsTheFirst_andConvergesToTheSameList() throws Exception {
        int portA = KnotServer.freePort();
        int portB = KnotServer.freePort();
        Path dirA = Files.createDirectories(dir.resolve("a"));
        Path dirB = Files.createDirectories(dir.resolve("b"));
        Appliance a = startAppliance(portA, dirA, """
                sync:
                  tsigKeys:
                    - {name: %s, algorithm: hmac-sha256, secret: "%s"}
                distribution:
                  enabled: true
                  zone: rpz.fleet.test
                  tsigKey: %s
                  notify: ["127.0.0.1:%d"]
                """.formatted(KEY_NAME, secret, KEY_NAME, portB));
        LiveList listA = a.liveList();
        BlocklistStore.Changes initial = new BlocklistStore.Changes();
        // Only names an import would take (a few real ones are public suffixes, which B would refuse).
        org.safenet.dns.blocklist.importer.ListImporter rules =
                new org.safenet.dns.blocklist.importer.ListImporter(listA.store(), List.of("gov.vn"), () -> 0);
        int count = 0;
        for (String n : vnNames(0, 2000)) {
            if (rules.refusal(entry(n, "vn").reversedName()) == null) {
                initial.block(entry(n, "vn"));
                count++;
            }
        }
        initial.ip(new StoredEntry("192.0.2.0/24", Match.EXACT, Action.NXDOMAIN, "malware", "vn", "", 1, 0, null));
        listA.apply(initial.counted("vn", count + 1));

        Appliance b = startAppliance(portB, dirB, """
                sync:
                  tsigKeys:
                    - {name: %s, algorithm: hmac-sha256, secret: "%s"}
                  sources:
                    - name: upstream-appliance
                      type: rpz
                      primary: "127.0.0.1:%d"
                      zone: rpz.fleet.test
                      tsigKey: %s
                      category: scam
                      action: block
                """.formatted(KEY_NAME, secret, portA, KEY_NAME));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> names(b).equals(names(a)));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            Set<String> onlyA = new TreeSet<>(names(a));
            onlyA.removeAll(names(b));
            Set<String> onlyB = new TreeSet<>(names(b));
            onlyB.removeAll(names(a));
            throw new AssertionError(
                    "B did not converge: " + b.sync().history("upstream-appliance") + "\nonly on A: "
                            + onlyA.stream().limit(5).toList() + "\nonly on B: "
                            + onlyB.stream().limit(5).toList(),
                    e);
        }

        // A change on the first: NOTIFY, IXFR, and the second has it too.
        String added = vnNames(3000, 1).getFirst();
        listA.apply(new BlocklistStore.Changes()
                .block(entry(added, "operator"))
                .removeBlock(entry(vnNames(0, 1).getFirst(), "vn").reversedName(), Match.SUBTREE, "vn")
                .ip(new StoredEntry(
                        "2001:db8::/32", Match.EXACT, Action.NXDOMAIN, "malware", "operator", "", 1, 0, null))
                .counted("operator", 1)
                .counted("vn", -1));
        await().atMost(Duration.ofSeconds(30)).until(() -> names(b).equals(names(a)));
        // The same categories and sources on both: B's own source says "scam", A's metadata wins.
        assertThat(names(b)).contains("192.0.2.0/24/EXACT malware vn", "2001:db8::/32/EXACT malware operator");
        assertThat(names(b)).hasSize(count + 2).contains(entry(added, "x").reversedName() + "/SUBTREE scam operator");
        await().atMost(Duration.ofSeconds(10))
                .alias("the change came by IXFR (a later check may find the serial current)")
                .until(() -> b.sync().history("upstream-appliance").stream()
                        .anyMatch(r -> r.detail().startsWith("IXFR serial 1 -> 2")));
    }

    /** Every block entry's name, match kind, category and the source people are shown (a follower's: the origin). */
    private static Set<String> names(Appliance appliance) {
        Set<String> out = new TreeSet<>();
        appliance.liveList().store().forEachBlock(e -> out.add(describe(e)));
        appliance.liveList().store().forEachIp(e -> out.add(describe(e)));
        return out;
    }

    private static String describe(StoredEntry e) {
        // B's source says action: block, so B's actions are its categories' by its own choice.
        return e.reversedName() + "/" + e.match() + " " + e.category() + " " + e.shownSource();
    }

    private static StoredEntry entry(String name, String source) {
        StringBuilder reversed = new StringBuilder();
        String[] labels = name.split("\\.");
        for (int i = labels.length - 1; i >= 0; i--) {
            reversed.append(labels[i]).append(i > 0 ? "." : "");
        }
        return new StoredEntry(reversed.toString(), Match.SUBTREE, Action.BLOCK, "scam", source, "test", 1, 0, null);
    }

    private static long knotSerial(DnsProbe probe) throws Exception {
        Message m = probe.udp("rpz.safenet.test.", Type.SOA);
        return m.getSection(1).stream()
                .filter(r -> r instanceof SOARecord)
                .mapToLong(r -> ((SOARecord) r).getSerial())
                .findFirst()
                .orElse(-1);
    }

    /** The secondary's zone, by AXFR from it, as "owner TYPE rdata" (SOA and NS left out). */
    private static Set<String> zoneOf(KnotServer knot) throws Exception {
        ZoneTransferIn xfr = ZoneTransferIn.newAXFR(Name.fromString("rpz.safenet.test."), knot.address(), (TSIG) null);
        xfr.run();
        Set<String> out = new TreeSet<>();
        for (Record r : xfr.getAXFR()) {
            if (r.getType() != Type.SOA && r.getType() != Type.NS) {
                out.add(r.getName() + " " + Type.string(r.getType()) + " " + r.rdataToString());
            }
        }
        return out;
    }
}
