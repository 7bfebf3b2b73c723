package org.safenet.dns.admin.api;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One admin API request, decoded off the event loop's buffers, and its answer.
 *
 * @param path the decoded path, without the query
 * @param query query parameters
 * @param authorization the Authorization header, or null
 * @param client the caller's address as text
 */
public record HttpCall(
        String method,
        String path,
        Map<String, List<String>> query,
        @Nullable String authorization,
        @Nullable String contentType,
        byte[] body,
        String client) {

    /** The one value of query parameter {@code name}, or null. */
    public @Nullable String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** An answer: status, content type, body and extra headers. */
    public record Answer(int status, String contentType, byte[] body, Map<String, String> headers) {
        public Answer(int status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of());
        }

        /** This answer with one more header. */
        public Answer withHeader(String name, String value) {
            Map<String, String> more = new java.util.LinkedHashMap<>(headers);
            more.put(name, value);
            return new Answer(status, contentType, body, Map.copyOf(more));
        }
    }
}
