package org.safenet.dns.blocklist.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListFormat;

/**
 * The national feed's manifest (specified in docs/national-feed.md): a small signed JSON document
 * naming the current list and, optionally, diffs from earlier serials. URLs in it are resolved
 * against the manifest's own URL.
 *
 * @param serial increases with every publication
 * @param generatedAt when the publisher made it (ISO 8601), for the operator
 * @param format the list's syntax
 * @param listUrl the whole list
 * @param listSha256 its SHA-256 (hex)
 * @param entries how many entries the list has (-1 if not given): a diff that would not arrive at
 *     this count is not used
 * @param diffs diffs from earlier serials to this one
 */
record NationalManifest(
        long serial,
        String generatedAt,
        ListFormat format,
        URI listUrl,
        String listSha256,
        long entries,
        List<Diff> diffs) {

    /** The format identifier this code reads. */
    static final String FORMAT = "safenet-national-feed/1";

    /** A diff: from {@code fromSerial} to the manifest's serial. */
    record Diff(long fromSerial, URI url, String sha256) {}

    @Nullable
    Diff diffFrom(long serial) {
        if (serial < 0) {
            return null;
        }
        for (Diff d : diffs) {
            if (d.fromSerial() == serial) {
                return d;
            }
        }
        return null;
    }

    static NationalManifest parse(byte[] json, URI base) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IOException("the manifest is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException("the manifest is not a JSON object");
        }
        String format = text(root, "format");
        if (!FORMAT.equals(format)) {
            throw new IOException("the manifest's format is '" + format + "'; this appliance reads " + FORMAT);
        }
        long serial = number(root, "serial");
        JsonNode list = root.get("list");
        if (list == null || !list.isObject()) {
            throw new IOException("the manifest has no \"list\" object");
        }
        ListFormat listFormat;
        try {
            listFormat = ListFormat.parse(text(list, "format"));
        } catch (IllegalArgumentException e) {
            throw new IOException("manifest list.format: " + e.getMessage(), e);
        }
        List<Diff> diffs = new ArrayList<>();
        JsonNode ds = root.get("diffs");
        if (ds != null && ds.isArray()) {
            for (JsonNode d : ds) {
                diffs.add(new Diff(number(d, "fromSerial"), url(base, text(d, "url")), sha(d)));
            }
        }
        return new NationalManifest(
                serial,
                root.hasNonNull("generatedAt") ? root.get("generatedAt").asText() : "",
                listFormat,
                url(base, text(list, "url")),
                sha(list),
                list.hasNonNull("entries") ? list.get("entries").asLong() : -1,
                List.copyOf(diffs));
    }

    /** {@code text} resolved against the manifest's own URL; only http and https (a fuzzer found a bad URL threw). */
    private static URI url(URI base, String text) throws IOException {
        URI u;
        try {
            u = base.resolve(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("manifest: url '" + text + "' is not a valid URL", e);
        }
        String scheme = u.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw new IOException("manifest: url '" + text + "' is not an http or https URL");
        }
        return u;
    }

    private static String sha(JsonNode n) throws IOException {
        String s = text(n, "sha256");
        if (!s.matches("[0-9a-fA-F]{64}")) {
            throw new IOException("manifest: sha256 '" + s + "' is not 64 hex digits");
        }
        return s;
    }

    private static String text(JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new IOException("manifest: \"" + field + "\" is missing or not a string");
        }
        return v.asText();
    }

    private static long number(JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToLong() || v.asLong() < 0) {
            throw new IOException("manifest: \"" + field + "\" is missing or not a non-negative integer");
        }
        return v.asLong();
    }
}
