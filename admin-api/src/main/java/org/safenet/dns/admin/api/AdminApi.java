package org.safenet.dns.admin.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
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
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.sync.SourceSpec;
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

    /**
     * Wrong tokens one address may send within {@link #FAILURE_MEMORY_MILLIS}; after that every
     * call from it that needs a token gets 429 until its failures are forgotten, whatever token it
     * sends (so a lucky guess is not told apart), and a success in between does not reset it.
     */
    static final int MAX_FAILURES = 20;

    /** How long an address's wrong tokens count against it, from its last one. */
    static final long FAILURE_MEMORY_MILLIS = 600_000;

    /** Addresses with wrong tokens remembered at once; past it the expired ones go, then the oldest. */
    static final int MAX_FAILING_ADDRESSES = 10_000;

    private final ObjectMapper json = mapper();
    private final Routes routes = new Routes();
    private final AdminContext context;
    private final Tokens tokens;
    private final AuditLog audit;
    /** Wrong-token counts per client address ([count, last failure]); guarded by itself. */
    private final Map<String, long[]> failures = new LinkedHashMap<>();

    public AdminApi(AdminContext context, Tokens tokens) {
        this.context = context;
        this.tokens = tokens;
        this.audit = context.audit();
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
        new ReportResources(context).register(routes);
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
    public static List<SourceSpec> storedSources(BlocklistStore store) {
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
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
        for (CoercionInputShape shape :
                List.of(CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean)) {
            m.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        m.coercionConfigFor(LogicalType.Collection).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        return m;
    }

    /** Handles one call; never throws: every failure is a JSON error. */
    public HttpCall.Answer handle(HttpCall call) {
        try {
            return dispatch(call);
        } catch (ApiException e) {
            return e.answer();
        } catch (BlocklistStore.StoreException e) {
            log.warn("admin API: {} {} failed in the store: {}", call.method(), call.path(), e.getMessage());
            return error(503, "store_unavailable", "the store could not complete this: " + e.getMessage());
        } catch (Exception | Error e) {
            // An Error too (OutOfMemoryError from one large request): the caller still gets an answer.
            log.error("admin API: {} {} failed", call.method(), call.path(), e);
            return error(500, "internal", "the appliance failed to handle this request; the log has the details");
        }
    }

    /**
     * Decides on a request's method, path and token before its body is read: the refusal (unknown
     * route, method not allowed, no or wrong token, too many wrong tokens, too weak a role), or
     * null to read the body and {@link #handle} the call.
     */
    public HttpCall.@Nullable Answer admit(String method, String path, @Nullable String authorization, String client) {
        try {
            Routes.Match match = route(method, path);
            Role needed = match.route().role();
            if (needed != null) {
                authorize(needed, authorization, client);
            }
            return null;
        } catch (ApiException e) {
            return e.answer();
        }
    }

    private Routes.Match route(String method, String path) {
        List<String> allowed = new ArrayList<>();
        Routes.Match match = routes.find(method.equals("HEAD") ? "GET" : method, path, allowed);
        if (match != null) {
            return match;
        }
        if (!allowed.isEmpty()) {
            throw new ApiException(
                            405,
                            "method_not_allowed",
                            method + " is not allowed here; use " + String.join(" or ", allowed))
                    .withHeader("Allow", String.join(", ", allowed));
        }
        throw ApiException.notFound(
                "no such resource: " + path + " (the API is under /api/v1, see /api/v1/openapi.json)");
    }

    private HttpCall.Answer dispatch(HttpCall call) throws Exception {
        Routes.Match match = route(call.method(), call.path());
        Role needed = match.route().role();
        Tokens.Token who = needed == null ? null : authorize(needed, call.authorization(), call.client());
        Object result = match.route().handler().handle(new ApiRequest(call, who, match.params(), json, audit));
        if (result instanceof HttpCall.Answer answer) {
            return answer;
        }
        int status = 200;
        if (result instanceof Routes.Created created) {
            status = 201;
            result = created.body();
        }
        return new HttpCall.Answer(status, "application/json", json.writeValueAsBytes(result));
    }

    /** The token's holder, if it may call a route that needs {@code needed}; else the refusal. */
    private Tokens.Token authorize(Role needed, @Nullable String authorization, String client) {
        long now = context.clock().getAsLong();
        long refusedMillis = lockedFor(client, now);
        if (refusedMillis > 0) {
            long seconds = (refusedMillis + 999) / 1000;
            throw new ApiException(
                            429,
                            "too_many_failures",
                            "too many wrong tokens from " + client + "; calls that need a token are refused for "
                                    + seconds + " s")
                    .withHeader("Retry-After", Long.toString(seconds));
        }
        Tokens.Token who = authenticate(authorization);
        if (who == null) {
            // Only a wrong token counts: a missing one is a mistake, not a guess.
            if (authorization != null) {
                failed(client, now);
            }
            throw new ApiException(
                            401,
                            "unauthorized",
                            authorization == null
                                    ? "send a token: Authorization: Bearer <token> (the first admin token is in <data-dir>/admin-token)"
                                    : "the token is not valid (revoked, mistyped, or from another appliance)")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"safenet\"");
        }
        if (!who.role().covers(needed)) {
            throw new ApiException(
                    403,
                    "forbidden",
                    "this needs the " + needed.text() + " role; the token '" + who.name() + "' is "
                            + who.role().text());
        }
        return who;
    }

    private Tokens.@Nullable Token authenticate(@Nullable String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return tokens.authenticate(header.substring(7).trim());
    }

    /** How long calls from {@code client} that need a token stay refused (0: not refused). */
    private long lockedFor(String client, long now) {
        synchronized (failures) {
            long[] f = failures.get(client);
            if (f == null || f[0] < MAX_FAILURES) {
                return 0;
            }
            return Math.max(0, f[1] + FAILURE_MEMORY_MILLIS - now);
        }
    }

    /** Counts a wrong token from {@code client}. */
    private void failed(String client, long now) {
        synchronized (failures) {
            long[] f = failures.remove(client); // re-inserted last: the map runs oldest failure first
            if (f == null || now - f[1] > FAILURE_MEMORY_MILLIS) {
                f = new long[2];
            }
            f[0]++;
            f[1] = now;
            if (failures.size() >= MAX_FAILING_ADDRESSES) {
                failures.values().removeIf(old -> now - old[1] > FAILURE_MEMORY_MILLIS);
                if (failures.size() >= MAX_FAILING_ADDRESSES) {
                    failures.remove(failures.keySet().iterator().next());
                }
            }
            failures.put(client, f);
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

    /** The JSON error body every failure gets. */
    public static HttpCall.Answer error(int status, String code, String message) {
        String body = "{\"error\":{\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}}";
        return new HttpCall.Answer(status, "application/json", AdminServer.utf8(body));
    }

    private static String quote(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (JsonProcessingException e) {
            return "\"\"";
        }
    }
}
