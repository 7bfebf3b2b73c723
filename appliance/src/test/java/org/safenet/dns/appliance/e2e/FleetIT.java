package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAR;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAVA;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.UnknownFieldSet;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.DnstapFrames;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.Peers;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The three-node deployment of docs/fleet.md, as separate processes on loopback: a primary that
 * serves its list as RPZ (TSIG, NOTIFY) and two followers; dnstap from all three to one
 * collector (the dnstap CLI); one token valid on all three. An entry added on the primary is
 * blocked on both followers with the same category and EDE text; traffic from overlapping client
 * sets gives one fleet-wide distinct-client count, checked against the truth.
 */
class FleetIT {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ZONE = "rpz.fleet.test";

    private static String run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().putAll(env);
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    /** The EDE text a node gives for {@code name}, without the node's own list version. */
    private static String edeOf(int port, String name) throws Exception {
        String out = run(Map.of(), "dig", "@127.0.0.1", "-p", "" + port, "+time=3", "+tries=1", name, "A");
        int at = out.indexOf("SafeNet DNS: ");
        if (at < 0) {
            return "";
        }
        String text = out.substring(at, out.indexOf('\n', at));
        return text.replaceAll(", list v\\d+\\)", ")").replaceAll("[)\"]+$", "");
    }

    /** Client {@code i}'s address: 127.0.x.y, one of the loopback network's many. */
    private static InetAddress client(int i) throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, (byte) (2 + i / 250), (byte) (1 + i % 250)});
    }

    private static Message ask(int port, InetAddress from, String name) throws IOException {
        SimpleResolver r = new SimpleResolver(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        r.setLocalAddress(new InetSocketAddress(from, 0));
        r.setTimeout(Duration.ofSeconds(3));
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN)));
    }

    @Test
    void threeNodes_blockTheSameForTheSameReasons_andCountClientsOnce() throws Exception {
        Path dnstapCli = Peers.require("dnstap", "golang-github-dnstap-golang-dnstap-cli");
        Peers.require("dig", "dnsutils");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = Base64.getEncoder().encodeToString(key);
        String token = "fleet-" + Base64.getUrlEncoder().withoutPadding().encodeToString(key);
        Map<String, String> env = Map.of("SAFENET_ADMIN_TOKEN", token);
        int primaryPort = KnotServer.freePort();
        int[] followerPorts = {KnotServer.freePort(), KnotServer.freePort()};
        Path socket = dir.resolve("dnstap.sock");
        Path tapped = dir.resolve("fleet.dnstap");
        Process collector = new ProcessBuilder(dnstapCli.toString(), "-u", socket.toString(), "-w", tapped.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("collector.log").toFile())
                .start();
        List<RunningAppliance> nodes = new ArrayList<>();
        try (KnotServer knot = KnotServer.start(dir, "example.test.", """
                $ORIGIN example.test.
                $TTL 300
                @   SOA ns admin 1 7200 900 86400 60
                @   NS  ns
                ns  A   127.0.0.1
                www A   192.0.2.80
                """)) {
            String keys = """
                    sync:
                      tsigKeys:
                        - {name: fleet-key, algorithm: hmac-sha256, secret: "%s"}
                    """.formatted(secret);
            String tap = """
                    dnstap:
                      socket: %s
                      identity: %s
                      messages: [client_response]
                      blockedOnly: true
                    """;
            nodes.add(RunningAppliance.startOn(
                    "127.0.0.1:" + primaryPort,
                    dir.resolve("primary"),
                    knot.hostPort(),
                    keys + """
                            distribution:
                              enabled: true
                              zone: %s
                              tsigKey: fleet-key
                              notify: ["127.0.0.1:%d", "127.0.0.1:%d"]
                            """.formatted(ZONE, followerPorts[0], followerPorts[1]) + tap.formatted(socket, "primary"),
                    env));
            for (int f = 0; f < 2; f++) {
                nodes.add(RunningAppliance.startOn(
                        "127.0.0.1:" + followerPorts[f],
                        dir.resolve("follower-" + (f + 1)),
                        knot.hostPort(),
                        """
                                sync:
                                  tsigKeys:
                                    - {name: fleet-key, algorithm: hmac-sha256, secret: "%s"}
                                  sources:
                                    - {name: primary, type: rpz, primary: "127.0.0.1:%d", zone: %s, tsigKey: fleet-key, category: scam}
                                """.formatted(secret, primaryPort, ZONE) + tap.formatted(socket, "follower-" + (f + 1)),
                        env));
            }
            int[] dns = nodes.stream().mapToInt(RunningAppliance::dnsPort).toArray();
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes.stream().allMatch(n -> n.adminPort() > 0));

            // An operator blocks a name on the primary; NOTIFY and IXFR take it to both followers.
            HttpResponse<String> added = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                            + nodes.getFirst().adminPort() + "/api/v1/entries"))
                                    .header("Authorization", "Bearer " + token)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(
                                            "{\"name\": \"login-bank.example\", \"category\": \"phishing\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
            String onPrimary = edeOf(dns[0], "www.login-bank.example");
            assertThat(onPrimary).isEqualTo("SafeNet DNS: phishing (operator");
            for (int f = 1; f <= 2; f++) {
                int port = dns[f];
                await().atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(200))
                        .alias("follower " + f + " blocks the new entry as the primary does")
                        .until(() -> edeOf(port, "www.login-bank.example").equals(onPrimary));
            }

            // Overlapping client sets: node 0 sees clients 0-399, node 1 200-599, node 2 400-799.
            // Every even client also asks for the blocked name (a protected client).
            Set<Integer> protectedClients = new HashSet<>();
            for (int node = 0; node < 3; node++) {
                for (int i = node * 200; i < node * 200 + 400; i++) {
                    Message m = ask(dns[node], client(i), "www.example.test");
                    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
                    if (i % 2 == 0) {
                        assertThat(ask(dns[node], client(i), "login-bank.example")
                                        .getSection(Section.ANSWER))
                                .isNotEmpty();
                        protectedClients.add(i);
                    }
                }
            }

            // One report for the fleet, by the command an operator runs.
            List<String> command = new ArrayList<>(List.of(
                    JAVA,
                    "-jar",
                    JAR,
                    "stats",
                    "--json",
                    "--config",
                    RunningAppliance.configOf(dir.resolve("primary")).toString()));
            for (RunningAppliance n : nodes) {
                command.addAll(List.of("--node", "http://127.0.0.1:" + n.adminPort()));
            }
            JsonNode report = JSON.readTree(run(env, command.toArray(String[]::new)));
            assertThat(report.path("nodes")).hasSize(3);
            double error = 4 * report.path("distinctCountRelativeError").asDouble();
            assertThat(report.path("distinctClients").asDouble())
                    .as("800 clients in all; the nodes' own counts add up to 1,200")
                    .isCloseTo(800, within(800 * error));
            assertThat(report.path("protectedClients").asDouble())
                    .isCloseTo(protectedClients.size(), within(protectedClients.size() * error));
            assertThat(report.at("/protectedClientsByCategory/phishing").asDouble())
                    .isCloseTo(protectedClients.size(), within(protectedClients.size() * error));
            assertThat(report.at("/blockedByCategory/phishing").asLong()).isGreaterThanOrEqualTo(600);
            assertThat(report.path("queries").asLong()).isGreaterThanOrEqualTo(1800);
        } finally {
            for (RunningAppliance n : nodes) {
                n.close();
            }
            // SIGINT: the dnstap CLI then flushes and closes its file (SIGTERM would lose its buffer).
            new ProcessBuilder("kill", "-INT", String.valueOf(collector.pid()))
                    .start()
                    .waitFor();
            if (!collector.waitFor(30, TimeUnit.SECONDS)) {
                collector.destroyForcibly();
            }
        }

        // One collector heard all three, and each blocked answer says why.
        Map<String, Integer> byNode = new HashMap<>();
        java.nio.file.Files.copy(
                tapped, Path.of("/tmp/fleet.dnstap"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // The CLI loses its last buffer when stopped (see DnstapFrames.readWritten): what it wrote is read.
        for (byte[] frame : DnstapFrames.readWritten(tapped)) {
            UnknownFieldSet d = UnknownFieldSet.parseFrom(frame);
            String identity = d.getField(1).getLengthDelimitedList().getFirst().toStringUtf8();
            UnknownFieldSet m = UnknownFieldSet.parseFrom(
                    d.getField(14).getLengthDelimitedList().getFirst());
            UnknownFieldSet policy = UnknownFieldSet.parseFrom(
                    m.getField(15).getLengthDelimitedList().getFirst());
            assertThat(policy.getField(2).getLengthDelimitedList().getFirst().toStringUtf8())
                    .isEqualTo("operator/phishing");
            byNode.merge(identity, 1, Integer::sum);
        }
        assertThat(byNode).containsOnlyKeys("primary", "follower-1", "follower-2");
        assertThat(byNode.values().stream().mapToInt(Integer::intValue).sum())
                .as("blocked answers: the EDE probes and 600 from the clients, less the CLI's lost last buffer")
                .isGreaterThanOrEqualTo(560);
    }
}
