package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.appliance.MainAccess;
import org.safenet.dns.testkit.ScriptedAuthServer;
import picocli.CommandLine;

/**
 * Every change path leaves one audit record with the right actor and path ({@code via}): the API,
 * tokens, an import and a purge through the control socket (the local user, from the socket's
 * peer credentials), an API reload and a SIGHUP reload, an appeal and a report decision. Filters
 * and the JSON-lines export return the same records.
 */
class AuditTrailTest {
    @TempDir
    Path dir;

    private static int run(String... args) {
        CommandLine cli = MainAccess.commandLine()
                .setOut(new PrintWriter(new StringWriter()))
                .setErr(new PrintWriter(new StringWriter()));
        return cli.execute(args);
    }

    private static List<JsonNode> trail(AdminTestAppliance app, String query) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        app.admin("GET", "/api/v1/audit?limit=1000" + query, null)
                .json()
                .path("items")
                .forEach(out::add);
        return out;
    }

    private static JsonNode only(AdminTestAppliance app, String via, String action) throws Exception {
        List<JsonNode> found = trail(app, "&via=" + via + "&action=" + action);
        assertThat(found).as(via + " " + action + " in " + trail(app, "")).hasSize(1);
        assertThat(found.getFirst().path("action").asText()).isEqualTo(action);
        return found.getFirst();
    }

    @Test
    void importsAndSyncsOnAStoppedApplianceAreRecordedToo() throws Exception {
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start()) {
            Path config = dir.resolve("safenet.yaml");
            AdminTestAppliance.writeConfig(config, dir, upstream.hostPort(), "", "\"127.0.0.1:0\"");
            Path list = dir.resolve("lists/offline.txt");
            Files.writeString(list, "offline-one.example\n", StandardCharsets.UTF_8);
            // No appliance runs: the commands open the store themselves.
            assertThat(run(
                            "import",
                            "--config",
                            config.toString(),
                            "--format",
                            "domains",
                            "--category",
                            "scam",
                            "--source",
                            "desk",
                            list.toString()))
                    .isZero();
            assertThat(run("sync", "--config", config.toString(), "--purge", "desk"))
                    .isZero();
            String user = System.getProperty("user.name");
            try (AdminTestAppliance app = AdminTestAppliance.start(dir, upstream.hostPort(), "")) {
                JsonNode imported = only(app, "import", "import");
                assertThat(imported.path("actor").asText()).isEqualTo("user " + user);
                assertThat(imported.path("client").asText()).isEqualTo("command line");
                assertThat(imported.path("target").asText()).isEqualTo("desk");
                assertThat(imported.at("/after/listVersion").asLong()).isPositive();
                JsonNode purged = only(app, "sync", "sync.purge");
                assertThat(purged.path("client").asText()).isEqualTo("command line");
                assertThat(purged.at("/after/exit").asInt()).isZero();
            }
        }
    }

    @Test
    void everyChangePathLeavesOneRecordWithItsActor() throws Exception {
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start();
                AdminTestAppliance app =
                        AdminTestAppliance.startWithBlockPage(dir, upstream.hostPort(), "", "\"127.0.0.1:0\"")) {
            String config = dir.resolve("safenet.yaml").toString();
            String user = System.getProperty("user.name");

            // The API, by the first admin token.
            app.admin("POST", "/api/v1/entries", "{\"name\":\"audit-scam.example\",\"category\":\"scam\"}");
            JsonNode api = only(app, "api", "entry.add");
            assertThat(api.path("actor").asText()).isEqualTo("bootstrap admin");
            assertThat(api.path("role").asText()).isEqualTo("admin");
            assertThat(api.path("client").asText()).isEqualTo("127.0.0.1");
            assertThat(api.path("target").asText()).isEqualTo("audit-scam.example");

            // Tokens.
            JsonNode created = app.admin("POST", "/api/v1/tokens", "{\"name\":\"night shift\",\"role\":\"operator\"}")
                    .json();
            assertThat(only(app, "token", "token.create").at("/after/name").asText())
                    .isEqualTo("night shift");
            String operator = created.path("token").asText();
            app.admin("DELETE", "/api/v1/tokens/" + created.path("id").asText(), null);
            assertThat(only(app, "token", "token.revoke").path("target").asText())
                    .isEqualTo(created.path("id").asText());
            assertThat(app.call("GET", "/api/v1/audit", operator, null).status())
                    .isEqualTo(401);

            // An import and a purge handed to the running appliance through its control socket.
            Path list = dir.resolve("lists/national.txt");
            Files.writeString(list, "import-one.example\nimport-two.example\nnot a name\n", StandardCharsets.UTF_8);
            assertThat(run(
                            "import",
                            "--config",
                            config,
                            "--format",
                            "domains",
                            "--category",
                            "scam",
                            "--source",
                            "hotline",
                            list.toString()))
                    .isZero();
            JsonNode imported = only(app, "import", "import");
            assertThat(imported.path("actor").asText()).isEqualTo("user " + user);
            assertThat(imported.path("role").asText()).isEqualTo("local");
            assertThat(imported.path("client").asText()).isEqualTo("control socket");
            assertThat(imported.path("target").asText()).isEqualTo("hotline");
            assertThat(imported.at("/after/report").asText())
                    .contains("2 added")
                    .contains("1 invalid");
            assertThat(run("sync", "--config", config, "--purge", "hotline")).isZero();
            JsonNode purged = only(app, "sync", "sync.purge");
            assertThat(purged.path("actor").asText()).isEqualTo("user " + user);
            assertThat(purged.path("target").asText()).isEqualTo("hotline");
            assertThat(run("sync", "--config", config, "--status")).isZero();
            assertThat(trail(app, "&via=sync")).as("a status is no change").hasSize(1);

            // Reloads: one through the API, one as SIGHUP does it.
            app.admin("POST", "/api/v1/config/reload", null);
            assertThat(only(app, "reload", "config.reload").path("actor").asText())
                    .isEqualTo("bootstrap admin");
            app.appliance.reloadBySignal();
            List<JsonNode> reloads = trail(app, "&via=reload");
            assertThat(reloads).hasSize(2);
            assertThat(reloads.getFirst().path("actor").asText()).isEqualTo("SIGHUP");
            assertThat(reloads.getFirst().path("client").asText()).isEqualTo("signal");

            // An appeal and a report from the block page, decided in the API.
            assertThat(app.blockPageForm("/appeal", "en", "host", "audit-scam.example", "reason", "my shop")
                            .status())
                    .isEqualTo(200);
            String appeal = app.admin("GET", "/api/v1/appeals", null)
                    .json()
                    .at("/items/0/id")
                    .asText();
            app.admin("POST", "/api/v1/appeals/" + appeal + "/accept", "{\"note\":\"verified\"}");
            JsonNode appealed = only(app, "appeal", "appeal.accept");
            assertThat(appealed.path("target").asText()).isEqualTo("audit-scam.example");
            assertThat(appealed.at("/after/allowEntry/name").asText()).isEqualTo("audit-scam.example");
            assertThat(trail(app, "&action=allow.add"))
                    .as("the appeal's allow entry is its one record")
                    .isEmpty();

            assertThat(app.blockPageForm("/report", "vi", "domain", "reported.example", "category", "scam")
                            .status())
                    .isEqualTo(200);
            String report = app.admin("GET", "/api/v1/reports", null)
                    .json()
                    .at("/items/0/id")
                    .asText();
            app.admin("POST", "/api/v1/reports/" + report + "/reject", "{\"note\":\"no\"}");
            assertThat(only(app, "report", "report.reject").path("target").asText())
                    .isEqualTo("reported.example");

            // The export has the same records, newest first, one JSON object a line.
            AdminTestAppliance.Reply export = app.admin("GET", "/api/v1/audit/export", null);
            assertThat(export.status()).isEqualTo(200);
            assertThat(export.raw().headers().firstValue("content-type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/x-ndjson"));
            List<String> lines = export.text().lines().toList();
            List<JsonNode> all = trail(app, "");
            assertThat(lines).hasSize(all.size());
            for (int i = 0; i < lines.size(); i++) {
                assertThat(AdminTestAppliance.JSON.readTree(lines.get(i))).isEqualTo(all.get(i));
            }
            assertThat(all)
                    .extracting(e -> e.path("via").asText())
                    .containsOnly("api", "token", "import", "sync", "reload", "appeal", "report");
        }
    }
}
