package org.safenet.dns.admin.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the API refuses: an HTTP status, a stable machine-readable code (documented in the
 * OpenAPI document) and a message that tells the caller what to fix. Never carries a stack trace
 * to the client.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public ApiException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** Sends {@code name: value} with the error (Allow, Retry-After, WWW-Authenticate). */
    public ApiException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** The JSON error answer, with its headers. */
    public HttpCall.Answer answer() {
        HttpCall.Answer a = AdminApi.error(status, code, getMessage());
        return new HttpCall.Answer(a.status(), a.contentType(), a.body(), Map.copyOf(headers));
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message);
    }
}
