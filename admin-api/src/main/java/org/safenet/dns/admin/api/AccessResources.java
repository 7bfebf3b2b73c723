package org.safenet.dns.admin.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.appeals.AppealBox;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;

/**
 * Appeals from the block page (listed in pages; review: accept adds the host to the allowlist,
 * reject keeps it blocked, both with a note; delete), API tokens and the audit trail.
 */
final class AccessResources {
    private final AdminContext context;
    private final Tokens tokens;
    private final AuditLog audit;
    private final AppealBox appeals;

    AccessResources(AdminContext context, Tokens tokens, AuditLog audit) {
        this.context = context;
        this.tokens = tokens;
        this.audit = audit;
        this.appeals = context.appeals();
    }

    void register(Routes routes) {
        routes.add("GET", "/api/v1/appeals", Role.VIEWER, this::appeals);
        routes.add("POST", "/api/v1/appeals/{id}/accept", Role.OPERATOR, r -> review(r, true));
        routes.add("POST", "/api/v1/appeals/{id}/reject", Role.OPERATOR, r -> review(r, false));
        routes.add("GET", "/api/v1/appeals/{id}", Role.VIEWER, r -> view(item(r.path("id"))));
        routes.add("DELETE", "/api/v1/appeals/{id}", Role.OPERATOR, this::deleteAppeal);
        routes.add("GET", "/api/v1/tokens", Role.ADMIN, this::listTokens);
        routes.add("POST", "/api/v1/tokens", Role.ADMIN, this::createToken);
        routes.add("DELETE", "/api/v1/tokens/{id}", Role.ADMIN, this::revokeToken);
        routes.add("GET", "/api/v1/audit", Role.VIEWER, this::auditTrail);
        routes.add("GET", "/api/v1/audit/export", Role.ADMIN, this::auditExport);
        routes.add("GET", "/api/v1/whoami", Role.VIEWER, this::whoami);
        routes.add("POST", "/api/v1/config/reload", Role.ADMIN, this::reload);
        routes.add(
                "GET",
                "/api/v1/logging",
                Role.VIEWER,
                r -> Map.of("levels", context.logs().levels()));
        routes.add("PUT", "/api/v1/logging/{logger}", Role.ADMIN, this::setLevel);
    }

    /** The body of an appeal review. */
    record ReviewRequest(@Nullable String note) {}

    /** The body of {@code POST /api/v1/tokens}. */
    record TokenRequest(@Nullable String name, @Nullable String role) {}

    private Object appeals(ApiRequest r) {
        String status = r.param("status") == null ? "pending" : r.param("status");
        if (!List.of("pending", "accepted", "rejected", "all").contains(status)) {
            throw ApiException.badRequest("invalid_parameter", "status must be pending, accepted, rejected or all");
        }
        int limit = r.intParam("limit", 100, 1, 1000);
        AppealBox.Page page = appeals.list(status, limit, r.param("cursor"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", page.items().stream().map(AccessResources::view).toList());
        out.put("nextCursor", page.nextCursor());
        return out;
    }

    private AppealBox.Item item(String id) throws BlocklistStore.StoreException {
        AppealBox.Item item = appeals.get(id);
        if (item == null) {
            throw ApiException.notFound("no appeal '" + id + "' (GET /api/v1/appeals lists them)");
        }
        return item;
    }

    private static Map<String, Object> view(AppealBox.Item item) {
        BlocklistStore.Appeal a = item.stored().appeal();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", item.stored().id());
        m.put("time", Instant.ofEpochMilli(a.timeMillis()).toString());
        m.put("host", a.host());
        m.put("reason", a.reason());
        m.put("client", a.clientAddress());
        m.put("listVersion", a.listVersion());
        m.put("count", a.count());
        m.put("lastTime", Instant.ofEpochMilli(a.lastMillis()).toString());
        m.put("reasons", a.reasons());
        m.put("status", item.status());
        m.put("review", item.review());
        return m;
    }

    private Object deleteAppeal(ApiRequest r) throws Exception {
        AppealBox.Item item = item(r.path("id"));
        if (!appeals.delete(item.stored().id())) {
            throw ApiException.notFound("no appeal '" + item.stored().id() + "'");
        }
        r.audit(AuditLog.APPEAL, "appeal.delete", item.stored().appeal().host(), view(item), null);
        return Map.of("deleted", item.stored().id());
    }

    private Object review(ApiRequest r, boolean accept) throws Exception {
        String id = r.path("id");
        AppealBox.Item found = item(id);
        BlocklistStore.StoredAppeal appeal = found.stored();
        AppealBox.Review before = found.review();
        if (before != null) {
            throw new ApiException(
                    409,
                    "already_reviewed",
                    "appeal " + id + " was " + before.status() + " by " + before.by() + " at " + before.time());
        }
        String note = r.call().body().length == 0
                ? ""
                : String.valueOf(r.body(ReviewRequest.class).note());
        if (note.equals("null")) {
            note = "";
        }
        Map<String, Object> allowed = null;
        if (accept) {
            String name;
            try {
                name = EntryResources.newEntryName(appeal.appeal().host(), "host");
            } catch (ApiException e) {
                throw new ApiException(
                        422, "invalid_name", "the appeal's host cannot be allowlisted: " + e.getMessage());
            }
            StoredEntry entry = new StoredEntry(
                    EntryResources.reversed(name),
                    Match.EXACT,
                    Action.ALLOW,
                    "custom",
                    EntryResources.OPERATOR_SOURCE,
                    "appeal " + id + (note.isEmpty() ? "" : ": " + note),
                    context.clock().getAsLong(),
                    0,
                    null);
            allowed = new EntryResources(context).allowEntry(r, entry, null);
        }
        AppealBox.Review review = new AppealBox.Review(
                accept ? "accepted" : "rejected",
                note,
                r.who().name() + " (" + r.who().id() + ")",
                Instant.ofEpochMilli(context.clock().getAsLong()).toString());
        appeals.review(id, review);
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("review", review);
        after.put("allowEntry", allowed);
        r.audit(
                AuditLog.APPEAL,
                accept ? "appeal.accept" : "appeal.reject",
                appeal.appeal().host(),
                null,
                after);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("host", appeal.appeal().host());
        out.put("review", review);
        out.put("allowEntry", allowed);
        return out;
    }

    private Object listTokens(ApiRequest r) {
        return Map.of("items", tokens.list().stream().map(AccessResources::view).toList());
    }

    private Object createToken(ApiRequest r) throws Exception {
        TokenRequest req = r.body(TokenRequest.class);
        if (req.name() == null || req.name().isBlank() || req.name().length() > 100) {
            throw ApiException.badRequest(
                    "invalid_token_name", "name is required (up to 100 characters): who or what will use the token");
        }
        if (req.role() == null) {
            throw ApiException.badRequest("invalid_role", "role is required: viewer, operator or admin");
        }
        Role role = Role.parse(req.role());
        String text =
                tokens.create(req.name(), role, r.who().name() + " (" + r.who().id() + ")");
        Tokens.Token created = tokens.authenticate(text);
        r.audit(AuditLog.TOKEN, "token.create", created == null ? "?" : created.id(), null, view(created));
        Map<String, Object> out = new LinkedHashMap<>(view(created));
        out.put("token", text);
        out.put("note", "this is the only time the token is shown; store it now");
        return new Routes.Created(out);
    }

    private Object revokeToken(ApiRequest r) throws Exception {
        String id = r.path("id");
        Tokens.Token before = tokens.list().stream()
                .filter(t -> t.id().equals(id))
                .findFirst()
                .orElse(null);
        if (before == null || !tokens.revoke(id)) {
            throw ApiException.notFound("no token with id '" + id + "'");
        }
        r.audit(AuditLog.TOKEN, "token.revoke", id, view(before), null);
        return Map.of("revoked", id);
    }

    /** Re-reads the config file, as SIGHUP does: 200 with what changed, or 422 with why nothing did. */
    private Object reload(ApiRequest r) throws Exception {
        Supplier<ReloadOutcome> reload = context.reload();
        if (reload == null) {
            throw new ApiException(
                    409, "reload_unavailable", "this appliance was started without a config file to reload");
        }
        ReloadOutcome outcome = reload.get();
        r.audit(AuditLog.RELOAD, "config.reload", "config", null, outcome);
        if (!outcome.applied()) {
            throw new ApiException(422, "invalid_config", "nothing changed: " + outcome.error());
        }
        return outcome;
    }

    /** The body of {@code PUT /api/v1/logging/{logger}}; a null level clears the logger's own level. */
    record LevelRequest(@Nullable String level) {}

    /** Sets a logger's level until the next reload or restart (logging.levels in the config is what lasts). */
    private Object setLevel(ApiRequest r) throws Exception {
        String logger = r.path("logger");
        if (!logger.matches("root|[A-Za-z0-9_$.]{1,200}")) {
            throw ApiException.badRequest(
                    "invalid_logger", "logger must be root or a logger name such as org.safenet.dns.blocklist.sync");
        }
        LevelRequest req = r.body(LevelRequest.class);
        String before = context.logs().levels().get(logger);
        try {
            context.logs().set(logger, req.level());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_level", e.getMessage());
        }
        r.audit("logging.set", logger, before, req.level());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("logger", logger);
        out.put("level", req.level());
        return out;
    }

    /** The records that match the filters of the call (via, actor, action, target, from), newest first, in pages. */
    private Object auditTrail(ApiRequest r) {
        int limit = r.intParam("limit", 100, 1, 1000);
        List<JsonNode> items = audit.recent(auditFilter(r), limit, time(r, "before", Long.MAX_VALUE));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put(
                "nextBefore",
                items.size() == limit ? items.getLast().path("time").asText(null) : null);
        return out;
    }

    /** Every record that matches the filters, newest first, as JSON lines (one record a line). */
    private Object auditExport(ApiRequest r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ObjectMapper json = new ObjectMapper();
        IOException[] failed = {null};
        audit.each(auditFilter(r), time(r, "before", Long.MAX_VALUE), e -> {
            try {
                out.write(json.writeValueAsBytes(e));
                out.write('\n');
            } catch (IOException ex) {
                failed[0] = ex;
                return false;
            }
            return out.size() < MAX_EXPORT_BYTES;
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        return new HttpCall.Answer(200, "application/x-ndjson; charset=utf-8", out.toByteArray())
                .withHeader("Content-Disposition", "attachment; filename=\"safenet-audit.jsonl\"");
    }

    /** Most bytes one export answers with (a larger trail is exported in ranges: from/before). */
    static final int MAX_EXPORT_BYTES = 64 * 1024 * 1024;

    private static AuditLog.Filter auditFilter(ApiRequest r) {
        String via = blankToNull(r.param("via"));
        if (via != null && !via.matches("[a-z]{1,20}")) {
            throw ApiException.badRequest(
                    "invalid_parameter",
                    "via is a change path such as api, import, sync, reload, report, appeal, token");
        }
        return new AuditLog.Filter(
                via,
                blankToNull(r.param("actor")),
                blankToNull(r.param("action")),
                blankToNull(r.param("target")),
                time(r, "from", 0));
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static long time(ApiRequest r, String name, long otherwise) {
        String text = r.param(name);
        if (text == null || text.isEmpty()) {
            return otherwise;
        }
        try {
            return Instant.parse(text).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(
                    "invalid_time", name + " must be an ISO-8601 time such as 2026-11-01T00:00:00Z");
        }
    }

    /** Who the caller's token is, and what the console needs to show it: role, time zone. */
    private Object whoami(ApiRequest r) {
        Map<String, Object> out = new LinkedHashMap<>(view(r.who()));
        out.put("timeZone", context.timeZone().getId());
        out.put("categories", Categories.KNOWN);
        return out;
    }

    private static Map<String, Object> view(Tokens.@Nullable Token t) {
        if (t == null) {
            return Map.of();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("name", t.name());
        m.put("role", t.role().text());
        m.put("created", Instant.ofEpochMilli(t.createdMillis()).toString());
        m.put("createdBy", t.createdBy());
        return m;
    }
}
