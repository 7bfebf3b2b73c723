package org.safenet.dns.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test
    void version_printsProductAndJava() {
        assertThat(run("version")).isZero();
        assertThat(out.toString()).startsWith("SafeNet DNS ").contains("Java 25");
    }

    @Test
    void checkConfig_defaults_isOk() {
        assertThat(run("check-config")).isZero();
        assertThat(out.toString()).contains("config OK (embedded defaults)").contains("127.0.0.1:5353");
    }

    @Test
    void checkConfig_withSources_namesThem_andPrintsNoSecret(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("sync.yaml");
        Files.writeString(f, """
                sync:
                  tsigKeys: [{name: isp, algorithm: hmac-sha256, secret: "c2VjcmV0LXRzaWcta2V5LWJ5dGVzLTEyMzQ1Njc4OQ=="}]
                  sources:
                    - {name: vn, type: http, url: "https://lists.example/vn.txt", bearerToken: t0ps3cret, category: scam}
                    - {name: isp, type: rpz, primary: "192.0.2.53", zone: rpz.isp.example, tsigKey: isp, category: malware, precedence: 300}
                distribution: {enabled: true, zone: rpz.fleet.example, tsigKey: isp}
                """);
        assertThat(run("check-config", "--config", f.toString())).isZero();
        assertThat(out.toString())
                .contains("sources:   vn (http, scam, precedence 100), isp (rpz, malware, precedence 300)")
                .contains("rpz zone:  rpz.fleet.example to [] with TSIG key isp")
                .doesNotContain("t0ps3cret")
                .doesNotContain("c2VjcmV0");
    }

    @Test
    void sync_twoActionsAtOnce_isRefusedBeforeAnythingRuns(@TempDir Path dir) {
        assertThat(run("sync", "--data-dir", dir.toString(), "--approve", "a", "--purge", "a"))
                .isEqualTo(Main.EXIT_BAD_CONFIG);
        assertThat(err.toString()).contains("give at most one of --status, --approve, --discard, --purge");
        assertThat(dir.resolve("blocklist")).doesNotExist();
    }

    @Test
    void checkConfig_badFile_exitsNonZeroNamingKeyAndLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "server:\n  threads: -1\n");
        assertThat(run("check-config", "--config", f.toString())).isEqualTo(Main.EXIT_BAD_CONFIG);
        assertThat(err.toString())
                .contains("bad configuration")
                .contains("server (" + f + " line 1)")
                .contains("threads must be 0");
    }

    @Test
    void serve_badListen_exitsNonZeroBeforeBinding() {
        assertThat(run("serve", "--listen", "not-an-ip", "--upstream", "127.0.0.1:53"))
                .isEqualTo(Main.EXIT_BAD_CONFIG);
        assertThat(err.toString()).contains("server.listen[0] (--listen)");
    }

    @Test
    void serve_upstreamIsOwnListenAddress_isRefusedAsALoop() {
        assertThat(run("serve", "--listen", "127.0.0.1:5399", "--upstream", "127.0.0.1:5399"))
                .isEqualTo(Main.EXIT_BAD_CONFIG);
        assertThat(err.toString()).contains("upstream 127.0.0.1:5399 is this resolver's own listen address");
        err.getBuffer().setLength(0);
        assertThat(run("serve", "--listen", "0.0.0.0:5399", "--upstream", "127.0.0.1:5399"))
                .isEqualTo(Main.EXIT_BAD_CONFIG);
        assertThat(err.toString()).contains("would loop");
    }

    @Test
    void help_listsTheCommands() {
        run("--help");
        assertThat(out.toString()).contains("serve", "check-config", "version");
    }

    @Test
    void systemResolvers_readsNameserverLines() {
        assertThat(SystemResolvers.parse(List.of(
                        "# comment",
                        "nameserver 192.0.2.1",
                        "search lan",
                        "nameserver fe80::1%eth0",
                        "nameserver bogus")))
                .extracting(Object::toString)
                .containsExactly("192.0.2.1:53", "[fe80::1]:53");
    }
}
