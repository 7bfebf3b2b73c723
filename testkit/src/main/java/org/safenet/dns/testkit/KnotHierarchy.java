package org.safenet.dns.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A DNS hierarchy of real Knot DNS servers on loopback, for recursion and DNSSEC tests: the root
 * on 127.53.0.1, {@code test.} on 127.53.0.2, and its children on 127.53.0.3, all on one port.
 *
 * <ul>
 *   <li>{@code secure.test}: signed by Knot (ECDSA P-256, NSEC)
 *   <li>{@code nsec3.test}: signed by Knot with NSEC3
 *   <li>{@code unsigned.test}: an unsigned delegation (no DS)
 *   <li>{@code bogus.test}: signed here with one signature broken (the A record of {@code www})
 *   <li>{@code expired.test}: signed here with signatures that expired yesterday
 *   <li>{@code nxns.test}: delegated to {@value #NXNS_SERVERS} server names without glue under
 *       {@code victim.test} (which exist nowhere): the NXNSAttack shape
 * </ul>
 *
 * Every zone has {@code www} (A 192.0.2.1 to .5 in the order above); {@code secure.test} also has
 * {@code alias} (CNAME to {@code www.nsec3.test}); both signed zones have a wildcard {@code *.wild}
 * (A 192.0.2.9). The root and {@code test.} are signed by Knot;
 * the DS records are read from the children once they serve. Each server logs the queries it
 * receives as dnstap ({@link #queryLog}).
 */
public final class KnotHierarchy implements AutoCloseable {
    public static final String ROOT_ADDRESS = "127.53.0.1";
    public static final String TLD_ADDRESS = "127.53.0.2";
    public static final String LEAF_ADDRESS = "127.53.0.3";
    public static final int NXNS_SERVERS = 30;

    private final Path dir;
    private final int port;
    private final List<Process> processes = new ArrayList<>();
    private String rootAnchor = "";

    private KnotHierarchy(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Builds and starts the hierarchy in {@code dir}, children first (their DS goes into the parents). */
    public static KnotHierarchy start(Path dir) throws Exception {
        KnotHierarchy h = new KnotHierarchy(dir, KnotServer.freePort());
        try {
            h.build();
            return h;
        } catch (Exception | Error e) {
            h.close();
            throw e;
        }
    }

    /** The port every server listens on (at its own address). */
    public int port() {
        return port;
    }

    /** A root hints file naming the root server of this hierarchy. */
    public Path rootHints() throws IOException {
        Path hints = dir.resolve("root.hints");
        Files.writeString(hints, """
                .                    3600000 NS a.root-servers.net.
                a.root-servers.net.  3600000 A  %s
                """.formatted(ROOT_ADDRESS));
        return hints;
    }

    /** The DS record of this hierarchy's root KSK, in zone-file syntax: the trust anchor. */
    public String rootAnchor() {
        return rootAnchor;
    }

    /** The dnstap file of the server at {@code address}'s received queries (complete after {@link #close}). */
    public Path queryLog(String address) {
        return dir.resolve(address).resolve("queries.dnstap");
    }

    private void build() throws Exception {
        // Children.
        Path leafDir = dir.resolve(LEAF_ADDRESS);
        Files.createDirectories(leafDir);
        List<String> leafZones = new ArrayList<>();
        leafZones.add(signedByKnot(leafDir, "secure.test.", "nsec", """
                www    300 IN A 192.0.2.1
                alias  300 IN CNAME www.nsec3.test.
                *.wild 300 IN A 192.0.2.9
                """));
        leafZones.add(
                signedByKnot(leafDir, "nsec3.test.", "nsec3", "www 300 IN A 192.0.2.2\n*.wild 300 IN A 192.0.2.9\n"));
        leafZones.add(plain(leafDir, "unsigned.test.", "www 300 IN A 192.0.2.3\n"));
        Presigned bogus = presigned(leafDir, "bogus.test.", "192.0.2.4", false);
        Presigned expired = presigned(leafDir, "expired.test.", "192.0.2.5", true);
        leafZones.add(bogus.zoneConfig);
        leafZones.add(expired.zoneConfig);
        launch(leafDir, LEAF_ADDRESS, String.join("", leafZones));
        DnsProbe leaf = new DnsProbe(new InetSocketAddress(LEAF_ADDRESS, port));
        String secureDs = dsOf(leaf, "secure.test.");
        String nsec3Ds = dsOf(leaf, "nsec3.test.");

        // test.
        Path tldDir = dir.resolve(TLD_ADDRESS);
        Files.createDirectories(tldDir);
        StringBuilder nxns = new StringBuilder();
        for (int i = 1; i <= NXNS_SERVERS; i++) {
            nxns.append("nxns 300 IN NS ns").append(i).append(".victim.test.\n");
        }
        String tld = signedByKnot(
                tldDir, "test.", "nsec", """
                ns.leaf  300 IN A %s
                secure   300 IN NS ns.leaf.test.
                %s
                nsec3    300 IN NS ns.leaf.test.
                %s
                unsigned 300 IN NS ns.leaf.test.
                bogus    300 IN NS ns.leaf.test.
                %s
                expired  300 IN NS ns.leaf.test.
                %s
                %s
                """.formatted(LEAF_ADDRESS, secureDs, nsec3Ds, bogus.ds, expired.ds, nxns));
        launch(tldDir, TLD_ADDRESS, tld);
        String tldDs = dsOf(new DnsProbe(new InetSocketAddress(TLD_ADDRESS, port)), "test.");

        // The root.
        Path rootDir = dir.resolve(ROOT_ADDRESS);
        Files.createDirectories(rootDir);
        String root = signedByKnot(rootDir, ".", "nsec", """
                a.root-servers.net. 3600 IN A %s
                test.               3600 IN NS ns.test.
                ns.test.            3600 IN A %s
                %s
                """.formatted(ROOT_ADDRESS, TLD_ADDRESS, tldDs));
        launch(rootDir, ROOT_ADDRESS, root);
        rootAnchor = dsOf(new DnsProbe(new InetSocketAddress(ROOT_ADDRESS, port)), ".");
    }

    /** Writes {@code zone}'s file (SOA, NS, {@code body}) and returns its knot.conf entry, signed by Knot. */
    private static String signedByKnot(Path dir, String zone, String policy, String body) throws IOException {
        writeZone(dir, zone, body);
        return """
                  - domain: %s
                    file: %s
                    dnssec-signing: on
                    dnssec-policy: %s
                """.formatted(zone, dir.resolve(fileName(zone)), policy);
    }

    private static String plain(Path dir, String zone, String body) throws IOException {
        writeZone(dir, zone, body);
        return """
                  - domain: %s
                    file: %s
                """.formatted(zone, dir.resolve(fileName(zone)));
    }

    private static String fileName(String zone) {
        return (zone.equals(".") ? "root" : zone) + "zone";
    }

    private static void writeZone(Path dir, String zone, String body) throws IOException {
        String ns = zone.equals(".") ? "a.root-servers.net." : zone.equals("test.") ? "ns.test." : "ns.leaf.test.";
        Files.writeString(dir.resolve(fileName(zone)), """
                $ORIGIN %s
                $TTL 300
                @ IN SOA %s hostmaster.test. 1 3600 600 86400 300
                @ IN NS %s
                %s
                """.formatted(zone, ns, ns, body), StandardCharsets.UTF_8);
    }

    private record Presigned(String zoneConfig, String ds) {}

    /**
     * A zone signed here with an ECDSA P-256 key (flags 257), NSEC: with every signature valid
     * but {@code www}'s A broken ({@code expired} false), or with every signature expired a day ago.
     */
    private static Presigned presigned(Path dir, String zone, String address, boolean expired) throws Exception {
        Name origin = Name.fromString(zone);
        Name www = Name.fromString("www", origin);
        Name ns = Name.fromString("ns.leaf.test.");
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        DNSKEYRecord key = new DNSKEYRecord(
                origin,
                DClass.IN,
                300,
                257,
                DNSKEYRecord.Protocol.DNSSEC,
                DNSSEC.Algorithm.ECDSAP256SHA256,
                pair.getPublic());
        List<Record> records = List.of(
                new SOARecord(
                        origin, DClass.IN, 300, ns, Name.fromString("hostmaster.test."), 1, 3600, 600, 86400, 300),
                new NSRecord(origin, DClass.IN, 300, ns),
                key,
                new ARecord(www, DClass.IN, 300, InetAddress.getByName(address)),
                new NSECRecord(
                        origin, DClass.IN, 300, www, new int[] {Type.SOA, Type.NS, Type.DNSKEY, Type.RRSIG, Type.NSEC}),
                new NSECRecord(www, DClass.IN, 300, origin, new int[] {Type.A, Type.RRSIG, Type.NSEC}));
        Instant now = Instant.now();
        Instant inception = expired ? now.minus(Duration.ofDays(30)) : now.minus(Duration.ofHours(1));
        Instant expiration = expired ? now.minus(Duration.ofDays(1)) : now.plus(Duration.ofDays(30));
        StringBuilder text = new StringBuilder();
        List<RRset> sets = new ArrayList<>();
        for (Record r : records) {
            RRset set = sets.stream()
                    .filter(s -> s.getName().equals(r.getName()) && s.getType() == r.getType())
                    .findFirst()
                    .orElse(null);
            if (set == null) {
                set = new RRset();
                sets.add(set);
            }
            set.addRR(r);
        }
        for (RRset set : sets) {
            RRSIGRecord sig = DNSSEC.sign(set, key, pair.getPrivate(), inception, expiration);
            if (!expired && set.getName().equals(www) && set.getType() == Type.A) {
                byte[] broken = sig.getSignature().clone();
                broken[broken.length / 2] ^= 0x5a;
                sig = new RRSIGRecord(
                        sig.getName(),
                        sig.getDClass(),
                        sig.getTTL(),
                        sig.getTypeCovered(),
                        sig.getAlgorithm(),
                        sig.getOrigTTL(),
                        sig.getExpire(),
                        sig.getTimeSigned(),
                        sig.getFootprint(),
                        sig.getSigner(),
                        broken);
            }
            for (Record r : set.rrs()) {
                text.append(r).append('\n');
            }
            text.append(sig).append('\n');
        }
        Files.writeString(dir.resolve(fileName(zone)), text.toString(), StandardCharsets.UTF_8);
        DSRecord ds = new DSRecord(origin, DClass.IN, 300, DNSSEC.Digest.SHA256, key);
        String config = """
                  - domain: %s
                    file: %s
                """.formatted(zone, dir.resolve(fileName(zone)));
        return new Presigned(config, ds.toString());
    }

    /** The DS (SHA-256) of {@code zone}'s KSKs, read from its server. */
    private static String dsOf(DnsProbe server, String zone) throws IOException {
        // Knot signs a zone just after loading it: wait for its keys.
        await().atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> !server.udp(zone, Type.DNSKEY)
                        .getSection(Section.ANSWER)
                        .isEmpty());
        Message m = server.udp(zone, Type.DNSKEY);
        StringBuilder out = new StringBuilder();
        for (Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof DNSKEYRecord k && (k.getFlags() & DNSKEYRecord.Flags.SEP_KEY) != 0) {
                out.append(new DSRecord(k.getName(), DClass.IN, 300, DNSSEC.Digest.SHA256, k))
                        .append('\n');
            }
        }
        if (out.isEmpty()) {
            throw new IOException("no KSK in " + zone + "'s DNSKEY answer: " + m);
        }
        return out.toString();
    }

    private void launch(Path serverDir, String address, String zones) throws IOException {
        Path knotd = Peers.require("knotd", "knot");
        Path conf = serverDir.resolve("knot.conf");
        Files.writeString(
                conf,
                """
                server:
                    listen: %s@%d
                    rundir: %s
                database:
                    storage: %s
                log:
                  - target: stderr
                    any: info
                mod-dnstap:
                  - id: queries
                    sink: %s
                    log-queries: on
                    log-responses: off
                policy:
                  - id: nsec
                    algorithm: ecdsap256sha256
                    nsec3: off
                  - id: nsec3
                    algorithm: ecdsap256sha256
                    nsec3: on
                    nsec3-iterations: 0
                template:
                  - id: default
                    global-module: mod-dnstap/queries
                    zonefile-sync: -1
                    journal-content: none
                zone:
                %s
                """.formatted(address, port, serverDir, serverDir, queryLogOf(serverDir), zones),
                StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(knotd.toString(), "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(serverDir.resolve("knotd.log").toFile())
                .start();
        processes.add(p);
        DnsProbe probe = new DnsProbe(new InetSocketAddress(address, port));
        String someZone = zones.lines()
                .filter(l -> l.contains("domain:"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip())
                .findFirst()
                .orElseThrow();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException(
                            "knotd exited: " + Files.readString(serverDir.resolve("knotd.log")));
                }
                try {
                    Message m = probe.udp(someZone, Type.DNSKEY);
                    return m.getRcode() == 0;
                } catch (IOException notYet) {
                    return false;
                }
            });
        } catch (RuntimeException e) {
            throw new IOException(
                    "knotd on " + address + " did not start; log: " + Files.readString(serverDir.resolve("knotd.log")),
                    e);
        }
    }

    private static Path queryLogOf(Path serverDir) {
        return serverDir.resolve("queries.dnstap");
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
