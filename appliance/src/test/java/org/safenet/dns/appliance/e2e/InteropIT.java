package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.Peers;

/**
 * The packaged appliance as an operator runs it ({@code java -jar safenet.jar serve}), forwarding
 * to a real Knot DNS authoritative server, queried by real {@code dig} and {@code kdig}.
 */
class InteropIT {
    private static final String ZONE = """
            $ORIGIN example.test.
            $TTL 300
            @     SOA ns admin 1 7200 900 86400 60
            @     NS  ns
            ns    A   127.0.0.1
            www   A   192.0.2.80
            www   AAAA 2001:db8::80
            alias CNAME www
            """ + bigTxt();

    @TempDir
    static Path dir;

    private static KnotServer knot;
    private static RunningAppliance appliance;
    private static int port;

    private static String bigTxt() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            sb.append("big TXT \"").append("z".repeat(100)).append(i).append("\"\n");
        }
        return sb.toString();
    }

    @BeforeAll
    static void start() throws Exception {
        Peers.require("dig", "dnsutils");
        Peers.require("kdig", "knot-dnsutils");
        knot = KnotServer.start(dir, "example.test.", ZONE);
        appliance = RunningAppliance.start(dir.resolve("data"), knot.hostPort());
        port = appliance.dnsPort();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        try {
            if (appliance != null) {
                assertThat(appliance.stop()).as("stops on SIGTERM").isTrue();
                assertThat(appliance.log()).as("exit %d", appliance.exitValue()).anyMatch(l -> l.contains("stopping"));
            }
        } finally {
            // Whatever the assertions say, the peer this test started is stopped.
            if (knot != null) {
                knot.close();
            }
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private static String dig(String... args) throws IOException, InterruptedException {
        List<String> cmd =
                new ArrayList<>(List.of("dig", "@127.0.0.1", "-p", String.valueOf(port), "+time=5", "+tries=1"));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    private static String kdig(String... args) throws IOException, InterruptedException {
        List<String> cmd =
                new ArrayList<>(List.of("kdig", "@127.0.0.1", "-p", String.valueOf(port), "+time=5", "+retry=0"));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    @Test
    void dig_udpAndTcp_getTheZoneData() throws Exception {
        assertThat(dig("+short", "www.example.test", "A").strip()).isEqualTo("192.0.2.80");
        assertThat(dig("+short", "+tcp", "www.example.test", "AAAA").strip()).isEqualTo("2001:db8::80");
        assertThat(dig("+short", "alias.example.test", "A").lines().toList())
                .containsExactly("www.example.test.", "192.0.2.80");
    }

    @Test
    void kdig_udpAndTcp_getTheZoneData() throws Exception {
        assertThat(kdig("+short", "www.example.test", "A").strip()).isEqualTo("192.0.2.80");
        assertThat(kdig("+short", "+tcp", "www.example.test", "AAAA").strip()).isEqualTo("2001:db8::80");
    }

    @Test
    void dig_missingName_isNxdomainWithSoa() throws Exception {
        String out = dig("nothing-here.example.test", "A");
        assertThat(out).contains("status: NXDOMAIN");
        assertThat(out).containsPattern("example\\.test\\.\\s+\\d+\\s+IN\\s+SOA");
    }

    @Test
    void dig_mixedCase_isEchoedInTheAnswer() throws Exception {
        dig("www.example.test", "A"); // warm the cache with lowercase
        String out = dig("+noall", "+answer", "WwW.ExAmPlE.TeSt", "A");
        assertThat(out.strip()).startsWith("WwW.ExAmPlE.TeSt.");
    }

    @Test
    void dig_smallBuffer_getsTcThenRetriesOverTcp() throws Exception {
        String truncated = dig("+bufsize=512", "+ignore", "big.example.test", "TXT");
        assertThat(truncated).containsPattern("flags:[^;]*\\btc\\b");
        String full = dig("+bufsize=512", "big.example.test", "TXT");
        assertThat(full).contains("Truncated, retrying in TCP mode");
        assertThat(full).contains("ANSWER: 12");
    }

    @Test
    void kdig_ednsAndDo_areEchoed() throws Exception {
        String out = kdig("+dnssec", "+bufsize=1400", "www.example.test", "A");
        assertThat(out).contains("EDNS PSEUDOSECTION");
        assertThat(out).containsPattern("Version: 0; flags: do; UDP size: 1232 B");
    }

    @Test
    void dig_anyQuery_getsMinimalAnswer() throws Exception {
        String out = dig("+noall", "+answer", "www.example.test", "ANY");
        assertThat(out).contains("HINFO").contains("RFC8482");
    }

    @Test
    void knot_seesOnlyWhatWasNotCached() throws Exception {
        assertThat(Files.readString(knot.dir().resolve("knotd.log"))).doesNotContain("error");
    }
}
