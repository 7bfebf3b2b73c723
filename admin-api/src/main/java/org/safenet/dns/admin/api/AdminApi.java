package org.safenet.dns.admin.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: authentication, routing, errors, and the unauthenticated endpoints
 * ({@code /healthz}, {@code /readyz}, {@code /metrics}, the dashboard's static files). The
 * resources themselves live in {@link EntryResources}, {@link SourceResources}, {@link
 * StatsResources} and {@link AccessResources}.
 *
 * <p>Every error is JSON {@code {"error": {"code": ..., "message": ...}}} with a stable code; an
 * unexpected failure is logged here and answered with a 500 that says nothing of the insides.
 */
public final class AdminApi {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);

    /** Most names one bulk request may add or remove. */
    public static final int MAX_BULK = 100_000;

    /** Failed token attempts from one address before answers to it are slowed down. */
    static final int FREE_FAILURES = 3;

    static final long MAX_FAILURE_DELAY_MILLIS = 5_000;

    /** How a handler's outcome leaves: the answer, possibly held back (repeated bad tokens). */
    public record Reply(HttpCall.Answer answer, long delayMillis) {}

    private final ObjectMapper json = mapper();
    private final Routes routes = new Routes();
    private final AdminContext context;
    private final Tokens tokens;
    private final AuditLog audit;
    /** Bad-token counts per client address, forgotten ten minutes after the last failure. */
    private final Map<String, long[]> failures = new ConcurrentHashMap<>();

    public AdminApi(AdminContext context, Tokens tokens) {
        this.context = context;
        this.tokens = tokens;
        this.audit = new AuditLog(context.live().store().auditRecords(), json, context.clock());
        routes.add("GET", "/healthz", null, r -> Map.of("status", "ok"));
        routes.add("GET", "/readyz", null, this::readiness);
        routes.add(
                "GET",
                "/metrics",
                null,
                r -> new HttpCall.Answer(
                        200,
                        "text/plain; version=0.0.4; charset=utf-8",
                        AdminServer.utf8(context.prometheus().get())));
        routes.add("GET", "/api/v1/openapi.json", Role.VIEWER, r -> staticFile("openapi.json"));
        new EntryResources(context).register(routes);
        new SourceResources(context, json).register(routes);
        new StatsResources(context).register(routes);
        new ProfileResources(context.policy()).register(routes);
        new AccessResources(context, tokens, audit).register(routes);
        for (String file : Dashboard.FILES) {
            routes.add("GET", file.equals("index.html") ? "/" : "/" + file, null, r -> staticFile(file));
        }
        routes.add(
                "GET",
                "/vendor/chart.umd.js",
                null,
                r -> resource(Dashboard.CHART_JS, "text/javascript; charset=utf-8"));
    }

    /** The sources added or changed through the API, for the appliance to apply over its config's at start. */
    public static List<org.safenet.dns.blocklist.sync.SourceSpec> storedSources(BlocklistStore store) {
        return SourceResources.storedSources(store);
    }

    public Routes routes() {
        return routes;
    }

    public ObjectMapper json() {
        return json;
    }

    /** Strict JSON: unknown fields, type coercions, trailing tokens and duplicate keys are errors. */
    static ObjectMapper mapper() {
        ObjectMapper m = JsonMapper.builder()
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
        for (CoercionInputShape shape :
                List.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
            m.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        m.coercionConfigFor(LogicalType.Collection).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        return m;
    }

    /** Handles one call; never throws. */
    public Reply handle(HttpCall call) {
        try {
            return dispatch(call);
        } catch (ApiException e) {
            return new Reply(error(e.status(), e.code(), e.getMessage()), 0);
        } catch (BlocklistStore.StoreException e) {
            log.warn("admin API: {} {} failed in the store: {}", call.method(), call.path(), e.getMessage());
            return new Reply(
                    error(503, "store_unavailable", "the store could not complete this: " + e.getMessage()), 0);
        } catch (Exception | StackOverflowError e) {
            log.error("admin API: {} {} failed", call.method(), call.path(), e);
            return new Reply(
                    error(500, "internal", "the appliance failed to handle this request; the log has the details"), 0);
        }
    }

    private Reply dispatch(HttpCall call) throws Exception {
        String method = call.method().equals("HEAD") ? "GET" : call.method();
        List<String> allowed = new ArrayList<>();
        Routes.Match match = routes.find(method, call.path(), allowed);
        if (match == null) {
            if (!allowed.isEmpty()) {
                return new Reply(
                        withHeader(
                                error(
                                        405,
                                        "method_not_allowed",
                                        call.method() + " is not allowed here; use " + String.join(" or ", allowed)),
                                "Allow",
                                String.join(", ", allowed)),
                        0);
            }
            throw ApiException.notFound(
                    "no such resource: " + call.path() + " (the API is under /api/v1, see /api/v1/openapi.json)");
        }
        Role needed = match.route().role();
        Tokens.Token who = null;
        if (needed != null) {
            who = authenticate(call);
            if (who == null) {
                // Only a wrong token counts towards the slow-down: a missing one is a mistake, not a guess.
                long delay = call.authorization() == null ? 0 : failed(call.client());
                HttpCall.Answer a = withHeader(
                        error(
                                401,
                                "unauthorized",
                                call.authorization() == null
                                        ? "send a token: Authorization: Bearer <token> (the first admin token is in <data-dir>/admin-token)"
                                        : "the token is not valid (revoked, mistyped, or from another appliance)"),
                        "WWW-Authenticate",
                        "Bearer realm=\"safenet\"");
                return new Reply(a, delay);
            }
            failures.remove(call.client());
            if (!who.role().covers(needed)) {
                throw new ApiException(
                        403,
                        "forbidden",
                        "this needs the " + needed.text() + " role; the token '" + who.name() + "' is "
                                + who.role().text());
            }
        }
        Object result = match.route().handler().handle(new ApiRequest(call, who, match.params(), json, audit));
        if (result instanceof HttpCall.Answer answer) {
            return new Reply(answer, 0);
        }
        int status = 200;
        if (result instanceof Routes.Created created) {
            status = 201;
            result = created.body();
        }
        return new Reply(new HttpCall.Answer(status, "application/json", json.writeValueAsBytes(result)), 0);
    }

    private Tokens.@Nullable Token authenticate(HttpCall call) {
        String header = call.authorization();
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return tokens.authenticate(header.substring(7).trim());
    }

    /** Counts a failure from {@code client}; returns how long to hold the answer back. */
    private long failed(String client) {
        long now = context.clock().getAsLong();
        failures.values().removeIf(f -> now - f[1] > 600_000);
        long[] f = failures.computeIfAbsent(client, c -> new long[2]);
        synchronized (f) {
            f[0]++;
            f[1] = now;
            if (f[0] <= FREE_FAILURES) {
                return 0;
            }
            return Math.min(MAX_FAILURE_DELAY_MILLIS, 250L << Math.min(10, f[0] - FREE_FAILURES - 1));
        }
    }

    private Object readiness(ApiRequest r) throws IOException {
        boolean ready = context.ready().getAsBoolean();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", ready);
        body.put("detail", context.readyDetail().get());
        return new HttpCall.Answer(ready ? 200 : 503, "application/json", json.writeValueAsBytes(body));
    }

    private HttpCall.Answer staticFile(String name) throws IOException {
        String type = name.endsWith(".html")
                ? "text/html; charset=utf-8"
                : name.endsWith(".js")
                        ? "text/javascript; charset=utf-8"
                        : name.endsWith(".css") ? "text/css; charset=utf-8" : "application/json";
        return resource("/org/safenet/dns/admin/web/" + name, type);
    }

    private static HttpCall.Answer resource(String path, String type) throws IOException {
        try (InputStream in = AdminApi.class.getResourceAsStream(path)) {
            if (in == null) {
                throw ApiException.notFound("not packaged: " + path);
            }
            return new HttpCall.Answer(200, type, in.readAllBytes());
        }
    }

    private static HttpCall.Answer withHeader(HttpCall.Answer a, String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(a.headers());
        h.put(name, value);
        return new HttpCall.Answer(a.status(), a.contentType(), a.body(), h);
    }

    /** The JSON error body every failure gets. */
    public static HttpCall.Answer error(int status, String code, String message) {
        String body = "{\"error\":{\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}}";
        return new HttpCall.Answer(status, "application/json", AdminServer.utf8(body));
    }

    private static String quote(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "\"\"";
        }
    }
}
