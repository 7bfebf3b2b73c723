package org.safenet.dns.admin.api;

import java.time.Instant;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.appeals.ReportBox;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.store.StoredEntry;

/**
 * Citizens' scam reports (filed on the block page's listener, {@code POST /report}): listed in
 * pages, accepted with a list category (an entry of the source {@value #SOURCE}, live at once and
 * served to RPZ followers like any entry) or rejected with a note; and the monthly counts.
 */
final class ReportResources {
    /** The source of entries made by accepting a report. */
    static final String SOURCE = "reports";

    private static final List<String> STATUSES = List.of("open", "accepted", "rejected", "all");

    private final AdminContext context;
    private final ReportBox reports;

    ReportResources(AdminContext context) {
        this.context = context;
        this.reports = context.reports();
    }

    void register(Routes routes) {
        routes.add("GET", "/api/v1/reports", Role.VIEWER, this::list);
        routes.add("GET", "/api/v1/reports/{id}", Role.VIEWER, r -> view(report(r.path("id")), personal(r)));
        routes.add("POST", "/api/v1/reports/{id}/accept", Role.OPERATOR, this::accept);
        routes.add("POST", "/api/v1/reports/{id}/reject", Role.OPERATOR, this::reject);
        routes.add("GET", "/api/v1/stats/reports", Role.VIEWER, this::months);
    }

    /** The body of {@code POST /api/v1/reports/{id}/accept}. */
    record AcceptRequest(
            @Nullable String category, @Nullable String note) {}

    /** The body of {@code POST /api/v1/reports/{id}/reject}. */
    record RejectRequest(@Nullable String note) {}

    private Object list(ApiRequest r) {
        String status = r.param("status") == null ? "open" : r.param("status");
        if (!STATUSES.contains(status)) {
            throw ApiException.badRequest("invalid_parameter", "status must be open, accepted, rejected or all");
        }
        String cursor = r.param("cursor");
        if (cursor != null && !cursor.matches("[0-9]{16}")) {
            throw ApiException.badRequest("invalid_parameter", "cursor must be a report id from nextCursor");
        }
        ReportBox.Page page = reports.list(status, r.intParam("limit", 100, 1, 1000), cursor);
        Map<String, Object> out = new LinkedHashMap<>();
        boolean personal = personal(r);
        out.put("items", page.items().stream().map(x -> view(x, personal)).toList());
        out.put("nextCursor", page.nextCursor());
        return out;
    }

    private ReportBox.Report report(String id) throws Exception {
        ReportBox.Report found = reports.get(id);
        if (found == null) {
            throw ApiException.notFound("no report '" + id + "' (GET /api/v1/reports lists them)");
        }
        return found;
    }

    private ReportBox.Report open(String id) throws Exception {
        ReportBox.Report found = report(id);
        if (!found.status().equals("open")) {
            ReportBox.Decision d = found.decision();
            throw new ApiException(
                    409,
                    "already_decided",
                    "report " + id + " was " + found.status() + (d == null ? "" : " by " + d.by() + " at " + d.time()));
        }
        return found;
    }

    private Object accept(ApiRequest r) throws Exception {
        AcceptRequest req = r.body(AcceptRequest.class);
        ReportBox.Report report = open(r.path("id"));
        if (req.category() == null || !Categories.KNOWN.contains(req.category().toLowerCase(Locale.ROOT))) {
            throw ApiException.badRequest(
                    "invalid_category",
                    "category is required: the list category of the new entry (one of "
                            + String.join(", ", Categories.KNOWN) + ")");
        }
        String category = req.category().toLowerCase(Locale.ROOT);
        String note = note(req.note());
        String name = EntryResources.newEntryName(report.domain(), "the report's domain");
        long now = context.clock().getAsLong();
        StoredEntry entry = new StoredEntry(
                EntryResources.reversed(name),
                Match.SUBTREE,
                Action.BLOCK,
                category,
                SOURCE,
                "citizen report " + report.id() + (note.isEmpty() ? "" : ": " + note),
                now,
                0,
                null);
        Map<String, Object> added = new EntryResources(context).blockEntry(entry);
        ReportBox.Report closed = reports.decide(report.id(), true, decision(r, category, note, now));
        Map<String, Object> after = view(closed, true);
        after.put("entry", added);
        r.audit(AuditLog.REPORT, "report.accept", report.domain(), view(report, true), after);
        return after;
    }

    private Object reject(ApiRequest r) throws Exception {
        String note = r.call().body().length == 0
                ? ""
                : note(r.body(RejectRequest.class).note());
        ReportBox.Report report = open(r.path("id"));
        ReportBox.Report closed = reports.decide(
                report.id(), false, decision(r, null, note, context.clock().getAsLong()));
        r.audit(AuditLog.REPORT, "report.reject", report.domain(), view(report, true), view(closed, true));
        return view(closed, true);
    }

    private Object months(ApiRequest r) {
        YearMonth now = reports.monthOf(context.clock().getAsLong());
        YearMonth from = month(r.param("from"), now.minusMonths(11), "from");
        YearMonth to = month(r.param("to"), now, "to");
        if (to.isBefore(from) || from.plusMonths(240).isBefore(to)) {
            throw ApiException.badRequest("invalid_range", "from must not be after to, and at most 20 years apart");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("timeZone", context.timeZone().getId());
        out.put("from", from.toString());
        out.put("to", to.toString());
        out.put("months", reports.months(from, to));
        return out;
    }

    private static YearMonth month(@Nullable String text, YearMonth otherwise, String field) {
        if (text == null || text.isEmpty()) {
            return otherwise;
        }
        try {
            return YearMonth.parse(text);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(
                    "invalid_parameter", field + " must be a month such as 2026-12, not '" + text + "'");
        }
    }

    private static String note(@Nullable String note) {
        if (note == null) {
            return "";
        }
        if (note.length() > 1000) {
            throw ApiException.badRequest("invalid_note", "note is over 1000 characters");
        }
        return note.strip();
    }

    private static ReportBox.Decision decision(ApiRequest r, @Nullable String category, String note, long now) {
        return new ReportBox.Decision(
                category,
                note,
                r.who().name() + " (" + r.who().id() + ")",
                Instant.ofEpochMilli(now).toString());
    }

    /**
     * Whether the caller may see who reported: the contacts people left and the client address
     * prefix are for the operators who act on reports, not for viewer tokens (wall screens,
     * school boards).
     */
    private static boolean personal(ApiRequest r) {
        return r.who().role().covers(Role.OPERATOR);
    }

    /** A report as the API shows it; {@code personal}: with its contacts and client (empty otherwise). */
    static Map<String, Object> view(ReportBox.Report report, boolean personal) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", report.id());
        m.put("domain", report.domain());
        m.put("category", report.category());
        m.put("count", report.count());
        m.put("status", report.status());
        m.put("time", Instant.ofEpochMilli(report.timeMillis()).toString());
        m.put("lastTime", Instant.ofEpochMilli(report.lastMillis()).toString());
        m.put("url", report.url());
        m.put("descriptions", report.descriptions());
        m.put("contacts", personal ? report.contacts() : List.of());
        m.put("client", personal ? report.client() : null);
        m.put("decision", report.decision());
        return m;
    }
}
