package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAR;
import static org.safenet.dns.appliance.e2e.RunningAppliance.JAVA;

import com.google.protobuf.UnknownFieldSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.DnstapFrames;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.Peers;
import org.xbill.DNS.Name;

/**
 * dnstap from the packaged appliance: queries answered from the list and from the upstream, the
 * file complete after a stop, read by BIND's dnstap-read and by Google's protobuf parser (for the
 * Policy, which neither Debian reader prints).
 */
class DnstapIT {
    @TempDir
    Path dir;

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    /** One dnstap Message: its type, its Policy (or null). */
    private record Tapped(long type, UnknownFieldSet message, UnknownFieldSet policy) {}

    private static List<Tapped> decode(Path file) throws IOException {
        List<Tapped> all = new ArrayList<>();
        for (byte[] frame : DnstapFrames.read(file)) {
            UnknownFieldSet dnstap = UnknownFieldSet.parseFrom(frame);
            UnknownFieldSet m = UnknownFieldSet.parseFrom(
                    dnstap.getField(14).getLengthDelimitedList().getFirst());
            UnknownFieldSet policy = m.getField(15).getLengthDelimitedList().isEmpty()
                    ? null
                    : UnknownFieldSet.parseFrom(
                            m.getField(15).getLengthDelimitedList().getFirst());
            all.add(new Tapped(m.getField(1).getVarintList().getFirst(), m, policy));
        }
        return all;
    }

    @Test
    void blockedAndForwardedQueries_inAFileTheReadersDecode() throws Exception {
        Path dnstapRead = Peers.require("dnstap-read", "bind9-dnsutils");
        Peers.require("dig", "dnsutils");
        Path list = dir.resolve("school.txt");
        Files.writeString(list, "phish-bank.example\n");
        run(
                JAVA,
                "-jar",
                JAR,
                "import",
                "--data-dir",
                dir.toString(),
                "--format",
                "domains",
                "--category",
                "phishing",
                "--source",
                "school",
                list.toString());
        Path file = dir.resolve("tap/queries.dnstap");
        try (KnotServer knot = KnotServer.start(dir, "example.test.", """
                $ORIGIN example.test.
                $TTL 300
                @   SOA ns admin 1 7200 900 86400 60
                @   NS  ns
                ns  A   127.0.0.1
                www A   192.0.2.80
                """)) {
            try (RunningAppliance serve = RunningAppliance.start(dir, knot.hostPort(), """
                    dnstap:
                      file: %s
                      identity: node-a
                      messages: [client_query, client_response, forwarder_query, forwarder_response]
                    """.formatted(file))) {
                int port = serve.dnsPort();
                assertThat(run("dig", "@127.0.0.1", "-p", "" + port, "+short", "www.phish-bank.example", "A"))
                        .contains("127.0.0.1");
                assertThat(run("dig", "@127.0.0.1", "-p", "" + port, "+short", "www.example.test", "A"))
                        .contains("192.0.2.80");
                assertThat(run("dig", "@127.0.0.1", "-p", "" + port, "+tcp", "+short", "www.example.test", "A"))
                        .contains("192.0.2.80"); // from the cache, over TCP
                assertThat(serve.stop()).isTrue();
            }
        }

        String text = run(dnstapRead.toString(), "-y", file.toString());
        assertThat(text).contains("identity: node-a").contains("version: SafeNet DNS");
        assertThat(text).contains("type: CLIENT_QUERY").contains("type: CLIENT_RESPONSE");
        assertThat(text).contains("type: FORWARDER_QUERY").contains("type: FORWARDER_RESPONSE");
        assertThat(text).contains("www.phish-bank.example").contains("www.example.test");

        List<Tapped> tapped = decode(file);
        assertThat(tapped.stream().filter(t -> t.type() == 5)).hasSize(3); // CLIENT_QUERY
        assertThat(tapped.stream().filter(t -> t.type() == 6)).hasSize(3); // CLIENT_RESPONSE
        assertThat(tapped.stream().filter(t -> t.type() == 7)).hasSize(1); // FORWARDER_QUERY: one miss
        assertThat(tapped.stream().filter(t -> t.type() == 8)).hasSize(1);
        List<Tapped> blocked = tapped.stream().filter(t -> t.policy() != null).toList();
        assertThat(blocked).singleElement().satisfies(b -> {
            assertThat(b.type()).isEqualTo(6);
            assertThat(b.policy()
                            .getField(2)
                            .getLengthDelimitedList()
                            .getFirst()
                            .toStringUtf8())
                    .isEqualTo("school/phishing");
            assertThat(b.policy().getField(3).getVarintList()).containsExactly(6L); // LOCAL_DATA: the sinkhole
            assertThat(b.policy().getField(4).getVarintList()).containsExactly(1L); // QNAME
            assertThat(b.policy()
                            .getField(5)
                            .getLengthDelimitedList()
                            .getFirst()
                            .toByteArray())
                    .isEqualTo(Name.fromString("www.phish-bank.example.").toWireCanonical());
        });
        // The TCP answer's message starts at its header, not at TCP's length prefix.
        Tapped tcp = tapped.stream()
                .filter(t ->
                        t.type() == 6 && t.message().getField(3).getVarintList().getFirst() == 2)
                .findFirst()
                .orElseThrow();
        byte[] answer =
                tcp.message().getField(14).getLengthDelimitedList().getFirst().toByteArray();
        assertThat(new org.xbill.DNS.Message(answer).getSection(org.xbill.DNS.Section.ANSWER))
                .hasSize(1);
    }
}
