package org.safenet.dns.admin.api;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code /api/v1/profiles} and {@code /api/v1/clients}: per-client policy, read by viewers and
 * changed by operators, every change audited with its before and after.
 */
final class ProfileResources {
    private final PolicyAdmin policy;

    ProfileResources(PolicyAdmin policy) {
        this.policy = policy;
    }

    void register(Routes routes) {
        routes.add("GET", "/api/v1/profiles", Role.VIEWER, r -> Map.of("profiles", policy.profiles()));
        routes.add("POST", "/api/v1/profiles", Role.OPERATOR, r -> create(r, true));
        routes.add(
                "GET",
                "/api/v1/profiles/{name}",
                Role.VIEWER,
                r -> found(policy.profile(r.path("name")), r, "profile"));
        routes.add("PUT", "/api/v1/profiles/{name}", Role.OPERATOR, r -> put(r, true, r.path("name")));
        routes.add("DELETE", "/api/v1/profiles/{name}", Role.OPERATOR, r -> delete(r, true));
        routes.add("GET", "/api/v1/services", Role.VIEWER, r -> Map.of("services", policy.services()));
        routes.add("GET", "/api/v1/clients", Role.VIEWER, r -> Map.of("clients", policy.clients()));
        routes.add("POST", "/api/v1/clients", Role.OPERATOR, r -> create(r, false));
        routes.add(
                "GET",
                "/api/v1/clients/{name}",
                Role.VIEWER,
                r -> found(policy.client(r.path("name")), r, "client group"));
        routes.add("PUT", "/api/v1/clients/{name}", Role.OPERATOR, r -> put(r, false, r.path("name")));
        routes.add("DELETE", "/api/v1/clients/{name}", Role.OPERATOR, r -> delete(r, false));
    }

    private static Object found(@Nullable Map<String, Object> value, ApiRequest r, String what) {
        if (value == null) {
            throw ApiException.notFound("no " + what + " '" + r.path("name") + "'");
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private Object create(ApiRequest r, boolean profile) throws Exception {
        Map<String, Object> body = r.body(Map.class);
        Object name = body.get("name");
        if (!(name instanceof String n) || n.isBlank()) {
            throw ApiException.badRequest("invalid_field", "field 'name' is required (a string)");
        }
        Map<String, Object> existing = profile ? policy.profile(n) : policy.client(n);
        if (existing != null && !"built-in".equals(existing.get("origin"))) {
            throw new ApiException(
                    409,
                    "exists",
                    (profile ? "profile" : "client group") + " '" + n + "' exists; change it with PUT /api/v1/"
                            + (profile ? "profiles/" : "clients/") + n);
        }
        return new Routes.Created(put(r, profile, n, body));
    }

    @SuppressWarnings("unchecked")
    private Object put(ApiRequest r, boolean profile, String name) throws Exception {
        return put(r, profile, name, r.body(Map.class));
    }

    private Object put(ApiRequest r, boolean profile, String name, Map<String, Object> body) throws Exception {
        Object named = body.get("name");
        if (named != null && !name.equals(named)) {
            throw ApiException.badRequest(
                    "invalid_field", "field 'name' is '" + named + "' but the path names '" + name + "'");
        }
        Map<String, Object> before = profile ? policy.profile(name) : policy.client(name);
        Map<String, Object> after;
        try {
            after = profile ? policy.putProfile(name, body) : policy.putClient(name, body);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_" + (profile ? "profile" : "client"), e.getMessage());
        }
        r.audit(profile ? "profile.put" : "client.put", name, before, after);
        return after;
    }

    private Object delete(ApiRequest r, boolean profile) throws Exception {
        String name = r.path("name");
        Map<String, Object> before = profile ? policy.profile(name) : policy.client(name);
        boolean deleted;
        try {
            deleted = profile ? policy.deleteProfile(name) : policy.deleteClient(name);
        } catch (IllegalStateException e) {
            throw new ApiException(409, "in_use", e.getMessage());
        }
        if (!deleted) {
            throw ApiException.notFound(
                    "no " + (profile ? "profile" : "client group") + " '" + name + "' made through the API");
        }
        r.audit(profile ? "profile.delete" : "client.delete", name, before, null);
        Map<String, Object> now = profile ? policy.profile(name) : policy.client(name);
        return now == null ? Map.of("deleted", name) : Map.of("deleted", name, "now", now);
    }
}
