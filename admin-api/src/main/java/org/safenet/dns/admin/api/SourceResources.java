package org.safenet.dns.admin.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.Records;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.blocklist.sync.SourceSpec;
import org.safenet.dns.blocklist.sync.SourceState;
import org.safenet.dns.blocklist.sync.SyncResult;
import org.safenet.dns.blocklist.sync.SyncService;
import org.safenet.dns.resolver.DurationText;
import org.safenet.dns.resolver.HostPort;

/**
 * List sources over the API: the {@link SyncService} as it is (list, status, history, trigger,
 * approve or discard a held update), plus adding and changing sources at run time. A source
 * added or changed here is kept in the store ({@code meta} family, {@code source/<name>}) and
 * applied over the config file's sources at every start, so it survives restarts; secrets in it
 * (bearer tokens) are never shown back.
 */
final class SourceResources {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SourceResources.class);

    private static final String RECORD_PREFIX = "source/";

    private final AdminContext context;
    private final ObjectMapper json;
    private final Records stored;

    SourceResources(AdminContext context, ObjectMapper json) {
        this.context = context;
        this.json = json;
        this.stored = context.live().store().metaRecords(RECORD_PREFIX);
    }

    void register(Routes routes) {
        routes.add("GET", "/api/v1/sources", Role.VIEWER, this::list);
        routes.add("POST", "/api/v1/sources", Role.OPERATOR, this::create);
        routes.add("GET", "/api/v1/sources/{name}", Role.VIEWER, this::status);
        routes.add("PUT", "/api/v1/sources/{name}", Role.OPERATOR, this::update);
        routes.add("GET", "/api/v1/sources/{name}/history", Role.VIEWER, this::history);
        routes.add("GET", "/api/v1/sources/{name}/held", Role.VIEWER, this::heldPreview);
        routes.add("POST", "/api/v1/sources/{name}/sync", Role.OPERATOR, r -> act(r, "sync"));
        routes.add("POST", "/api/v1/sources/{name}/approve", Role.OPERATOR, r -> act(r, "approve"));
        routes.add("POST", "/api/v1/sources/{name}/discard", Role.OPERATOR, r -> act(r, "discard"));
        routes.add("POST", "/api/v1/sources/{name}/enable", Role.OPERATOR, r -> enable(r, true));
        routes.add("POST", "/api/v1/sources/{name}/disable", Role.OPERATOR, r -> enable(r, false));
    }

    /**
     * A source as the API takes it: the same keys as a {@code sync.sources} item in the config
     * file (docs/configuration.md), the rails as their defaults unless given.
     */
    record SourceRequest(
            @Nullable String name,
            @Nullable String type,
            @Nullable String category,
            @Nullable String format,
            @Nullable String url,
            @Nullable String path,
            @Nullable String primary,
            @Nullable String zone,
            @Nullable String tsigKey,
            @Nullable String refresh,
            @Nullable Integer precedence,
            @Nullable Boolean enabled,
            @Nullable String bearerToken,
            @Nullable String sha256,
            @Nullable String signatureUrl,
            @Nullable String publicKey,
            @Nullable Integer maxRemovePercent,
            @Nullable Integer maxAddPercent) {}

    /** The sources stored through the API, to apply over the config's at start. */
    static List<SourceSpec> storedSources(BlocklistStore store) {
        ObjectMapper json = AdminApi.mapper();
        List<SourceSpec> out = new ArrayList<>();
        store.metaRecords(RECORD_PREFIX).scan(new byte[0], null, false, (k, v) -> {
            try {
                out.add(spec(json.readValue(v, SourceRequest.class), null));
            } catch (IOException | RuntimeException e) {
                log.warn(
                        "ignoring a stored source that no longer reads ({}): {}",
                        new String(k, StandardCharsets.UTF_8),
                        e.getMessage());
            }
            return true;
        });
        return out;
    }

    /**
     * What a source made through the API may read: a file only under {@code
     * admin.sourceFileDirs} (symbolic links resolved), so a token cannot turn the appliance into
     * a reader of {@code /etc/shadow} or its own token file; a URL or an RPZ primary only with
     * an admin token, since the appliance fetches from inside the network it protects (a
     * request to an internal service is the caller's choice, and the admin's to make).
     */
    private void mayReach(ApiRequest r, SourceSpec spec) {
        switch (spec.type()) {
            case FILE -> {
                Path path = spec.path();
                if (path == null || !underAllowedDir(path)) {
                    throw new ApiException(
                            403,
                            "forbidden_path",
                            "a file source made through the API may read only under admin.sourceFileDirs "
                                    + context.sourceFileDirs() + ", not " + path);
                }
            }
            case HTTP, NATIONAL, RPZ -> {
                if (!r.who().role().covers(Role.ADMIN)) {
                    throw new ApiException(
                            403,
                            "forbidden",
                            "a " + spec.type().name().toLowerCase(Locale.ROOT)
                                    + " source makes the appliance fetch from the network: this needs the admin role");
                }
                log.warn(
                        "source {} ({}) set through the admin API by {}: the appliance will fetch {}",
                        spec.name(),
                        spec.type().name().toLowerCase(Locale.ROOT),
                        r.who().name(),
                        spec.type() == SourceSpec.Type.RPZ ? spec.primary() : spec.url());
            }
        }
    }

    private boolean underAllowedDir(Path path) {
        Path real;
        try {
            real = path.isAbsolute() ? path.toRealPath() : null;
        } catch (IOException missing) {
            real = path.normalize(); // not there yet: judged by its normalised path
        }
        if (real == null) {
            return false;
        }
        for (Path dir : context.sourceFileDirs()) {
            Path allowed;
            try {
                allowed = dir.toRealPath();
            } catch (IOException missing) {
                continue;
            }
            if (real.startsWith(allowed) && !real.equals(allowed)) {
                return true;
            }
        }
        return false;
    }

    private static SourceSpec spec(SourceRequest r, @Nullable String nameFromPath) {
        String name = nameFromPath != null ? nameFromPath : r.name();
        if (name == null || !name.matches("[a-z0-9][a-z0-9_-]{0,62}")) {
            throw ApiException.badRequest(
                    "invalid_source",
                    "name is required: lowercase letters, digits, '-' and '_' (e.g. national), not '" + name + "'");
        }
        if (nameFromPath != null && r.name() != null && !r.name().equals(nameFromPath)) {
            throw ApiException.badRequest(
                    "invalid_source", "the body names '" + r.name() + "' but the path names '" + nameFromPath + "'");
        }
        if (name.equals(EntryResources.OPERATOR_SOURCE)) {
            throw ApiException.badRequest(
                    "invalid_source", "'operator' is the source of the API's own entries; pick another name");
        }
        try {
            SourceSpec.Type type =
                    SourceSpec.Type.valueOf(required(r.type(), "type").toUpperCase(Locale.ROOT));
            String category = required(r.category(), "category").toLowerCase(Locale.ROOT);
            Categories.requireKnown(category);
            SourceSpec.Builder b = SourceSpec.builder(name, type, category);
            if (r.format() != null) {
                b.format(ListFormat.parse(r.format()));
            }
            b.url(r.url() == null ? null : URI.create(r.url()));
            b.path(r.path() == null ? null : Path.of(r.path()));
            b.primary(r.primary() == null ? null : HostPort.parse(r.primary(), 53));
            b.zone(r.zone());
            b.tsigKey(r.tsigKey());
            if (r.refresh() != null) {
                b.refresh(DurationText.parse(r.refresh()));
            }
            if (r.precedence() != null) {
                b.precedence(r.precedence());
            }
            if (r.enabled() != null) {
                b.enabled(r.enabled());
            }
            b.bearerToken(r.bearerToken());
            b.sha256(r.sha256());
            b.signatureUrl(r.signatureUrl() == null ? null : URI.create(r.signatureUrl()));
            b.publicKey(r.publicKey());
            SourceSpec.Rails d = SourceSpec.Rails.defaults();
            b.rails(new SourceSpec.Rails(
                    r.maxRemovePercent() == null ? d.maxRemovePercent() : r.maxRemovePercent(),
                    r.maxAddPercent() == null ? d.maxAddPercent() : r.maxAddPercent(),
                    d.minEntriesForRatios(),
                    d.maxBytes(),
                    d.timeout()));
            return b.build();
        } catch (ApiException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_source", e.getMessage());
        }
    }

    private static String required(@Nullable String v, String field) {
        if (v == null || v.isBlank()) {
            throw ApiException.badRequest("invalid_source", field + " is required");
        }
        return v;
    }

    private Object list(ApiRequest r) {
        SyncService sync = context.sync();
        List<Object> out = new ArrayList<>();
        for (SourceSpec s : sync.sourcesByName()) {
            out.add(view(s));
        }
        return Map.of("items", out, "unconfiguredWithEntries", sync.unconfiguredWithEntries());
    }

    private Object status(ApiRequest r) throws Exception {
        return view(source(r.path("name")));
    }

    private SourceSpec source(String name) {
        Optional<SourceSpec> s = context.sync().source(name);
        if (s.isEmpty()) {
            throw ApiException.notFound("no source '" + name + "' (GET /api/v1/sources lists them)");
        }
        return s.get();
    }

    private Object create(ApiRequest r) throws Exception {
        SourceRequest req = r.body(SourceRequest.class);
        SourceSpec spec = spec(req, null);
        mayReach(r, spec);
        if (context.sync().source(spec.name()).isPresent()) {
            throw new ApiException(
                    409,
                    "exists",
                    "source '" + spec.name() + "' exists; change it with PUT /api/v1/sources/" + spec.name());
        }
        store(spec.name(), req);
        context.sync().putSource(spec);
        r.audit("source.add", spec.name(), null, redacted(req));
        return new Routes.Created(view(spec));
    }

    private Object update(ApiRequest r) throws Exception {
        String name = r.path("name");
        SourceSpec before = source(name);
        SourceRequest req = r.body(SourceRequest.class);
        SourceSpec spec = spec(req, name);
        mayReach(r, spec);
        store(name, req);
        context.sync().putSource(spec);
        r.audit("source.update", name, view(before), redacted(req));
        return view(spec);
    }

    private Object enable(ApiRequest r, boolean enabled) throws Exception {
        String name = r.path("name");
        SourceSpec before = source(name);
        byte[] raw = stored.get(name.getBytes(StandardCharsets.UTF_8));
        if (raw != null) { // keep the stored copy in step, or the next start would undo this
            SourceRequest req = json.readValue(raw, SourceRequest.class);
            store(name, with(req, "enabled", enabled));
        } else {
            store(name, with(requestOf(before), "enabled", enabled));
        }
        context.sync().setEnabled(name, enabled);
        r.audit(enabled ? "source.enable" : "source.disable", name, before.enabled(), enabled);
        return view(source(name));
    }

    private void store(String name, SourceRequest req) throws Exception {
        stored.put(name.getBytes(StandardCharsets.UTF_8), json.writeValueAsBytes(req));
    }

    /** {@code q} with one field replaced (its JSON name), through Jackson rather than an 18-argument copy. */
    private SourceRequest with(SourceRequest q, String field, @Nullable Object value) throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode tree = json.valueToTree(q);
        tree.set(field, json.valueToTree(value));
        return json.treeToValue(tree, SourceRequest.class);
    }

    private static SourceRequest requestOf(SourceSpec s) {
        return new SourceRequest(
                s.name(),
                s.type().name().toLowerCase(Locale.ROOT),
                s.category(),
                s.format().name().toLowerCase(Locale.ROOT),
                s.url() == null ? null : s.url().toString(),
                s.path() == null ? null : s.path().toString(),
                s.primary() == null ? null : s.primary().toString(),
                s.zone(),
                s.tsigKey(),
                DurationText.format(s.refresh()),
                s.precedence(),
                s.enabled(),
                s.bearerToken(),
                s.sha256(),
                s.signatureUrl() == null ? null : s.signatureUrl().toString(),
                s.publicKey(),
                s.rails().maxRemovePercent(),
                s.rails().maxAddPercent());
    }

    /** What the audit trail keeps of a request: the bearer token only as "(set)". */
    private SourceRequest redacted(SourceRequest q) throws Exception {
        return q.bearerToken() == null ? q : with(q, "bearerToken", "(set)");
    }

    private Object history(ApiRequest r) {
        String name = r.path("name");
        List<SyncResult> h = context.sync().history(name);
        if (h.isEmpty() && context.sync().source(name).isEmpty()) {
            throw ApiException.notFound("no source '" + name + "'");
        }
        // A sample of rejected lines is a file's own content: operators see it, viewers the counts.
        boolean lines = r.who().role().covers(Role.OPERATOR);
        return Map.of("items", h.stream().map(x -> view(x, lines)).toList());
    }

    /**
     * What the held update of a source would do, before an operator approves or discards it: its
     * counts and reason, and up to {@code limit} names it adds, changes and removes (each list
     * sorted as stored, with its total).
     */
    private Object heldPreview(ApiRequest r) throws Exception {
        String name = r.path("name");
        source(name);
        SyncService.Held held = context.sync()
                .held(name)
                .orElseThrow(() -> ApiException.notFound("source '" + name + "' has no held update"));
        BlocklistStore.Changes changes = context.sync()
                .heldChanges(name)
                .orElseThrow(() -> new ApiException(
                        409, "nothing_held", "the held update of '" + name + "' was approved or discarded just now"));
        int limit = r.intParam("limit", 50, 1, 1000);
        BlocklistStore store = context.live().store();
        List<Map<String, Object>> added = new ArrayList<>();
        List<Map<String, Object>> changed = new ArrayList<>();
        // The totals are the held update's own counts; the store is asked about a put only until
        // both samples are full (a held update of a million names is not a million reads).
        int wantAdded = Math.min(limit, held.added());
        int wantChanged = Math.min(limit, held.updated());
        for (StoredEntry e : changes.blockPuts()) {
            if (added.size() >= wantAdded && changed.size() >= wantChanged) {
                break;
            }
            boolean isNew = store.entryOf(BlocklistStore.SIDE_BLOCK, e.reversedName(), e.match(), e.source()) == null;
            List<Map<String, Object>> into = isNew ? added : changed;
            if (into.size() < limit) {
                into.add(EntryResources.view(e));
            }
        }
        List<Map<String, Object>> removed = new ArrayList<>();
        for (BlocklistStore.Changes.Removal x : changes.blockRemovals()) {
            if (removed.size() < limit) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", EntryResources.display(x.reversedName()));
                m.put("match", x.match().name().toLowerCase(Locale.ROOT));
                removed.add(m);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("source", name);
        out.put("since", Instant.ofEpochMilli(held.heldAtMillis()).toString());
        out.put("reason", held.reason());
        out.put("counts", Map.of("added", held.added(), "updated", held.updated(), "removed", held.removed()));
        out.put("added", Map.of("total", held.added(), "items", added));
        out.put("changed", Map.of("total", held.updated(), "items", changed));
        out.put("removed", Map.of("total", changes.blockRemovals().size(), "items", removed));
        out.put(
                "other",
                changes.allowPuts().size()
                        + changes.allowRemovals().size()
                        + changes.ipPuts().size()
                        + changes.ipRemovals().size());
        return out;
    }

    private Object act(ApiRequest r, String what) throws Exception {
        String name = r.path("name");
        source(name);
        SyncResult result = switch (what) {
            case "sync" -> context.sync().syncNow(name, "api");
            case "approve" -> {
                if (context.sync().held(name).isEmpty()) {
                    throw new ApiException(409, "nothing_held", "source '" + name + "' has no held update to approve");
                }
                yield context.sync().approve(name);
            }
            default -> {
                if (context.sync().held(name).isEmpty()) {
                    throw new ApiException(409, "nothing_held", "source '" + name + "' has no held update to discard");
                }
                yield context.sync().discard(name);
            }
        };
        r.audit("source." + what, name, null, result.summary());
        return view(result, true);
    }

    private Map<String, Object> view(SourceSpec s) {
        SyncService sync = context.sync();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("type", s.type().name().toLowerCase(Locale.ROOT));
        m.put("category", s.category());
        m.put("enabled", s.enabled());
        m.put("precedence", s.precedence());
        m.put("format", s.format().name().toLowerCase(Locale.ROOT));
        m.put(
                "location",
                s.url() != null
                        ? s.url().toString()
                        : s.path() != null
                                ? s.path().toString()
                                : s.primary() != null ? s.primary() + " zone " + s.zone() : null);
        m.put("refresh", DurationText.format(s.refresh()));
        try {
            m.put("entries", context.live().store().sourceSize(s.name()));
        } catch (BlocklistStore.StoreException e) {
            m.put("entries", null);
        }
        SourceState st = sync.state(s.name());
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("lastOutcome", st.lastOutcome());
        state.put("lastDetail", st.lastDetail());
        state.put("lastAttempt", time(st.lastAttemptMillis()));
        state.put("lastSuccess", time(st.lastSuccessMillis()));
        state.put("nextAttempt", time(st.nextAttemptMillis()));
        state.put("consecutiveFailures", st.consecutiveFailures());
        state.put("serial", st.serial());
        m.put("state", state);
        m.put(
                "held",
                sync.held(s.name())
                        .map(h -> Map.of(
                                "since", Instant.ofEpochMilli(h.heldAtMillis()).toString(),
                                "reason", h.reason(),
                                "added", h.added(),
                                "removed", h.removed(),
                                "updated", h.updated()))
                        .orElse(null));
        return m;
    }

    static Map<String, Object> view(SyncResult r, boolean lines) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", r.source());
        m.put("trigger", r.trigger());
        m.put("start", Instant.ofEpochMilli(r.startMillis()).toString());
        m.put("end", Instant.ofEpochMilli(r.endMillis()).toString());
        m.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
        m.put("added", r.added());
        m.put("updated", r.updated());
        m.put("removed", r.removed());
        m.put("rejected", r.rejected());
        m.put("invalid", r.invalid());
        m.put("versionBefore", r.versionBefore());
        m.put("versionAfter", r.versionAfter());
        // The detail quotes an invalid line ("e.g. line 3: ..."): that is the file's content too.
        String detail = r.detail();
        int quoted = detail == null ? -1 : detail.indexOf(", e.g. line ");
        m.put("detail", lines || quoted < 0 ? detail : detail.substring(0, quoted));
        m.put("rejectedSample", lines ? r.rejectedSample() : List.of());
        return m;
    }

    private static @Nullable String time(long millis) {
        return millis <= 0 ? null : Instant.ofEpochMilli(millis).toString();
    }
}
