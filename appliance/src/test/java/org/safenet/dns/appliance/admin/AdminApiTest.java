package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.admin.api.AdminApi;
import org.safenet.dns.admin.api.HttpCall;
import org.safenet.dns.admin.api.Routes;
import org.safenet.dns.appliance.admin.AdminTestAppliance.Reply;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.safenet.dns.testkit.SharedData;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/**
 * The admin API over real HTTP against an appliance with a real store: every resource, every
 * role boundary, the audit trail, and bad input of every kind (each a JSON error with a stable
 * code, never a 500). List changes are checked with DNS queries, as a client sees them.
 */
class AdminApiTest {
    @TempDir
    static Path dir;

    static ScriptedAuthServer upstream;
    static AdminTestAppliance app;
    static String viewer;
    static String operator;

    @BeforeAll
    static void start() throws Exception {
        upstream = ScriptedAuthServer.start();
        upstream.add("example.org. 300 IN SOA ns.example.org. h.example.org. 1 3600 600 86400 300");
        upstream.add("fine.example.org. 300 IN A 192.0.2.10");
        app = AdminTestAppliance.start(dir, upstream.hostPort(), "");
        viewer = createToken("dashboard screen", "viewer");
        operator = createToken("list team", "operator");
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    static String createToken(String name, String role) throws Exception {
        Reply r = app.admin("POST", "/api/v1/tokens", "{\"name\":\"" + name + "\",\"role\":\"" + role + "\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        assertThat(r.json().path("token").asText()).startsWith("sn_");
        return r.json().path("token").asText();
    }

    static String firstA(String name) throws Exception {
        Message m = app.query("127.0.0.1", name);
        return m.getRcode() == Rcode.NOERROR ? String.valueOf(DnsProbe.firstAnswer(m)) : Rcode.string(m.getRcode());
    }

    // ---- health, metrics, auth ----

    @Test
    void healthReadinessAndMetricsNeedNoToken() throws Exception {
        assertThat(app.call("GET", "/healthz", null, null).json().path("status").asText())
                .isEqualTo("ok");
        Reply ready = app.call("GET", "/readyz", null, null);
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.json().path("ready").asBoolean()).isTrue();
        app.query("127.0.0.1", "fine.example.org");
        Reply metrics = app.call("GET", "/metrics", null, null);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.raw().headers().firstValue("content-type").orElse(""))
                .startsWith("text/plain");
        assertThat(metrics.text())
                .contains("safenet_queries_total ")
                .contains("safenet_answers_total{rcode=\"NOERROR\"}")
                .contains("safenet_cache_misses_total")
                .contains("jvm_memory_used_bytes")
                .contains("process_uptime_seconds");
    }

    @Test
    void everyApiCallWithoutATokenIsRefused() throws Exception {
        for (Routes.Route route : app.appliance.adminApi().routes().all()) {
            if (route.role() == null) {
                continue;
            }
            String path = route.pattern().replaceAll("\\{[a-zA-Z]+}", "x");
            Reply r = app.call(route.method(), path, null, null);
            assertThat(r.status()).as(route.method() + " " + path).isEqualTo(401);
            assertThat(r.json().at("/error/code").asText()).isEqualTo("unauthorized");
            assertThat(r.raw().headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"safenet\"");
        }
        Reply wrong = app.call("GET", "/api/v1/stats", "sn_000000000000_not-a-real-token", null);
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.json().at("/error/message").asText()).contains("not valid");
        assertThat(app.call("GET", "/api/v1/openapi.json", null, null).status()).isEqualTo(401);
    }

    @Test
    void wrongTokensFromOneAddressAreCutOffAfterTwentyAndASuccessDoesNotResetIt() {
        AdminApi api = app.appliance.adminApi();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            statuses.add(api.handle(call("Bearer sn_guess_" + i, "192.0.2.99")).status());
        }
        // The right token in between neither helps the guesser nor is refused yet.
        assertThat(api.handle(call("Bearer " + viewer, "192.0.2.99")).status()).isEqualTo(200);
        for (int i = 10; i < 25; i++) {
            statuses.add(api.handle(call("Bearer sn_guess_" + i, "192.0.2.99")).status());
        }
        assertThat(statuses.subList(0, 20)).containsOnly(401);
        assertThat(statuses.subList(20, 25)).containsOnly(429);
        HttpCall.Answer locked = api.handle(call("Bearer " + viewer, "192.0.2.99"));
        assertThat(locked.status())
                .as("even the right token: a lucky guess looks the same")
                .isEqualTo(429);
        assertThat(new String(locked.body(), StandardCharsets.UTF_8)).contains("too_many_failures");
        assertThat(locked.headers()).containsKey("Retry-After");
        // The check before the body is read says the same.
        assertThat(api.admit("POST", "/api/v1/entries/bulk", "Bearer " + operator, "192.0.2.99")
                        .status())
                .isEqualTo(429);
        // Another address is not affected; a missing token is not a guess; no token is needed for health.
        assertThat(api.handle(call("Bearer " + viewer, "192.0.2.100")).status()).isEqualTo(200);
        for (int i = 0; i < 30; i++) {
            assertThat(api.handle(call(null, "192.0.2.101")).status()).isEqualTo(401);
        }
        assertThat(api.handle(call("Bearer " + viewer, "192.0.2.101")).status()).isEqualTo(200);
        assertThat(api.handle(new HttpCall("GET", "/healthz", Map.of(), null, null, new byte[0], "192.0.2.99"))
                        .status())
                .isEqualTo(200);
    }

    private static HttpCall call(String authorization, String client) {
        return new HttpCall("GET", "/api/v1/stats", Map.of(), authorization, null, new byte[0], client);
    }

    @Test
    void rolesBoundWhatATokenMayDo() throws Exception {
        Reply viewerWrites =
                app.call("POST", "/api/v1/entries", viewer, "{\"name\":\"v.example\",\"category\":\"scam\"}");
        assertThat(viewerWrites.status()).isEqualTo(403);
        assertThat(viewerWrites.json().at("/error/code").asText()).isEqualTo("forbidden");
        assertThat(viewerWrites.json().at("/error/message").asText()).contains("operator role");
        assertThat(app.call("GET", "/api/v1/entries", viewer, null).status()).isEqualTo(200);
        assertThat(app.call("GET", "/api/v1/tokens", viewer, null).status()).isEqualTo(403);

        Reply operatorMakesToken = app.call("POST", "/api/v1/tokens", operator, "{\"name\":\"x\",\"role\":\"admin\"}");
        assertThat(operatorMakesToken.status()).isEqualTo(403);
        assertThat(app.call("GET", "/api/v1/tokens", operator, null).status()).isEqualTo(403);
        assertThat(app.call("PUT", "/api/v1/categories/ads", viewer, "{\"action\":\"sinkhole\"}")
                        .status())
                .isEqualTo(403);
        assertThat(app.call("POST", "/api/v1/sources/x/sync", viewer, null).status())
                .isEqualTo(403);
        assertThat(app.call("POST", "/api/v1/appeals/x/accept", viewer, null).status())
                .isEqualTo(403);
    }

    @Test
    void tokensAreListedWithoutSecretsAndRevokedTokensStopWorking() throws Exception {
        String temp = createToken("temporary", "viewer");
        assertThat(app.call("GET", "/api/v1/stats", temp, null).status()).isEqualTo(200);
        Reply list = app.admin("GET", "/api/v1/tokens", null);
        assertThat(list.text()).doesNotContain(temp.substring(16)).doesNotContain("\"token\"");
        String id = temp.split("_")[1];
        assertThat(list.json().path("items").findValuesAsText("id")).contains(id);
        assertThat(app.admin("DELETE", "/api/v1/tokens/" + id, null).status()).isEqualTo(200);
        assertThat(app.call("GET", "/api/v1/stats", temp, null).status()).isEqualTo(401);
        assertThat(app.admin("DELETE", "/api/v1/tokens/" + id, null).status()).isEqualTo(404);
        assertThat(app.admin("POST", "/api/v1/tokens", "{\"name\":\"x\",\"role\":\"root\"}")
                        .json()
                        .at("/error/code")
                        .asText())
                .isEqualTo("invalid_role");
    }

    @Test
    void logLevelsChangeAtRunTimeForAdminsOnly() throws Exception {
        String logger = "org.safenet.dns.blocklist.sync";
        assertThat(app.call("PUT", "/api/v1/logging/" + logger, operator, "{\"level\":\"DEBUG\"}")
                        .status())
                .isEqualTo(403);
        Reply set = app.admin("PUT", "/api/v1/logging/" + logger, "{\"level\":\"DEBUG\"}");
        assertThat(set.status()).as(set.text()).isEqualTo(200);
        assertThat(org.slf4j.LoggerFactory.getLogger(logger).isDebugEnabled()).isTrue();
        assertThat(app.call("GET", "/api/v1/logging", viewer, null)
                        .json()
                        .at("/levels/" + logger)
                        .asText())
                .isEqualTo("DEBUG");
        Reply bad = app.admin("PUT", "/api/v1/logging/" + logger, "{\"level\":\"LOUD\"}");
        assertThat(bad.json().at("/error/code").asText()).isEqualTo("invalid_level");
        assertThat(app.admin("PUT", "/api/v1/logging/" + logger, "{\"level\":null}")
                        .status())
                .isEqualTo(200);
        assertThat(org.slf4j.LoggerFactory.getLogger(logger).isDebugEnabled()).isFalse();
        assertThat(find(app.admin("GET", "/api/v1/audit", null).json().path("items"), "action", "logging.set")
                        .path("target")
                        .asText())
                .isEqualTo(logger);
    }

    // ---- entries ----

    @Test
    void anAddedEntryIsLiveAtOnceAuditedAndRemovable() throws Exception {
        assertThat(firstA("www.added-by-api.example")).isNotEqualTo("127.0.0.1");
        Reply added = app.call(
                "POST",
                "/api/v1/entries",
                operator,
                "{\"name\":\"added-by-api.example\",\"category\":\"scam\",\"reason\":\"ticket 42\"}");
        assertThat(added.status()).as(added.text()).isEqualTo(201);
        assertThat(added.json().path("name").asText()).isEqualTo("added-by-api.example");
        assertThat(added.json().path("source").asText()).isEqualTo("operator");
        assertThat(added.json().path("match").asText()).isEqualTo("subtree");
        assertThat(firstA("www.added-by-api.example")).isEqualTo("127.0.0.1"); // the block page

        JsonNode audit = app.admin("GET", "/api/v1/audit?limit=50", null).json().path("items");
        JsonNode record = find(audit, "target", "added-by-api.example");
        assertThat(record.path("action").asText()).isEqualTo("entry.add");
        assertThat(record.path("role").asText()).isEqualTo("operator");
        assertThat(record.path("tokenName").asText()).isEqualTo("list team");
        assertThat(record.path("client").asText()).isEqualTo("127.0.0.1");
        assertThat(record.path("before").isNull()).isTrue();
        assertThat(record.at("/after/reason").asText()).isEqualTo("ticket 42");

        assertThat(app.call("GET", "/api/v1/entries/added-by-api.example", viewer, null)
                        .json()
                        .at("/items/0/category")
                        .asText())
                .isEqualTo("scam");
        Reply removed = app.call("DELETE", "/api/v1/entries/added-by-api.example", operator, null);
        assertThat(removed.status()).isEqualTo(200);
        assertThat(firstA("www.added-by-api.example")).isEqualTo("NXDOMAIN");
        assertThat(find(app.admin("GET", "/api/v1/audit", null).json().path("items"), "action", "entry.remove")
                        .path("before")
                        .isArray())
                .isTrue();
        assertThat(app.call("DELETE", "/api/v1/entries/added-by-api.example", operator, null)
                        .status())
                .isEqualTo(404);
    }

    @Test
    void bulkAddsAndRemovesRealNamesAllOrNothing() throws Exception {
        List<String> allNames = Files.readAllLines(SharedData.path("derived/blocked-domains-vn-scam.txt")).stream()
                .map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .limit(2000)
                .toList();
        List<String> names = allNames;
        ArrayNode add = AdminTestAppliance.JSON.createArrayNode();
        for (String n : names) {
            add.addObject().put("name", n).put("category", "scam");
        }
        ObjectNode body = AdminTestAppliance.JSON.createObjectNode();
        body.set("add", add);
        // One bad item refuses the whole request and names it.
        ArrayNode withBad = add.deepCopy();
        withBad.addObject().put("name", "bad name!").put("category", "scam");
        ObjectNode badBody = AdminTestAppliance.JSON.createObjectNode();
        badBody.set("add", withBad);
        Reply refused = app.call("POST", "/api/v1/entries/bulk", operator, badBody.toString());
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().at("/error/code").asText()).isEqualTo("invalid_items");
        assertThat(refused.json().at("/error/message").asText()).contains("add[" + names.size() + "].name");
        assertThat(firstA(names.get(0))).isNotEqualTo("127.0.0.1");

        Reply done = app.call("POST", "/api/v1/entries/bulk", operator, body.toString());
        assertThat(done.status()).as(done.text()).isEqualTo(200);
        // The real list has public suffixes in it (ath.cx): skipped and reported, the rest goes in.
        assertThat(done.json().path("refused").asInt()).isPositive();
        assertThat(done.json().path("refusedSample").toString())
                .contains("ath.cx")
                .contains("public suffix");
        int accepted = new HashSet<>(names).size() - done.json().path("refused").asInt();
        assertThat(done.json().path("added").asInt()).isEqualTo(accepted);
        names = names.stream()
                .filter(n -> !done.json().path("refusedSample").toString().contains("'" + n + "'"))
                .toList();
        assertThat(firstA(names.get(0))).isEqualTo("127.0.0.1");
        assertThat(firstA(names.get(names.size() - 1))).isEqualTo("127.0.0.1");

        // Paged search by source walks every one of them exactly once.
        Set<String> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            Reply page = app.call(
                    "GET",
                    "/api/v1/entries?source=operator&category=scam&limit=500"
                            + (cursor == null ? "" : "&cursor=" + cursor),
                    viewer,
                    null);
            assertThat(page.status()).isEqualTo(200);
            for (JsonNode e : page.json().path("items")) {
                assertThat(seen.add(e.path("name").asText())).isTrue();
            }
            cursor = page.json().path("nextCursor").isNull()
                    ? null
                    : page.json().path("nextCursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(seen).hasSizeGreaterThanOrEqualTo(accepted);
        assertThat(pages).isGreaterThanOrEqualTo(4);

        ArrayNode remove = AdminTestAppliance.JSON.createArrayNode();
        names.forEach(remove::add);
        ObjectNode removeBody = AdminTestAppliance.JSON.createObjectNode();
        removeBody.set("remove", remove);
        Reply removed = app.call("POST", "/api/v1/entries/bulk", operator, removeBody.toString());
        assertThat(removed.json().path("removed").asInt()).isEqualTo(accepted);
        assertThat(firstA(names.get(0))).isNotEqualTo("127.0.0.1");
    }

    @Test
    void searchFindsByNameAndByDomain() throws Exception {
        for (String n : List.of("a.search.example", "b.search.example", "other.example")) {
            assertThat(app.call(
                                    "POST",
                                    "/api/v1/entries",
                                    operator,
                                    "{\"name\":\"" + n + "\",\"category\":\"phishing\"}")
                            .status())
                    .isEqualTo(201);
        }
        JsonNode under = app.call("GET", "/api/v1/entries?under=search.example", viewer, null)
                .json();
        assertThat(under.path("items").findValuesAsText("name"))
                .containsExactlyInAnyOrder("a.search.example", "b.search.example");
        JsonNode exact = app.call("GET", "/api/v1/entries?name=other.example", viewer, null)
                .json();
        assertThat(exact.path("items").findValuesAsText("name")).containsExactly("other.example");
        JsonNode byCategory = app.call("GET", "/api/v1/entries?category=phishing&limit=1000", viewer, null)
                .json();
        assertThat(byCategory.path("items").findValuesAsText("name")).contains("a.search.example", "other.example");
    }

    // ---- allowlist, categories, explain ----

    @Test
    void explainSaysWhyForBlockedAllowedProtectedAndUnlistedNames() throws Exception {
        app.call("POST", "/api/v1/entries", operator, "{\"name\":\"explain-me.example\",\"category\":\"malware\"}");
        app.call(
                "POST",
                "/api/v1/allowlist",
                operator,
                "{\"name\":\"safe.explain-me.example\",\"reason\":\"vendor CDN\"}");

        JsonNode blocked = app.call("GET", "/api/v1/explain?name=x.explain-me.example", viewer, null)
                .json();
        assertThat(blocked.path("decision").asText()).isEqualTo("blocked");
        assertThat(blocked.path("category").asText()).isEqualTo("malware");
        assertThat(blocked.path("source").asText()).isEqualTo("operator");
        assertThat(blocked.at("/entry/name").asText()).isEqualTo("explain-me.example");
        assertThat(blocked.path("answer").asText()).contains("block page").contains("127.0.0.1");
        assertThat(blocked.path("listVersion").asLong()).isPositive();

        JsonNode allowed = app.call("GET", "/api/v1/explain?name=safe.explain-me.example", viewer, null)
                .json();
        assertThat(allowed.path("decision").asText()).isEqualTo("allowed");
        assertThat(allowed.path("answer").asText()).contains("resolved normally");
        assertThat(firstA("safe.explain-me.example")).isNotEqualTo("127.0.0.1");

        JsonNode isProtected = app.call("GET", "/api/v1/explain?name=portal.gov.vn", viewer, null)
                .json();
        assertThat(isProtected.path("decision").asText()).isEqualTo("protected");
        assertThat(isProtected.path("protected").asText()).contains("gov.vn");
        Reply refused =
                app.call("POST", "/api/v1/entries", operator, "{\"name\":\"portal.gov.vn\",\"category\":\"scam\"}");
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.json().at("/error/code").asText()).isEqualTo("protected_name");
        Reply suffix = app.call("POST", "/api/v1/entries", operator, "{\"name\":\"com.vn\",\"category\":\"scam\"}");
        assertThat(suffix.json().at("/error/message").asText()).contains("public suffix");

        JsonNode unlisted = app.call("GET", "/api/v1/explain?name=fine.example.org", viewer, null)
                .json();
        assertThat(unlisted.path("decision").asText()).isEqualTo("not_listed");
        assertThat(app.call("GET", "/api/v1/explain", viewer, null)
                        .json()
                        .at("/error/code")
                        .asText())
                .isEqualTo("invalid_name");
    }

    @Test
    void aCategorySwitchedOffStopsBlockingAtOnceAndIsAudited() throws Exception {
        app.call("POST", "/api/v1/entries", operator, "{\"name\":\"casino-test.example\",\"category\":\"gambling\"}");
        assertThat(firstA("casino-test.example")).isEqualTo("127.0.0.1");
        Reply off = app.call("PUT", "/api/v1/categories/gambling", operator, "{\"action\":\"off\"}");
        assertThat(off.status()).as(off.text()).isEqualTo(200);
        assertThat(firstA("casino-test.example")).isNotEqualTo("127.0.0.1");
        assertThat(find(
                                app.call("GET", "/api/v1/categories", viewer, null)
                                        .json()
                                        .path("items"),
                                "name",
                                "gambling")
                        .path("enforced")
                        .asBoolean())
                .isFalse();
        assertThat(app.call("PUT", "/api/v1/categories/gambling", operator, "{\"action\":\"nxdomain\"}")
                        .status())
                .isEqualTo(200);
        assertThat(firstA("casino-test.example")).isEqualTo("NXDOMAIN");
        JsonNode audit = find(app.admin("GET", "/api/v1/audit", null).json().path("items"), "action", "category.set");
        assertThat(audit.path("before").asText()).isEqualTo("off");
        assertThat(audit.path("after").asText()).isEqualTo("nxdomain");
        assertThat(app.call("PUT", "/api/v1/categories/gambling", operator, "{\"action\":\"explode\"}")
                        .json()
                        .at("/error/code")
                        .asText())
                .isEqualTo("invalid_action");
        assertThat(app.call("PUT", "/api/v1/categories/nonsense", operator, "{\"action\":\"off\"}")
                        .status())
                .isEqualTo(404);
        app.call("PUT", "/api/v1/categories/gambling", operator, "{\"action\":\"sinkhole\"}");
    }

    // ---- sources ----

    @Test
    void aSourceAddedThroughTheApiSyncsShowsHistoryAndCanBeDisabled() throws Exception {
        Path list = dir.resolve("lists/team-list.txt"); // admin.sourceFileDirs of the test appliance
        Files.writeString(list, "team-one.example\nteam-two.example\nnot a name\n", StandardCharsets.UTF_8);
        String body = "{\"name\":\"team\",\"type\":\"file\",\"path\":\"" + list
                + "\",\"format\":\"domains\",\"category\":\"phishing\",\"refresh\":\"1h\"}";
        Reply created = app.call("POST", "/api/v1/sources", operator, body);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(app.call("POST", "/api/v1/sources", operator, body).status()).isEqualTo(409);

        Reply synced = app.call("POST", "/api/v1/sources/team/sync", operator, null);
        assertThat(synced.status()).as(synced.text()).isEqualTo(200);
        assertThat(synced.json().path("outcome").asText()).isIn("applied", "unchanged");
        assertThat(firstA("team-two.example")).isEqualTo("127.0.0.1");
        JsonNode status = app.call("GET", "/api/v1/sources/team", viewer, null).json();
        assertThat(status.path("entries").asLong()).isEqualTo(2);
        assertThat(status.at("/state/lastOutcome").asText()).isNotEmpty();
        assertThat(app.call("GET", "/api/v1/sources/team/history", viewer, null)
                        .json()
                        .path("items")
                        .size())
                .isPositive();
        assertThat(app.call("GET", "/api/v1/sources", viewer, null)
                        .json()
                        .path("items")
                        .findValuesAsText("name"))
                .contains("team");
        assertThat(app.call("POST", "/api/v1/sources/team/approve", operator, null)
                        .status())
                .isEqualTo(409);

        Reply disabled = app.call("POST", "/api/v1/sources/team/disable", operator, null);
        assertThat(disabled.json().path("enabled").asBoolean()).isFalse();
        assertThat(app.call("GET", "/api/v1/sources/nope", viewer, null).status())
                .isEqualTo(404);
        Reply bad = app.call(
                "POST", "/api/v1/sources", operator, "{\"name\":\"Bad Name\",\"type\":\"file\",\"category\":\"scam\"}");
        assertThat(bad.json().at("/error/code").asText()).isEqualTo("invalid_source");
        Reply badType = app.call(
                "POST", "/api/v1/sources", operator, "{\"name\":\"x\",\"type\":\"ftp\",\"category\":\"scam\"}");
        assertThat(badType.status()).isEqualTo(400);
        // A sample of rejected lines is the file's content: operators see it, viewers do not.
        assertThat(app.call("GET", "/api/v1/sources/team/history", operator, null)
                        .text())
                .contains("not a name");
        assertThat(app.call("GET", "/api/v1/sources/team/history", viewer, null).text())
                .doesNotContain("not a name");
        // Files outside admin.sourceFileDirs, directly or through a link, are not the API's to read.
        for (String path : List.of(
                "/etc/shadow", dir.resolve("data/admin-token").toString(), dir + "/lists/../data/admin-token")) {
            Reply outside = app.call(
                    "POST",
                    "/api/v1/sources",
                    operator,
                    "{\"name\":\"peek\",\"type\":\"file\",\"path\":\"" + path + "\",\"category\":\"scam\"}");
            assertThat(outside.status()).as(path).isEqualTo(403);
            assertThat(outside.json().at("/error/code").asText()).isEqualTo("forbidden_path");
        }
        Files.createSymbolicLink(dir.resolve("lists/token-link"), dir.resolve("data/admin-token"));
        Reply linked = app.call(
                "POST",
                "/api/v1/sources",
                operator,
                "{\"name\":\"peek\",\"type\":\"file\",\"path\":\"" + dir.resolve("lists/token-link")
                        + "\",\"category\":\"scam\"}");
        assertThat(linked.status()).isEqualTo(403);
        // A URL source makes the appliance fetch from inside the network: admin only.
        Reply byOperator = app.call(
                "POST",
                "/api/v1/sources",
                operator,
                "{\"name\":\"internal\",\"type\":\"http\",\"url\":\"http://127.0.0.1:9/admin\",\"category\":\"scam\"}");
        assertThat(byOperator.status()).isEqualTo(403);
        assertThat(byOperator.json().at("/error/message").asText()).contains("admin role");
        // A secret in a source is never shown back, not even in the audit trail.
        Reply secret = app.call(
                "POST",
                "/api/v1/sources",
                app.adminToken,
                "{\"name\":\"paid-feed\",\"type\":\"http\",\"url\":\"http://127.0.0.1:9/list.txt\",\"category\":\"scam\",\"enabled\":false,\"bearerToken\":\"s3cret-feed-token\"}");
        assertThat(secret.status()).as(secret.text()).isEqualTo(201);
        assertThat(secret.text()).doesNotContain("s3cret-feed-token");
        JsonNode added = find(app.admin("GET", "/api/v1/audit", null).json().path("items"), "target", "paid-feed");
        assertThat(added.at("/after/bearerToken").asText()).isEqualTo("(set)");
        assertThat(app.call("GET", "/api/v1/sources/paid-feed", viewer, null).text())
                .doesNotContain("s3cret-feed-token");
        // Kept in the store, so the next start applies it.
        assertThat(org.safenet.dns.admin.api.AdminApi.storedSources(
                        app.appliance.liveList().store()))
                .anyMatch(s -> s.name().equals("team") && !s.enabled());
    }

    // ---- appeals ----

    @Test
    void acceptingAnAppealAllowlistsTheHostAndRejectingKeepsItBlocked() throws Exception {
        app.call("POST", "/api/v1/entries", operator, "{\"name\":\"appealed.example\",\"category\":\"scam\"}");
        app.call("POST", "/api/v1/entries", operator, "{\"name\":\"really-bad.example\",\"category\":\"scam\"}");
        BlocklistStore store = app.appliance.liveList().store();
        long now = System.currentTimeMillis();
        store.addAppeal(new BlocklistStore.Appeal(now, "shop.appealed.example", "my shop", "192.0.2.7", 1));
        store.addAppeal(new BlocklistStore.Appeal(now + 1, "really-bad.example", "not me", "192.0.2.8", 1));
        assertThat(firstA("shop.appealed.example")).isEqualTo("127.0.0.1");

        JsonNode pending =
                app.call("GET", "/api/v1/appeals", viewer, null).json().path("items");
        String accept =
                find(pending, "host", "shop.appealed.example").path("id").asText();
        String reject = find(pending, "host", "really-bad.example").path("id").asText();

        Reply accepted =
                app.call("POST", "/api/v1/appeals/" + accept + "/accept", operator, "{\"note\":\"checked the shop\"}");
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(200);
        assertThat(firstA("shop.appealed.example")).isNotEqualTo("127.0.0.1");
        assertThat(firstA("other.appealed.example")).isEqualTo("127.0.0.1"); // only the appealed host

        assertThat(app.call(
                                "POST",
                                "/api/v1/appeals/" + reject + "/reject",
                                operator,
                                "{\"note\":\"on the scam list\"}")
                        .status())
                .isEqualTo(200);
        assertThat(firstA("really-bad.example")).isEqualTo("127.0.0.1");
        assertThat(app.call("POST", "/api/v1/appeals/" + reject + "/accept", operator, null)
                        .status())
                .isEqualTo(409);

        JsonNode all = app.call("GET", "/api/v1/appeals?status=all", viewer, null)
                .json()
                .path("items");
        assertThat(find(all, "id", accept).path("status").asText()).isEqualTo("accepted");
        assertThat(find(all, "id", reject).at("/review/note").asText()).isEqualTo("on the scam list");
        assertThat(app.call("GET", "/api/v1/appeals", viewer, null)
                        .json()
                        .path("items")
                        .findValuesAsText("id"))
                .doesNotContain(accept, reject);
        assertThat(find(app.admin("GET", "/api/v1/audit", null).json().path("items"), "action", "appeal.accept")
                        .path("target")
                        .asText())
                .isEqualTo("shop.appealed.example");

        // Paged, and an operator may delete one (a viewer may not); the deletion is audited.
        JsonNode page = app.call("GET", "/api/v1/appeals?status=all&limit=1", viewer, null)
                .json();
        assertThat(page.path("items")).hasSize(1);
        JsonNode next = app.call(
                        "GET",
                        "/api/v1/appeals?status=all&limit=1&cursor="
                                + page.path("nextCursor").asText(),
                        viewer,
                        null)
                .json();
        assertThat(next.path("items").findValuesAsText("id"))
                .doesNotContainAnyElementsOf(page.path("items").findValuesAsText("id"))
                .hasSize(1);
        assertThat(app.call("DELETE", "/api/v1/appeals/" + reject, viewer, null).status())
                .isEqualTo(403);
        assertThat(app.call("DELETE", "/api/v1/appeals/" + reject, operator, null)
                        .status())
                .isEqualTo(200);
        assertThat(app.call("GET", "/api/v1/appeals/" + reject, viewer, null).status())
                .isEqualTo(404);
        assertThat(app.call("GET", "/api/v1/appeals/" + accept, viewer, null)
                        .json()
                        .path("status")
                        .asText())
                .isEqualTo("accepted");
        assertThat(find(app.admin("GET", "/api/v1/audit", null).json().path("items"), "action", "appeal.delete")
                        .path("target")
                        .asText())
                .isEqualTo("really-bad.example");
    }

    // ---- bad input ----

    @Test
    void badInputGetsAClearJsonErrorNeverA500() throws Exception {
        record Case(String method, String path, String body, String contentType, int status, String code) {}
        List<Case> cases = List.of(
                new Case("POST", "/api/v1/entries", "{\"name\": \"x.example\", ", "application/json", 400, "bad_json"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\": 5, \"category\": \"scam\"}",
                        "application/json",
                        400,
                        "wrong_type"),
                new Case("POST", "/api/v1/entries", "[1,2]", "application/json", 400, "wrong_type"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"x.example\",\"category\":\"scam\",\"colour\":\"red\"}",
                        "application/json",
                        400,
                        "unknown_field"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"-bad-.example\",\"category\":\"scam\"}",
                        "application/json",
                        400,
                        "invalid_name"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"" + "a".repeat(64) + ".example\",\"category\":\"scam\"}",
                        "application/json",
                        400,
                        "invalid_name"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"*.wild.example\",\"category\":\"scam\"}",
                        "application/json",
                        400,
                        "invalid_name"),
                // What an import refuses, the API refuses too (issue 15): a single label would
                // block a whole TLD, an IP literal is not a name.
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"example\",\"category\":\"scam\"}",
                        "application/json",
                        400,
                        "invalid_name"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"localhost\",\"category\":\"scam\"}",
                        "application/json",
                        400,
                        "invalid_name"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"192.0.2.1\",\"category\":\"scam\"}",
                        "application/json",
                        400,
                        "invalid_name"),
                new Case("POST", "/api/v1/allowlist", "{\"name\":\"lan\"}", "application/json", 400, "invalid_name"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"x.example\",\"category\":\"weather\"}",
                        "application/json",
                        400,
                        "invalid_category"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"x.example\",\"category\":\"scam\",\"action\":\"explode\"}",
                        "application/json",
                        400,
                        "invalid_action"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "{\"name\":\"x.example\",\"category\":\"scam\",\"expires\":\"tomorrow\"}",
                        "application/json",
                        400,
                        "invalid_expires"),
                new Case("POST", "/api/v1/entries", "", "application/json", 400, "missing_body"),
                new Case("POST", "/api/v1/entries", "null", "application/json", 400, "missing_body"),
                new Case(
                        "POST",
                        "/api/v1/entries",
                        "name=x",
                        "application/x-www-form-urlencoded",
                        415,
                        "unsupported_media_type"),
                new Case("POST", "/api/v1/entries/bulk", "{}", "application/json", 400, "empty_bulk"),
                new Case(
                        "POST",
                        "/api/v1/entries/bulk",
                        "{\"remove\": \"x.example\"}",
                        "application/json",
                        400,
                        "wrong_type"),
                new Case("GET", "/api/v1/entries?limit=0", null, "application/json", 400, "invalid_parameter"),
                new Case("GET", "/api/v1/entries?limit=abc", null, "application/json", 400, "invalid_parameter"),
                new Case("GET", "/api/v1/entries?cursor=zz", null, "application/json", 400, "invalid_cursor"),
                new Case("GET", "/api/v1/stats?from=yesterday", null, "application/json", 400, "invalid_time"),
                new Case(
                        "GET",
                        "/api/v1/stats/series?from=2020-01-01&resolution=minute",
                        null,
                        "application/json",
                        400,
                        "range_too_large"),
                new Case("GET", "/api/v1/stats/top?kind=weather", null, "application/json", 400, "invalid_parameter"),
                new Case("DELETE", "/api/v1/stats", null, "application/json", 405, "method_not_allowed"),
                new Case("GET", "/api/v1/nothing-here", null, "application/json", 404, "not_found"));
        for (Case c : cases) {
            Reply r = app.call(
                    c.method(),
                    c.path(),
                    operator,
                    c.body() == null || c.body().isEmpty() ? null : c.body(),
                    c.contentType());
            if (c.body() != null && c.body().isEmpty()) {
                r = app.call(c.method(), c.path(), operator, "", c.contentType());
            }
            assertThat(r.status()).as(c + " -> " + r.text()).isEqualTo(c.status());
            assertThat(r.json().at("/error/code").asText()).as(c.toString()).isEqualTo(c.code());
            assertThat(r.json().at("/error/message").asText())
                    .as(c.toString())
                    .isNotBlank()
                    .doesNotContain("Exception")
                    .doesNotContain("at org.");
        }
        // A body over the limit: 413, in JSON, and the connection is closed.
        String huge = "{\"add\":[" + "\"x\",".repeat(5_000_000) + "\"y\"]}";
        Reply tooBig = app.call("POST", "/api/v1/entries/bulk", operator, huge);
        assertThat(tooBig.status()).isEqualTo(413);
        assertThat(tooBig.json().at("/error/code").asText()).isEqualTo("body_too_large");
        // More than 100,000 items in a body under the byte limit.
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 100_001; i++) {
            many.add("\"n" + i + ".example\"");
        }
        Reply tooMany =
                app.call("POST", "/api/v1/entries/bulk", operator, "{\"remove\":[" + String.join(",", many) + "]}");
        assertThat(tooMany.status()).isEqualTo(413);
        assertThat(tooMany.json().at("/error/code").asText()).isEqualTo("too_many_items");
    }

    @Test
    void theOpenApiDocumentDescribesEveryRouteAndNothingElse() throws Exception {
        Reply doc = app.call("GET", "/api/v1/openapi.json", viewer, null);
        assertThat(doc.status()).isEqualTo(200);
        JsonNode paths = doc.json().path("paths");
        Set<String> documented = new HashSet<>();
        // Paths served by another listener (the block page's /report) say so, and are not admin routes.
        paths.fieldNames().forEachRemaining(p -> {
            if (paths.path(p).has("x-listener")) {
                return;
            }
            paths.path(p).fieldNames().forEachRemaining(m -> documented.add(m.toUpperCase() + " " + p));
        });
        assertThat(paths.path("/report").path("x-listener").asText()).isEqualTo("block-page");
        assertThat(paths.path("/report").has("post")).isTrue();
        Set<String> routed = app.appliance.adminApi().routes().all().stream()
                .map(r -> r.method() + " " + r.pattern())
                .collect(Collectors.toSet());
        assertThat(documented).isEqualTo(routed);
        // The roles the document states are the ones the server enforces.
        for (Routes.Route r : app.appliance.adminApi().routes().all()) {
            JsonNode op = paths.path(r.pattern()).path(r.method().toLowerCase());
            String role = r.role() == null ? "" : r.role().text();
            assertThat(op.path("x-role").asText())
                    .as(r.method() + " " + r.pattern())
                    .isEqualTo(role);
        }
        // The copy in docs/ is the one served.
        Path inDocs = Stream.of(Path.of("../docs/openapi.json"), Path.of("docs/openapi.json"))
                .filter(Files::exists)
                .findFirst()
                .orElseThrow();
        assertThat(AdminTestAppliance.JSON.readTree(Files.readString(inDocs))).isEqualTo(doc.json());
    }

    static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        throw new AssertionError("no item with " + field + "=" + value + " in " + array);
    }
}
