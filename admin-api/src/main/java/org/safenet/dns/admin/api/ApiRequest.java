package org.safenet.dns.admin.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.store.BlocklistStore;

/** One authenticated call as handlers see it: parameters, the JSON body, the caller, and auditing. */
public final class ApiRequest {
    private final HttpCall call;
    private final Tokens.@Nullable Token who;
    private final Map<String, String> pathParams;
    private final ObjectMapper json;
    private final @Nullable AuditLog audit;

    ApiRequest(
            HttpCall call,
            Tokens.@Nullable Token who,
            Map<String, String> pathParams,
            ObjectMapper json,
            @Nullable AuditLog audit) {
        this.call = call;
        this.who = who;
        this.pathParams = pathParams;
        this.json = json;
        this.audit = audit;
    }

    public HttpCall call() {
        return call;
    }

    public Tokens.Token who() {
        if (who == null) {
            throw new IllegalStateException("route has no token");
        }
        return who;
    }

    /** A path parameter, URL-decoded. */
    public String path(String name) {
        return URLDecoder.decode(pathParams.get(name), StandardCharsets.UTF_8);
    }

    public @Nullable String param(String name) {
        return call.param(name);
    }

    /** An integer query parameter within {@code [min, max]}, or {@code otherwise} when absent. */
    public int intParam(String name, int otherwise, int min, int max) {
        String v = call.param(name);
        if (v == null || v.isEmpty()) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw ApiException.badRequest(
                        "invalid_parameter", name + " must be between " + min + " and " + max + ", not " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid_parameter", name + " must be a whole number, not '" + v + "'");
        }
    }

    /** The body as {@code type}: strict JSON, no unknown fields, no type coercion. */
    public <T> T body(Class<T> type) {
        if (call.body().length == 0) {
            throw ApiException.badRequest("missing_body", "this call needs a JSON body");
        }
        String ct = call.contentType();
        if (ct != null && !ct.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "unsupported_media_type", "send the body as application/json, not " + ct);
        }
        try {
            T value = json.readValue(call.body(), type);
            if (value == null) {
                throw ApiException.badRequest("missing_body", "the body is JSON null; send an object");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest(
                    "unknown_field",
                    "unknown field '" + e.getPropertyName() + "'; known fields: "
                            + e.getKnownPropertyIds().stream()
                                    .map(String::valueOf)
                                    .sorted()
                                    .collect(Collectors.joining(", ")));
        } catch (MismatchedInputException e) {
            String field = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."))
                    .replace(".[", "[");
            throw ApiException.badRequest(
                    "wrong_type",
                    (field.isEmpty() ? "the body" : "field '" + field + "'") + " has the wrong type: "
                            + e.getOriginalMessage()
                                    .replaceAll(" \\(class [^)]*\\)", "")
                                    .replaceAll("`", "")
                                    .lines()
                                    .findFirst()
                                    .orElse(""));
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(
                    "bad_json",
                    "the body is not valid JSON: " + e.getOriginalMessage() + " (line "
                            + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")");
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("bad_json", "the body could not be read: " + e.getMessage());
        }
    }

    /** Records this change in the audit trail (before the answer goes out), as made through the API. */
    public void audit(String action, String target, @Nullable Object before, @Nullable Object after)
            throws BlocklistStore.StoreException {
        audit(AuditLog.API, action, target, before, after);
    }

    /** Records this change in the audit trail with its change path ({@code via}: report, appeal, token, reload). */
    public void audit(String via, String action, String target, @Nullable Object before, @Nullable Object after)
            throws BlocklistStore.StoreException {
        if (audit != null) {
            audit.record(AuditLog.Actor.token(who(), call.client(), via), action, target, before, after);
        }
    }
}
