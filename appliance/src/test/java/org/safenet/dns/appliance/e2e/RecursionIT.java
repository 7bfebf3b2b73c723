package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.KnotHierarchy;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.UnboundServer;

/**
 * The packaged appliance as a validating resolver, configured by the fixed keys ({@code
 * upstream.mode}, {@code upstream.rootHints}, {@code dnssec.trustAnchors}, {@code
 * dnssec.negativeTrustAnchors}) against a hierarchy of real Knot servers, asked by BIND's dig:
 * recursive from that root, and forwarding to Unbound (which does not validate here) with
 * validation of its own. The blocklist still decides first.
 */
class RecursionIT {
    @TempDir
    static Path dir;

    private static KnotHierarchy hierarchy;
    private static UnboundServer unbound;

    @BeforeAll
    static void start() throws Exception {
        hierarchy = KnotHierarchy.start(dir.resolve("hierarchy"));
        // Unbound as a plain recursive upstream of that hierarchy: iterator only, no validator, so
        // what it hands on is checked by SafeNet DNS alone; test. is not its own (RFC 6761) here.
        unbound = UnboundServer.start(dir.resolve("unbound"), """
                  do-not-query-localhost: no
                  module-config: "iterator"
                  qname-minimisation: no
                  local-zone: "test." nodefault
                """, stubs(), null);
    }

    /** Unbound asks authoritative servers on port 53 but for stub zones: one per zone of the hierarchy. */
    private static String stubs() {
        StringBuilder out = new StringBuilder();
        Map<String, String> zones = new LinkedHashMap<>();
        zones.put(".", KnotHierarchy.ROOT_ADDRESS);
        zones.put("test.", KnotHierarchy.TLD_ADDRESS);
        for (String child : List.of("secure", "nsec3", "unsigned", "bogus", "expired")) {
            zones.put(child + ".test.", KnotHierarchy.LEAF_ADDRESS);
        }
        zones.forEach((zone, address) -> out.append("""
                stub-zone:
                  name: "%s"
                  stub-addr: %s@%d
                """.formatted(zone, address, hierarchy.port())));
        return out.toString();
    }

    @AfterAll
    static void stop() {
        if (unbound != null) {
            unbound.close();
        }
        if (hierarchy != null) {
            hierarchy.close();
        }
    }

    private static String anchors() {
        return "  trustAnchors: [\"" + hierarchy.rootAnchor().strip() + "\"]\n";
    }

    /** dig +dnssec's answer: the header comments (flags, status, EDE) and the answer lines. */
    private static String dig(int port, String name) throws IOException, InterruptedException {
        Path digBinary = Peers.require("dig", "dnsutils");
        Process p = new ProcessBuilder(
                        digBinary.toString(),
                        "@127.0.0.1",
                        "-p",
                        Integer.toString(port),
                        "+dnssec",
                        "+tries=1",
                        "+time=5",
                        "+noall",
                        "+comments",
                        "+answer",
                        name,
                        "A")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static boolean ad(String digOutput) {
        return digOutput.lines().anyMatch(l -> l.startsWith(";; flags:") && l.contains(" ad"));
    }

    @Test
    void recursiveMode_validatesFromTheConfiguredRoot_andTheBlocklistDecidesFirst() throws Exception {
        String token = "recursion-it-0123456789abcdef0123456789abcdef";
        try (RunningAppliance a = RunningAppliance.start(
                dir.resolve("recursive"),
                "127.0.0.1:9",
                """
                upstream:
                  mode: recursive
                  rootHints: %s
                  authorityPort: %d
                dnssec:
                %s  negativeTrustAnchors: [expired.test]
                """.formatted(hierarchy.rootHints(), hierarchy.port(), anchors()),
                Map.of("SAFENET_ADMIN_TOKEN", token))) {
            String secure = dig(a.dnsPort(), "www.secure.test");
            assertThat(secure).contains("status: NOERROR").contains("192.0.2.1");
            assertThat(ad(secure)).as(secure).isTrue();

            String insecure = dig(a.dnsPort(), "www.unsigned.test");
            assertThat(insecure).contains("status: NOERROR").contains("192.0.2.3");
            assertThat(ad(insecure)).as(insecure).isFalse();

            String bogus = dig(a.dnsPort(), "www.bogus.test");
            assertThat(bogus).contains("status: SERVFAIL").contains("EDE: 6 (DNSSEC Bogus)");

            String underNta = dig(a.dnsPort(), "www.expired.test");
            assertThat(underNta).contains("status: NOERROR").contains("192.0.2.5");
            assertThat(ad(underNta)).as(underNta).isFalse();

            // A listed name is sinkholed, bogus or not: the sinkhole is local data.
            HttpResponse<String> added = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.adminPort() + "/api/v1/entries"))
                                    .header("Authorization", "Bearer " + token)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(
                                            "{\"name\": \"bogus.test\", \"category\": \"malware\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
            String blocked = dig(a.dnsPort(), "www.bogus.test");
            assertThat(blocked).contains("status: NOERROR").contains("EDE: 15 (Blocked)");
            assertThat(ad(blocked)).isFalse();
        }
    }

    @Test
    void forwardingMode_validatesWhatADoCapableUpstreamReturns() throws Exception {
        try (RunningAppliance a = RunningAppliance.start(
                dir.resolve("forwarding"), "127.0.0.1:" + unbound.port(), """
                dnssec:
                  validate: true
                %s""".formatted(anchors()))) {
            String secure = dig(a.dnsPort(), "www.nsec3.test");
            assertThat(secure).contains("status: NOERROR").contains("192.0.2.2");
            assertThat(ad(secure)).as(secure).isTrue();

            String expired = dig(a.dnsPort(), "www.expired.test");
            assertThat(expired).contains("status: SERVFAIL").contains("EDE: 7 (Signature Expired)");

            String insecure = dig(a.dnsPort(), "www.unsigned.test");
            assertThat(insecure).contains("status: NOERROR");
            assertThat(ad(insecure)).as(insecure).isFalse();
        }
    }
}
