package org.safenet.dns.appliance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.stats.FleetStats;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigException;
import org.safenet.dns.resolver.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Shortcuts that call a running appliance's admin API: {@code block}, {@code unblock}, {@code
 * stats}. The address comes from the config's {@code admin.listen}, the token from {@code
 * SAFENET_ADMIN_TOKEN} or the token file ({@code admin.tokenFile}, else {@code
 * <dataDir>/admin-token}). Exit status: 0 done, 1 refused or failed, 2 bad config.
 */
final class AdminCommands {
    private AdminCommands() {}

    /** Where and how to reach the admin API. */
    static class ApiOptions extends Main.ConfigOptions {
        @Option(names = "--api", paramLabel = "URL", description = "Admin API base URL; default from admin.listen.")
        @Nullable
        String api;

        @Option(
                names = "--token-file",
                paramLabel = "FILE",
                description = "File holding the token; default admin.tokenFile or <dataDir>/admin-token.")
        @Nullable
        Path tokenFile;

        /** Calls the API; a failure to connect or a refusal is printed and gives exit status 1. */
        Result call(String method, String path, @Nullable String body) throws ConfigException, IOException {
            return callAt(null, method, path, body);
        }

        /** As {@link #call}, at {@code base} (another node's admin API) when it is not null. */
        Result callAt(@Nullable String base, String method, String path, @Nullable String body)
                throws ConfigException, IOException {
            ApplianceConfig config = load();
            if (base == null) {
                base = api != null ? api : baseOf(config);
            }
            String token = System.getenv(org.safenet.dns.admin.api.Tokens.BOOTSTRAP_ENV);
            if (token == null || token.isBlank()) {
                Path file = tokenFile != null
                        ? tokenFile
                        : config.admin().tokenFile().isEmpty()
                                ? config.dataDir().resolve("admin-token")
                                : Path.of(config.admin().tokenFile());
                try {
                    token = Files.readString(file).trim();
                } catch (IOException e) {
                    throw new IOException(
                            "no token: set SAFENET_ADMIN_TOKEN or pass --token-file (" + file + " cannot be read: "
                                    + e.getMessage() + ")",
                            e);
                }
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofMinutes(2))
                    .header("Authorization", "Bearer " + token);
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            b.method(
                    method,
                    body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            try (HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()) {
                HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                JsonNode json = r.body().isEmpty() ? MAPPER.nullNode() : MAPPER.readTree(r.body());
                return new Result(r.statusCode(), json);
            } catch (ConnectException e) {
                throw new IOException("cannot reach the admin API at " + base + " (is the appliance running?)", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        private static String baseOf(ApplianceConfig config) throws IOException {
            if (config.admin().listen().isEmpty()) {
                throw new IOException("admin.listen is empty: this appliance runs no admin API");
            }
            HostPort listen = config.admin().listen().get(0);
            String host = io.netty.util.NetUtil.toAddressString(listen.address());
            if (listen.address().isAnyLocalAddress()) {
                host = listen.address() instanceof java.net.Inet6Address ? "::1" : "127.0.0.1";
            }
            String scheme = config.admin().tlsCertificate().isEmpty() ? "http" : "https";
            return scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + listen.port();
        }
    }

    static final ObjectMapper MAPPER = new ObjectMapper();

    record Result(int status, JsonNode json) {
        boolean ok() {
            return status / 100 == 2;
        }

        String error() {
            return json.at("/error/message").asText("HTTP " + status);
        }
    }

    static int run(CommandLine.Model.@Nullable CommandSpec spec, ApiCall call) {
        PrintWriter out = spec != null
                ? spec.commandLine().getOut()
                : new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = spec != null
                ? spec.commandLine().getErr()
                : new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        try {
            return call.run(out, err);
        } catch (ConfigException e) {
            e.problems().forEach(err::println);
            return Main.EXIT_BAD_CONFIG;
        } catch (IOException e) {
            err.println(e.getMessage());
            return 1;
        }
    }

    interface ApiCall {
        int run(PrintWriter out, PrintWriter err) throws ConfigException, IOException;
    }

    static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    @Command(
            name = "block",
            mixinStandardHelpOptions = true,
            description = "Block a name (and everything under it) on a running appliance, through its admin API.")
    static final class Block implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions options = new ApiOptions();

        @Parameters(paramLabel = "NAME", description = "Domain name to block.")
        String name = "";

        @Option(names = "--category", description = "List category (default: custom).")
        String category = "custom";

        @Option(names = "--reason", description = "Why; shown by explain and kept in the audit trail.")
        @Nullable
        String reason;

        @Option(names = "--exact", description = "Block only this name, not the names under it.")
        boolean exact;

        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() {
            return run(spec, (out, err) -> {
                ObjectNode body = MAPPER.createObjectNode().put("name", name).put("category", category);
                if (reason != null) {
                    body.put("reason", reason);
                }
                if (exact) {
                    body.put("match", "exact");
                }
                Result r = options.call("POST", "/api/v1/entries", body.toString());
                if (!r.ok()) {
                    err.println("not blocked: " + r.error());
                    return 1;
                }
                out.printf(
                        "blocked %s%s (%s), live now; list version %d%n",
                        r.json().path("name").asText(),
                        exact ? "" : " and the names under it",
                        r.json().path("category").asText(),
                        r.json().path("listVersion").asLong());
                return 0;
            });
        }
    }

    @Command(
            name = "unblock",
            mixinStandardHelpOptions = true,
            description = "Remove a name blocked with `block` (or the API). With --allow, allowlist it instead, "
                    + "which also overrides the list feeds.")
    static final class Unblock implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions options = new ApiOptions();

        @Parameters(paramLabel = "NAME", description = "Domain name to unblock.")
        String name = "";

        @Option(
                names = "--allow",
                description = "Add the name to the allowlist (it then resolves whatever any feed says).")
        boolean allow;

        @Option(names = "--reason", description = "Why (with --allow).")
        @Nullable
        String reason;

        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() {
            return run(spec, (out, err) -> {
                if (allow) {
                    ObjectNode body = MAPPER.createObjectNode().put("name", name);
                    if (reason != null) {
                        body.put("reason", reason);
                    }
                    Result r = options.call("POST", "/api/v1/allowlist", body.toString());
                    if (!r.ok()) {
                        err.println("not allowed: " + r.error());
                        return 1;
                    }
                    out.printf(
                            "allowed %s, live now; list version %d%n",
                            r.json().path("name").asText(),
                            r.json().path("listVersion").asLong());
                    return 0;
                }
                Result r = options.call("DELETE", "/api/v1/entries/" + encode(name), null);
                if (!r.ok()) {
                    err.println("not unblocked: " + r.error());
                    return 1;
                }
                out.printf(
                        "unblocked %s (%d entries removed); list version %d%n",
                        name,
                        r.json().path("removed").asInt(),
                        r.json().path("listVersion").asLong());
                return 0;
            });
        }
    }

    @Command(
            name = "stats",
            mixinStandardHelpOptions = true,
            description = "Print a running appliance's statistics for a period (default: everything kept).")
    static final class Stats implements Callable<Integer> {
        @CommandLine.Mixin
        ApiOptions options = new ApiOptions();

        @Option(
                names = "--from",
                paramLabel = "DATE",
                description = "Start: 2026-11-01, an ISO-8601 time, or epoch ms.")
        @Nullable
        String from;

        @Option(names = "--to", paramLabel = "DATE", description = "End (exclusive); default now.")
        @Nullable
        String to;

        @Option(names = "--json", description = "Print the API's JSON as it is.")
        boolean json;

        @Option(
                names = "--node",
                paramLabel = "URL",
                description = "A fleet node's admin API (repeat for each node): their statistics are merged into"
                        + " one report, distinct clients counted once. The token (SAFENET_ADMIN_TOKEN or"
                        + " --token-file) must be valid on every node.")
        List<String> nodes = new ArrayList<>();

        @CommandLine.Spec
        CommandLine.Model.@Nullable CommandSpec spec;

        @Override
        public Integer call() {
            return run(spec, (out, err) -> {
                StringBuilder query = new StringBuilder();
                if (from != null) {
                    query.append(query.isEmpty() ? "?" : "&").append("from=").append(encode(from));
                }
                if (to != null) {
                    query.append(query.isEmpty() ? "?" : "&").append("to=").append(encode(to));
                }
                JsonNode s;
                if (nodes.isEmpty()) {
                    Result r = options.call("GET", "/api/v1/stats" + query, null);
                    if (!r.ok()) {
                        err.println("no statistics: " + r.error());
                        return 1;
                    }
                    s = r.json();
                } else {
                    List<FleetStats.Export> exports = new ArrayList<>();
                    for (String node : nodes) {
                        String base = node.endsWith("/") ? node.substring(0, node.length() - 1) : node;
                        Result r = options.callAt(base, "GET", "/api/v1/stats/export" + query, null);
                        if (!r.ok()) {
                            err.println("no statistics from " + node + ": " + r.error());
                            return 1;
                        }
                        FleetStats.Export e = MAPPER.treeToValue(r.json(), FleetStats.Export.class);
                        exports.add(new FleetStats.Export(
                                e.format(), e.version(), base, e.from(), e.to(), e.resolution(), e.bucket()));
                    }
                    try {
                        s = MAPPER.valueToTree(
                                FleetStats.report(FleetStats.merge(exports), exports, FleetStats.RELATIVE_ERROR));
                    } catch (IllegalArgumentException e) {
                        err.println("cannot merge: " + e.getMessage());
                        return 1;
                    }
                }
                if (json) {
                    out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(s));
                    return 0;
                }
                if (s.has("nodes")) {
                    out.printf(
                            "nodes              %d, merged%n", s.path("nodes").size());
                    for (JsonNode n : s.path("nodes")) {
                        out.printf(
                                "  %s: %s to %s%n",
                                n.path("node").asText(),
                                n.path("from").asText(),
                                n.path("to").asText());
                    }
                } else {
                    out.printf(
                            "period             %s to %s (%s buckets)%n",
                            s.path("from").asText(),
                            s.path("to").asText(),
                            s.path("resolution").asText());
                }
                out.printf("queries            %,d%n", s.path("queries").asLong());
                out.printf("blocked            %,d%n", s.path("blocked").asLong());
                out.printf("cache hits         %,d%n", s.path("cacheHits").asLong());
                out.printf(
                        "clients            %,d (estimate)%n",
                        s.path("distinctClients").asLong());
                out.printf(
                        "clients protected  %,d (estimate: distinct clients that hit a block)%n",
                        s.path("protectedClients").asLong());
                out.printf(
                        "blocked names hit  %,d (estimate)%n",
                        s.path("distinctBlockedNames").asLong());
                Iterator<Map.Entry<String, JsonNode>> it =
                        s.path("blockedByCategory").fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    out.printf(
                            "  %-16s %,d blocked, %,d clients%n",
                            e.getKey(),
                            e.getValue().asLong(),
                            s.path("protectedClientsByCategory")
                                    .path(e.getKey())
                                    .asLong());
                }
                if (s.has("list")) {
                    out.printf(
                            "list               %,d entries, version %d%n",
                            s.at("/list/entries").asLong(),
                            s.at("/list/version").asLong());
                }
                return 0;
            });
        }
    }
}
