package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.appliance.MainAccess;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.ScriptedAuthServer;
import picocli.CommandLine;

/** {@code safenet block}, {@code unblock} and {@code stats} against a running appliance's admin API, with its token file. */
class AdminCommandsTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    private Run safenet(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = MainAccess.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void blockUnblockAndStatsWorkThroughTheApi() throws Exception {
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start();
                AdminTestAppliance app = AdminTestAppliance.start(dir, upstream.hostPort(), "")) {
            String config = dir.resolve("safenet.yaml").toString();
            String api = app.base.toString();

            Run blocked = safenet(
                    "block",
                    "cli-scam.example",
                    "--category",
                    "scam",
                    "--reason",
                    "phone report",
                    "--config",
                    config,
                    "--api",
                    api);
            assertThat(blocked.exit()).as(blocked.err()).isZero();
            assertThat(blocked.out()).contains("blocked cli-scam.example and the names under it (scam)");
            assertThat(DnsProbe.firstAnswer(app.query("127.0.0.1", "www.cli-scam.example")))
                    .isEqualTo("127.0.0.1");

            Run stats = safenet("stats", "--config", config, "--api", api);
            assertThat(stats.exit()).as(stats.err()).isZero();
            assertThat(stats.out())
                    .containsPattern("queries +1\\b")
                    .containsPattern("blocked +1\\b")
                    .contains("scam");

            Run unblocked = safenet("unblock", "cli-scam.example", "--config", config, "--api", api);
            assertThat(unblocked.exit()).as(unblocked.err()).isZero();
            assertThat(app.query("127.0.0.1", "www.cli-scam.example").getRcode())
                    .isNotZero(); // upstream's NXDOMAIN/REFUSED

            Run again = safenet("unblock", "cli-scam.example", "--config", config, "--api", api);
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("not unblocked").contains("no entry");

            Run allowed = safenet("unblock", "feed-listed.example", "--allow", "--config", config, "--api", api);
            assertThat(allowed.exit()).as(allowed.err()).isZero();
            assertThat(allowed.out()).contains("allowed feed-listed.example");

            Run badName = safenet("block", "bad name", "--config", config, "--api", api);
            assertThat(badName.exit()).isEqualTo(1);
            assertThat(badName.err()).contains("not a valid domain name");

            Run noToken = safenet(
                    "stats",
                    "--config",
                    config,
                    "--api",
                    api,
                    "--token-file",
                    dir.resolve("missing").toString());
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.err()).contains("no token");

            Run noServer = safenet("stats", "--config", config, "--api", "http://127.0.0.1:9");
            assertThat(noServer.exit()).isEqualTo(1);
            assertThat(noServer.err()).contains("cannot reach the admin API");
        }
    }
}
