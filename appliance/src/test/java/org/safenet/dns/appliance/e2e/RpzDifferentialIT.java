package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAR;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAVA;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.UnboundServer;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The same policy zone, in the full zone-file syntax, loaded by SafeNet DNS ({@code safenet
 * import --format rpz}) and by Unbound 1.17 from Debian ({@code rpz:} with {@code zonefile}), both
 * forwarding to the same Knot DNS; every query of a generated set asked of both, and the answers
 * compared: rcode, the AA and TC flags, the answer section (names, types and data; TTLs are not
 * compared: they age). Every difference must be one listed in {@link #KNOWN} with its reason (the
 * same reasons as the table in docs/operations.md), and every listed one must still happen: the
 * list stays true both ways.
 */
class RpzDifferentialIT {
    @TempDir
    Path dir;

    /** The upstream's data: names that policies hit, names they do not, addresses RPZ-IP triggers hit. */
    private static final String UPSTREAM_ZONE = """
            $ORIGIN example.test.
            $TTL 300
            @       SOA ns admin 1 7200 900 86400 60
            @       NS  ns
            ns      A   127.0.0.1
            www     A   192.0.2.80
            www     AAAA 2001:db8::80
            www     TXT "hello"
            www     MX  10 mail
            mail    A   192.0.2.25
            alias   CNAME www
            iphit   A   198.51.100.7
            iphit6  AAAA 2001:db8:bad::7
            chain   CNAME iphit
            lochit  A   192.0.2.30
            cnhit   A   192.0.2.31
            tcphit  A   192.0.2.32
            open    A   198.51.100.8
            *.wild  A   192.0.2.81
            """;

    /**
     * Every trigger and action that both implement, written as BIND and Knot write zones: $TTL and
     * $ORIGIN, a multi-line SOA with comments, blank owners, class and TTL in either order, quoted
     * strings, relative and absolute owners.
     */
    private static final String POLICY_ZONE = """
            $TTL 60
            $ORIGIN rpz.example.
            @   IN SOA ns.rpz.example. admin.rpz.example. (
                    2026120701 ; serial
                    3600       ; refresh
                    600 86400 60 )
                IN NS ns.rpz.example.
            ; QNAME triggers
            nx.example.test              CNAME .
            nodata.example.test          CNAME *.
            *.sub.example.test           CNAME .
            www.example.test             CNAME rpz-passthru.
            www.sub.example.test.rpz.example. CNAME rpz-passthru. ; an absolute owner
            drop.example.test            CNAME rpz-drop.
            tcp.example.test             CNAME rpz-tcp-only.
            rewrite.example.test         CNAME www.example.test.
            local.example.test           A 192.0.2.55
                                         AAAA 2001:db8::55
                                         TXT "line one" "line two; with a semicolon"
                                         MX ( 5
                                              mx.local.example. )
            mail.example.test 120 IN     A 192.0.2.26
            srv.example.test  120 IN     SRV 0 5 443 www.example.test. ; (Unbound refuses IN before the TTL)
            ; response-IP triggers
            32.7.100.51.198.rpz-ip       CNAME .
            128.7.zz.bad.db8.2001.rpz-ip CNAME *.
            32.30.2.0.192.rpz-ip         A 192.0.2.99
            32.31.2.0.192.rpz-ip         CNAME www.example.test.
            32.32.2.0.192.rpz-ip         CNAME rpz-tcp-only.
            32.8.100.51.198.rpz-ip       CNAME rpz-passthru.
            24.0.100.51.198.rpz-ip       CNAME .
            ; client-IP trigger: queries from 127.0.0.2
            32.2.0.0.127.rpz-client-ip   CNAME .
            """;

    private static final List<String> NAMES = List.of(
            "nx", "nodata", "a.sub", "b.a.sub", "sub", "www", "www.sub", "tcp", "rewrite", "local", "mail", "srv",
            "iphit", "iphit6", "chain", "alias", "lochit", "cnhit", "tcphit", "open", "x.wild", "missing");

    private static final List<Integer> TYPES = List.of(Type.A, Type.AAAA, Type.TXT, Type.MX, Type.HTTPS, Type.SRV);

    /**
     * The differences that stay, by query, with the reason. Keys: {@code name/TYPE} (UDP, from
     * 127.0.0.1) or {@code name/TYPE/client} (from 127.0.0.2).
     */
    private static final Map<String, String> KNOWN = known();

    private static Map<String, String> known() {
        Map<String, String> k = new TreeMap<>();
        String chain = "an RPZ-IP trigger hit behind a CNAME: Unbound keeps the CNAME it followed in the answer;"
                + " SafeNet DNS answers the question's name alone, as BIND rewrites the whole response";
        k.put("chain.example.test./A", chain);
        return k;
    }

    @Test
    void samePolicyZone_sameAnswersAsUnbound_exceptTheListedDifferences() throws Exception {
        Peers.require("unbound", "unbound");
        Path zoneFile = dir.resolve("policy.rpz");
        Files.writeString(zoneFile, POLICY_ZONE, StandardCharsets.UTF_8);
        Path data = dir.resolve("safenet");
        Process imported = new ProcessBuilder(
                        JAVA,
                        "-jar",
                        JAR,
                        "import",
                        "--data-dir",
                        data.toString(),
                        "--format",
                        "rpz",
                        "--category",
                        "scam",
                        "--source",
                        "policy",
                        zoneFile.toString())
                .redirectErrorStream(true)
                .start();
        String importLog = new String(imported.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(imported.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(imported.exitValue()).as(importLog).isZero();
        assertThat(importLog).as("every record of the zone read").contains(" 0 invalid");

        Path knotDir = Files.createDirectories(dir.resolve("knot"));
        try (KnotServer knot = KnotServer.start(knotDir, "example.test.", UPSTREAM_ZONE);
                UnboundServer unbound = unbound(dir.resolve("unbound"), zoneFile, knot.hostPort());
                RunningAppliance safenet = RunningAppliance.start(data, knot.hostPort())) {
            InetSocketAddress ours = new InetSocketAddress(InetAddress.getLoopbackAddress(), safenet.dnsPort());
            // Listening is not ready: Unbound answers once the policy zone is loaded and Knot is reachable.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> ask(unbound.address(), "127.0.0.1", "www.example.test.", Type.A) != null);
            Map<String, String> differences = new LinkedHashMap<>();
            Map<String, String> answers = new TreeMap<>();
            int compared = 0;
            for (String client : List.of("127.0.0.1", "127.0.0.2")) {
                for (String label : NAMES) {
                    for (int type : TYPES) {
                        if (client.equals("127.0.0.2") && type != Type.A) {
                            continue; // the client trigger applies to every name and type alike
                        }
                        String name = label + ".example.test.";
                        String theirs = describe(ask(unbound.address(), client, name, type));
                        String mine = describe(ask(ours, client, name, type));
                        answers.put(
                                label + "/" + Type.string(type) + (client.equals("127.0.0.1") ? "" : "/client"), mine);
                        compared++;
                        if (!theirs.equals(mine)) {
                            String key = name + "/" + Type.string(type) + (client.equals("127.0.0.1") ? "" : "/client");
                            differences.put(key, "unbound: " + theirs + "\n    safenet: " + mine);
                        }
                    }
                }
            }
            // The policies did apply (agreeing on nothing would also be agreement).
            assertThat(answers)
                    .containsEntry("nx/A", "NXDOMAIN aa []")
                    .containsEntry("nodata/AAAA", "NOERROR aa []")
                    .containsEntry("b.a.sub/A", "NXDOMAIN aa []")
                    .as("passthru beats the wildcard above it: the upstream's own NXDOMAIN, not the policy's")
                    .containsEntry("www.sub/A", "NXDOMAIN []")
                    .containsEntry("tcp/A", "NOERROR aa tc []")
                    .containsEntry(
                            "local/TXT",
                            "NOERROR aa [local.example.test. txt \"line one\" \"line two; with a semicolon\"]")
                    .containsEntry("local/MX", "NOERROR aa [local.example.test. mx 5 mx.local.example.]")
                    .containsEntry("local/HTTPS", "NOERROR aa []")
                    .containsEntry("srv/SRV", "NOERROR aa [srv.example.test. srv 0 5 443 www.example.test.]")
                    .containsEntry(
                            "rewrite/A",
                            "NOERROR aa [rewrite.example.test. cname www.example.test., www.example.test. a 192.0.2.80]")
                    .containsEntry("iphit/A", "NXDOMAIN []")
                    .containsEntry("iphit6/AAAA", "NOERROR []")
                    .containsEntry("lochit/A", "NOERROR [lochit.example.test. a 192.0.2.99]")
                    .containsEntry("open/A", "NOERROR [open.example.test. a 198.51.100.8]")
                    .containsEntry(
                            "cnhit/A",
                            "NOERROR [cnhit.example.test. cname www.example.test., www.example.test. a 192.0.2.80]")
                    .containsEntry("www/A/client", "NXDOMAIN aa []");
            assertThat(answers.get("tcphit/A"))
                    .as("rpz-tcp-only on an answer address, over UDP")
                    .contains(" tc ");
            // Local data keeps the zone's TTL (120 given on the record, 60 from $TTL), as Unbound's does.
            for (InetSocketAddress server : List.of(unbound.address(), ours)) {
                Message mail = ask(server, "127.0.0.1", "mail.example.test.", Type.A);
                assertThat(mail.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(120);
                Message local = ask(server, "127.0.0.1", "local.example.test.", Type.TXT);
                assertThat(local.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(60);
            }
            // rpz-tcp-only over TCP: the answer stands, on both.
            for (InetSocketAddress server : List.of(unbound.address(), ours)) {
                assertThat(DnsProbe.firstAnswer(new DnsProbe(server).tcp("tcphit.example.test.", Type.A)))
                        .isEqualTo("192.0.2.32");
            }
            // drop: neither answers at all.
            assertThat(ask(unbound.address(), "127.0.0.1", "drop.example.test.", Type.A))
                    .isNull();
            assertThat(ask(ours, "127.0.0.1", "drop.example.test.", Type.A)).isNull();
            StringBuilder report = new StringBuilder("compared " + compared + " answers; differences:\n");
            differences.forEach((k, v) -> report.append("  ")
                    .append(k)
                    .append(KNOWN.containsKey(k) ? " (known: " + KNOWN.get(k) + ")" : " (NOT KNOWN)")
                    .append("\n    ")
                    .append(v)
                    .append('\n'));
            assertThat(differences.keySet()).as(report.toString()).containsExactlyInAnyOrderElementsOf(KNOWN.keySet());
            // ... and the operator's table says so (docs/operations.md, "Response policy zones").
            String operations = Files.readString(Path.of("../docs/operations.md"), StandardCharsets.UTF_8);
            assertThat(operations).contains("RpzDifferentialIT").contains("**An RPZ-IP hit behind a CNAME**");
        }
    }

    /** The answer to one UDP query from {@code client}, or null when none came within 1.5 s. */
    private static Message ask(InetSocketAddress server, String client, String name, int type) throws IOException {
        byte[] query = DnsProbe.query(name, type, 1232).toWire();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(client), 0))) {
            s.setSoTimeout(1500);
            s.send(new DatagramPacket(query, query.length, server));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException none) {
                return null;
            }
            return new Message(Arrays.copyOf(p.getData(), p.getLength()));
        }
    }

    /** What is compared: rcode, AA, TC and the answer section without TTLs, in a stable order. */
    private static String describe(Message m) {
        if (m == null) {
            return "no answer";
        }
        List<String> answers = new ArrayList<>();
        for (Record r : m.getSection(Section.ANSWER)) {
            answers.add(
                    (r.getName() + " " + Type.string(r.getType()) + " " + r.rdataToString()).toLowerCase(Locale.ROOT));
        }
        answers.sort(null);
        return Rcode.string(m.getRcode())
                + (m.getHeader().getFlag(Flags.AA) ? " aa" : "")
                + (m.getHeader().getFlag(Flags.TC) ? " tc" : "")
                + " " + answers;
    }

    /** Unbound 1.17 as a forwarder with the policy zone, one thread, on a free loopback port. */
    private static UnboundServer unbound(Path dir, Path zoneFile, String upstream) throws IOException {
        return UnboundServer.start(dir, """
                  module-config: "respip iterator"
                  do-not-query-localhost: no
                  access-control: 127.0.0.0/8 allow
                  local-zone: "test." nodefault
                  domain-insecure: "test."
                """, """
                forward-zone:
                  name: "."
                  forward-addr: %s
                rpz:
                  name: rpz.example.
                  zonefile: "%s"
                """.formatted(upstream.replace(':', '@'), zoneFile), null);
    }
}
