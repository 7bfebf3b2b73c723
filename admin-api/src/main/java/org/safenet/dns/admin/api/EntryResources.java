package org.safenet.dns.admin.api;

import java.io.IOException;
import java.net.IDN;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.format.ListParser;
import org.safenet.dns.blocklist.format.LocalData;
import org.safenet.dns.blocklist.format.ParseReport;
import org.safenet.dns.blocklist.importer.Explainer;
import org.safenet.dns.blocklist.importer.ListImporter;
import org.safenet.dns.blocklist.importer.SourceAction;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.ReversedName;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * Entries, the allowlist, categories and explain. Entries made here belong to the source
 * {@value #OPERATOR_SOURCE}, which outranks every feed by default; removing a name removes the
 * operator's entries only (a feed's entry comes back with the next sync: allowlist it instead).
 */
final class EntryResources {
    /** The source of entries made through the API. */
    static final String OPERATOR_SOURCE = "operator";

    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
    private static final Map<String, Action> ENTRY_ACTIONS = Map.of(
            "block", Action.BLOCK,
            "nxdomain", Action.NXDOMAIN,
            "nodata", Action.NODATA,
            "drop", Action.DROP);

    private final AdminContext context;
    private final ListImporter checks;

    EntryResources(AdminContext context) {
        this.context = context;
        this.checks = new ListImporter(context.live().store(), context.protectedDomains(), context.clock());
    }

    void register(Routes routes) {
        routes.add("GET", "/api/v1/entries", Role.VIEWER, r -> search(r, BlocklistStore.SIDE_BLOCK));
        routes.add("POST", "/api/v1/entries", Role.OPERATOR, this::add);
        routes.add("POST", "/api/v1/entries/bulk", Role.OPERATOR, this::bulk);
        routes.add("POST", "/api/v1/entries/import", Role.OPERATOR, this::importFile);
        routes.add("GET", "/api/v1/entries/{name}", Role.VIEWER, r -> byName(r, BlocklistStore.SIDE_BLOCK));
        routes.add("DELETE", "/api/v1/entries/{name}", Role.OPERATOR, r -> remove(r, BlocklistStore.SIDE_BLOCK));
        routes.add("GET", "/api/v1/allowlist", Role.VIEWER, r -> search(r, BlocklistStore.SIDE_ALLOW));
        routes.add("POST", "/api/v1/allowlist", Role.OPERATOR, this::allow);
        routes.add("DELETE", "/api/v1/allowlist/{name}", Role.OPERATOR, r -> remove(r, BlocklistStore.SIDE_ALLOW));
        routes.add("GET", "/api/v1/categories", Role.VIEWER, this::categories);
        routes.add("PUT", "/api/v1/categories/{name}", Role.OPERATOR, this::setCategory);
        routes.add("GET", "/api/v1/explain", Role.VIEWER, this::explain);
    }

    /** The body of {@code POST /api/v1/entries} (and each item of a bulk add). */
    record EntryRequest(
            @Nullable String name,
            @Nullable String category,
            @Nullable String action,
            @Nullable String reason,
            @Nullable String match,
            @Nullable String expires) {}

    /** The body of {@code POST /api/v1/allowlist}. */
    record AllowRequest(
            @Nullable String name,
            @Nullable String reason,
            @Nullable String match) {}

    /** The body of {@code POST /api/v1/entries/bulk}. */
    record BulkRequest(
            @Nullable List<EntryRequest> add, @Nullable List<String> remove) {}

    /** The body of {@code PUT /api/v1/categories/{name}}. */
    record CategoryRequest(@Nullable String action) {}

    /** Lowercase ASCII dotted name (IDNs converted), validated; the message says what is wrong. */
    static String validName(@Nullable String raw, String field) {
        if (raw == null || raw.isBlank()) {
            throw ApiException.badRequest("invalid_name", field + " is required: a domain name such as scam.example");
        }
        String name = raw.trim().toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.startsWith("*.")) {
            throw ApiException.badRequest(
                    "invalid_name",
                    field + " '" + raw
                            + "': no wildcards; an entry for the name covers its subdomains (match: subtree)");
        }
        try {
            if (!name.chars().allMatch(c -> c < 0x80)) {
                name = IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(
                    "invalid_name", field + " '" + raw + "' is not a valid domain name: " + e.getMessage());
        }
        String[] labels = name.split("\\.", -1);
        if (labels.length < 1 || name.length() > 253) {
            throw ApiException.badRequest("invalid_name", field + " '" + raw + "' is not a valid domain name");
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw ApiException.badRequest(
                        "invalid_name",
                        field + " '" + raw + "' is not a valid domain name: label '" + label
                                + "' (letters, digits, '-' and '_', 1 to 63 characters, no '-' at either end)");
            }
        }
        return name;
    }

    /**
     * {@link #validName} for a new entry: also the importer's rules ({@link ListParser#name}),
     * so the API cannot add what an import refuses, such as a single label ({@code example}
     * would block every {@code *.example} name) or an IP literal. Reading, removing and
     * explaining take any valid name, so entries made before these rules can still be removed.
     */
    static String newEntryName(@Nullable String raw, String field) {
        String name = validName(raw, field);
        try {
            ListParser.name(name);
        } catch (ListParser.BadName e) {
            throw ApiException.badRequest("invalid_name", field + " '" + raw + "' cannot be listed: " + e.getMessage());
        }
        return name;
    }

    static String reversed(String name) {
        return ReversedName.fromWire(DnsNames.toWire(name));
    }

    private static Match match(@Nullable String text) {
        if (text == null || text.equals("subtree")) {
            return Match.SUBTREE;
        }
        if (text.equals("exact")) {
            return Match.EXACT;
        }
        throw ApiException.badRequest(
                "invalid_match",
                "match must be subtree (the name and everything under it) or exact, not '" + text + "'");
    }

    /** Builds and checks the entry for one add request. */
    private StoredEntry entryFor(EntryRequest e, String field) {
        String name = newEntryName(e.name(), field + "name");
        if (e.category() == null) {
            throw ApiException.badRequest(
                    "invalid_category",
                    field + "category is required (one of " + String.join(", ", Categories.KNOWN) + ")");
        }
        String category = e.category().toLowerCase(Locale.ROOT);
        if (!Categories.KNOWN.contains(category)) {
            throw ApiException.badRequest(
                    "invalid_category",
                    field + "category '" + e.category() + "' is not known (one of "
                            + String.join(", ", Categories.KNOWN) + ")");
        }
        Action action =
                e.action() == null ? Action.BLOCK : ENTRY_ACTIONS.get(e.action().toLowerCase(Locale.ROOT));
        if (action == null) {
            throw ApiException.badRequest(
                    "invalid_action",
                    field + "action '" + e.action()
                            + "' is not one of block (the category's action), nxdomain, nodata, drop");
        }
        String reversed = reversed(name);
        String refusal = checks.refusal(reversed);
        if (refusal != null) {
            throw new ApiException(422, "protected_name", field + "name '" + name + "' cannot be blocked: " + refusal);
        }
        long now = context.clock().getAsLong();
        long expires = 0;
        if (e.expires() != null) {
            try {
                expires = Instant.parse(e.expires()).toEpochMilli();
            } catch (java.time.format.DateTimeParseException ex) {
                throw ApiException.badRequest(
                        "invalid_expires",
                        field + "expires must be an ISO-8601 time such as 2026-12-31T00:00:00Z, not '" + e.expires()
                                + "'");
            }
            if (expires <= now) {
                throw ApiException.badRequest("invalid_expires", field + "expires is in the past");
            }
        }
        String reason = e.reason() == null ? "added through the admin API" : e.reason();
        if (reason.length() > 1000) {
            throw ApiException.badRequest("invalid_reason", field + "reason is over 1000 characters");
        }
        return new StoredEntry(
                reversed, match(e.match()), action, category, OPERATOR_SOURCE, reason, now, expires, null);
    }

    private Object add(ApiRequest r) throws Exception {
        EntryRequest req = r.body(EntryRequest.class);
        StoredEntry entry = entryFor(req, "");
        LiveList live = context.live();
        StoredEntry before =
                live.store().entryOf(BlocklistStore.SIDE_BLOCK, entry.reversedName(), entry.match(), OPERATOR_SOURCE);
        BlocklistStore.Changes changes = new BlocklistStore.Changes().block(entry);
        if (before == null) {
            changes.counted(OPERATOR_SOURCE, 1);
        }
        LiveList.Applied applied = live.apply(changes);
        Map<String, Object> out = view(entry);
        out.put("listVersion", applied.version());
        r.audit("entry.add", display(entry.reversedName()), before == null ? null : view(before), view(entry));
        return new Routes.Created(out);
    }

    /**
     * A list file uploaded as the body (text, any of the import formats, gzip or xz recognised):
     * parsed, checked and added to the operator's entries as {@code safenet import} would, with
     * the same report (added, updated, unchanged, invalid lines with examples, refused names).
     */
    private Object importFile(ApiRequest r) throws Exception {
        String formatText = r.param("format") == null ? "domains" : r.param("format");
        ListFormat format;
        try {
            format = ListFormat.valueOf(formatText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(
                    "invalid_format", "format must be domains, hosts, adblock or rpz, not '" + formatText + "'");
        }
        String category = r.param("category") == null ? "" : r.param("category").toLowerCase(Locale.ROOT);
        if (!Categories.KNOWN.contains(category)) {
            throw ApiException.badRequest(
                    "invalid_category", "category is required (one of " + String.join(", ", Categories.KNOWN) + ")");
        }
        if (r.call().body().length == 0) {
            throw ApiException.badRequest("missing_body", "send the list file as the body");
        }
        Path file = Files.createTempFile("safenet-upload-", ".list");
        try {
            Files.write(file, r.call().body());
            ListImporter.Staged staged;
            try {
                staged = checks.stage(format, category, OPERATOR_SOURCE, SourceAction.LIST, List.of(file));
            } catch (IOException e) {
                throw new ApiException(422, "invalid_list", "the file cannot be imported: " + e.getMessage());
            }
            ListImporter.Diff d = checks.diff(staged, OPERATOR_SOURCE, false);
            LiveList.Applied applied = context.live().apply(d.changes());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("format", format.name().toLowerCase(Locale.ROOT));
            out.put("category", category);
            out.put("added", d.added());
            out.put("updated", d.updated());
            out.put("unchanged", d.unchanged());
            out.put("invalid", staged.invalid());
            out.put("refused", staged.rejectedCount());
            out.put("refusedSample", staged.rejected().stream().limit(20).toList());
            List<Map<String, Object>> reports = new ArrayList<>();
            for (ParseReport report : staged.reports()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("lines", report.lines());
                m.put("entries", report.entries());
                m.put("ignored", report.ignored());
                m.put("invalid", report.invalid());
                m.put("invalidByReason", report.invalidByReason());
                m.put(
                        "examples",
                        report.errors().stream().limit(5).map(Object::toString).toList());
                reports.add(m);
            }
            out.put("files", reports);
            out.put("listVersion", applied.version());
            Map<String, Object> audited = new LinkedHashMap<>(out);
            audited.remove("files");
            r.audit("entries.import", OPERATOR_SOURCE, null, audited);
            return out;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private Object allow(ApiRequest r) throws Exception {
        AllowRequest req = r.body(AllowRequest.class);
        String name = newEntryName(req.name(), "name");
        long now = context.clock().getAsLong();
        StoredEntry entry = new StoredEntry(
                reversed(name),
                match(req.match()),
                Action.ALLOW,
                "custom",
                OPERATOR_SOURCE,
                req.reason() == null ? "allowed through the admin API" : req.reason(),
                now,
                0,
                null);
        return new Routes.Created(allowEntry(r, entry, "allow.add"));
    }

    /**
     * Stores an allow entry of the operator, audited as {@code auditAction}; shared with accepting
     * an appeal (null: the caller records the change itself).
     */
    Map<String, Object> allowEntry(ApiRequest r, StoredEntry entry, @Nullable String auditAction) throws Exception {
        LiveList live = context.live();
        StoredEntry before =
                live.store().entryOf(BlocklistStore.SIDE_ALLOW, entry.reversedName(), entry.match(), OPERATOR_SOURCE);
        BlocklistStore.Changes changes = new BlocklistStore.Changes().allow(entry);
        if (before == null) {
            changes.counted(OPERATOR_SOURCE, 1);
        }
        LiveList.Applied applied = live.apply(changes);
        Map<String, Object> out = view(entry);
        out.put("listVersion", applied.version());
        if (auditAction != null) {
            r.audit(auditAction, display(entry.reversedName()), before == null ? null : view(before), view(entry));
        }
        return out;
    }

    /**
     * Stores a block entry made by accepting a report (its own source), unless the name is
     * protected; the caller records the change. Returns the entry's view with the list version.
     */
    Map<String, Object> blockEntry(StoredEntry entry) throws Exception {
        String refusal = checks.refusal(entry.reversedName());
        if (refusal != null) {
            throw new ApiException(
                    422, "protected_name", "'" + display(entry.reversedName()) + "' cannot be blocked: " + refusal);
        }
        LiveList live = context.live();
        StoredEntry before =
                live.store().entryOf(BlocklistStore.SIDE_BLOCK, entry.reversedName(), entry.match(), entry.source());
        BlocklistStore.Changes changes = new BlocklistStore.Changes().block(entry);
        if (before == null) {
            changes.counted(entry.source(), 1);
        }
        LiveList.Applied applied = live.apply(changes);
        Map<String, Object> out = view(entry);
        out.put("listVersion", applied.version());
        return out;
    }

    private Object remove(ApiRequest r, int side) throws Exception {
        String name = validName(r.path("name"), "name");
        String source = r.param("source") == null ? OPERATOR_SOURCE : r.param("source");
        String matchText = r.param("match");
        String reversed = reversed(name);
        LiveList live = context.live();
        List<StoredEntry> found = side == BlocklistStore.SIDE_BLOCK
                ? live.store().blockEntriesFor(reversed)
                : live.store().allowEntriesFor(reversed);
        List<StoredEntry> removed = new ArrayList<>();
        BlocklistStore.Changes changes = new BlocklistStore.Changes();
        for (StoredEntry e : found) {
            if (e.reversedName().equals(reversed)
                    && e.source().equals(source)
                    && (matchText == null || e.match() == match(matchText))) {
                removed.add(e);
                if (side == BlocklistStore.SIDE_BLOCK) {
                    changes.removeBlock(e.reversedName(), e.match(), e.source());
                } else {
                    changes.removeAllow(e.reversedName(), e.match(), e.source());
                }
            }
        }
        if (removed.isEmpty()) {
            throw ApiException.notFound("no " + (side == BlocklistStore.SIDE_BLOCK ? "entry" : "allow entry") + " for "
                    + name + " from source " + source
                    + (found.isEmpty()
                            ? ""
                            : " (sources listing it: "
                                    + String.join(
                                            ", ",
                                            found.stream()
                                                    .map(StoredEntry::source)
                                                    .distinct()
                                                    .toList())
                                    + "; allowlist the name to override a feed)"));
        }
        changes.counted(source, -removed.size());
        LiveList.Applied applied = live.apply(changes);
        r.audit(
                side == BlocklistStore.SIDE_BLOCK ? "entry.remove" : "allow.remove",
                name,
                removed.stream().map(EntryResources::view).toList(),
                null);
        return Map.of("removed", removed.size(), "listVersion", applied.version());
    }

    private Object bulk(ApiRequest r) throws Exception {
        BulkRequest req = r.body(BulkRequest.class);
        List<EntryRequest> adds = req.add() == null ? List.of() : req.add();
        List<String> removes = req.remove() == null ? List.of() : req.remove();
        if (adds.size() + removes.size() > AdminApi.MAX_BULK) {
            throw new ApiException(
                    413,
                    "too_many_items",
                    (adds.size() + removes.size()) + " items; at most " + AdminApi.MAX_BULK + " per request");
        }
        if (adds.isEmpty() && removes.isEmpty()) {
            throw ApiException.badRequest("empty_bulk", "give names to add (\"add\") or remove (\"remove\")");
        }
        List<String> errors = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        List<StoredEntry> entries = new ArrayList<>(adds.size());
        for (int i = 0; i < adds.size(); i++) {
            try {
                if (adds.get(i) == null) {
                    throw ApiException.badRequest("invalid_name", "add[" + i + "] is null");
                }
                entries.add(entryFor(adds.get(i), "add[" + i + "]."));
            } catch (ApiException e) {
                // Invalid input fails the request; a protected name or public suffix is skipped and
                // reported, as imports do, so a real list with one such line still goes in.
                (e.code().equals("protected_name") ? refused : errors).add(e.getMessage());
            }
        }
        List<String> removeReversed = new ArrayList<>(removes.size());
        for (int i = 0; i < removes.size(); i++) {
            try {
                removeReversed.add(reversed(validName(removes.get(i), "remove[" + i + "]")));
            } catch (ApiException e) {
                errors.add(e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.badRequest(
                    "invalid_items",
                    errors.size() + " invalid items, nothing changed; "
                            + String.join("; ", errors.subList(0, Math.min(20, errors.size())))
                            + (errors.size() > 20 ? "; ..." : ""));
        }
        BlocklistStore store = context.live().store();
        BlocklistStore.Changes changes = new BlocklistStore.Changes();
        int added = 0;
        int updated = 0;
        int removed = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (StoredEntry e : entries) {
            if (!seen.add(e.reversedName() + "/" + e.match())) {
                continue; // the same name twice in one request: the first wins
            }
            if (store.entryOf(BlocklistStore.SIDE_BLOCK, e.reversedName(), e.match(), OPERATOR_SOURCE) == null) {
                added++;
            } else {
                updated++;
            }
            changes.block(e);
        }
        for (String rev : removeReversed) {
            for (Match m : Match.values()) {
                if (!seen.contains(rev + "/" + m)
                        && store.entryOf(BlocklistStore.SIDE_BLOCK, rev, m, OPERATOR_SOURCE) != null) {
                    changes.removeBlock(rev, m, OPERATOR_SOURCE);
                    seen.add(rev + "/" + m);
                    removed++;
                }
            }
        }
        changes.counted(OPERATOR_SOURCE, (long) added - removed);
        LiveList.Applied applied = context.live().apply(changes);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("added", added);
        summary.put("updated", updated);
        summary.put("removed", removed);
        summary.put("notFound", removeReversed.size() - removed);
        summary.put("refused", refused.size());
        summary.put("refusedSample", refused.subList(0, Math.min(20, refused.size())));
        summary.put("listVersion", applied.version());
        r.audit("entry.bulk", adds.size() + " adds, " + removes.size() + " removes", null, summary);
        return summary;
    }

    private Object byName(ApiRequest r, int side) throws Exception {
        String name = validName(r.path("name"), "name");
        String rev = reversed(name);
        List<StoredEntry> found = side == BlocklistStore.SIDE_BLOCK
                ? context.live().store().blockEntriesFor(rev)
                : context.live().store().allowEntriesFor(rev);
        List<Map<String, Object>> out = found.stream()
                .filter(e -> e.reversedName().equals(rev))
                .map(EntryResources::view)
                .toList();
        if (out.isEmpty()) {
            throw ApiException.notFound("no entry for " + name + " (GET /api/v1/explain?name=" + name
                    + " tells why it is or is not blocked)");
        }
        return Map.of("items", out);
    }

    /** Paged search: by exact name, everything under a domain, a category, a source. */
    private Object search(ApiRequest r, int side) throws Exception {
        int limit = r.intParam("limit", 100, 1, 1000);
        String exact = r.param("name") == null ? null : reversed(validName(r.param("name"), "name"));
        String under = r.param("under") == null ? null : reversed(validName(r.param("under"), "under"));
        String prefix = r.param("prefix") == null ? null : r.param("prefix").toLowerCase(Locale.ROOT);
        String category = r.param("category");
        String source = r.param("source");
        byte[] cursor = null;
        if (r.param("cursor") != null) {
            try {
                cursor = HexFormat.of().parseHex(r.param("cursor"));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("invalid_cursor", "cursor must be the nextCursor of a previous page");
            }
        }
        String start = exact != null ? exact : under != null ? under : "";
        List<Map<String, Object>> items = new ArrayList<>();
        StoredEntry[] last = new StoredEntry[1];
        boolean[] more = new boolean[1];
        final String exactName = exact;
        final String underName = under;
        context.live().store().scanEntries(side, start, cursor, e -> {
            String rev = e.reversedName();
            if (exactName != null && !rev.equals(exactName)) {
                return rev.startsWith(exactName); // keys of one name are contiguous
            }
            if (underName != null && !(rev.equals(underName) || rev.startsWith(underName + "."))) {
                return rev.startsWith(underName); // keys sharing the prefix are contiguous; past them, stop
            }
            if (category != null && !e.category().equals(category)) {
                return true;
            }
            if (source != null && !e.source().equals(source)) {
                return true;
            }
            if (prefix != null && !ListImporter.dotted(rev).startsWith(prefix)) {
                return true;
            }
            if (items.size() == limit) {
                more[0] = true;
                return false;
            }
            items.add(view(e));
            last[0] = e;
            return true;
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("nextCursor", more[0] ? HexFormat.of().formatHex(BlocklistStore.keyOf(last[0])) : null);
        return out;
    }

    private Object categories(ApiRequest r) {
        Categories current = context.categories().get();
        List<Map<String, Object>> out = new ArrayList<>();
        for (String c : Categories.KNOWN) {
            PolicyAction a = current.actionFor(c);
            out.add(Map.of(
                    "name", c, "action", a == null ? "off" : a.name().toLowerCase(Locale.ROOT), "enforced", a != null));
        }
        return Map.of("items", out);
    }

    private Object setCategory(ApiRequest r) throws Exception {
        String name = r.path("name");
        if (!Categories.KNOWN.contains(name)) {
            throw ApiException.notFound(
                    "no category '" + name + "' (known: " + String.join(", ", Categories.KNOWN) + ")");
        }
        CategoryRequest req = r.body(CategoryRequest.class);
        if (req.action() == null) {
            throw ApiException.badRequest(
                    "invalid_action", "action is required: sinkhole, nxdomain, nodata, refused, drop or off");
        }
        PolicyAction before = context.categories().get().actionFor(name);
        try {
            Categories.of(Map.of(name, req.action()));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_action", e.getMessage());
        }
        context.categoryChanger().set(name, req.action().toLowerCase(Locale.ROOT));
        r.audit(
                "category.set",
                name,
                before == null ? "off" : before.name().toLowerCase(Locale.ROOT),
                req.action().toLowerCase(Locale.ROOT));
        return Map.of("name", name, "action", req.action().toLowerCase(Locale.ROOT));
    }

    private Object explain(ApiRequest r) throws Exception {
        String name = validName(r.param("name"), "name");
        LiveList live = context.live();
        Explainer.Explanation x =
                Explainer.explain(live.store(), context.categories().get(), live.precedence(), name);
        Verdict verdict = live.policy().decide(ParsedQuery.forName(DnsNames.toWire(name)));
        String refusal = checks.refusal(reversed(name));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        boolean blocked = verdict != null && verdict.action() != PolicyAction.PASSTHRU;
        out.put(
                "decision",
                blocked ? "blocked" : verdict != null ? "allowed" : refusal != null ? "protected" : "not_listed");
        out.put("action", verdict == null ? null : verdict.action().name().toLowerCase(Locale.ROOT));
        out.put("category", verdict == null ? null : verdict.category());
        out.put("source", x.entry() != null ? x.entry().source() : verdict == null ? null : verdict.source());
        out.put("entry", x.entry() == null ? null : view(x.entry()));
        out.put("listVersion", x.version());
        out.put("answer", answerFor(verdict));
        out.put("protected", refusal);
        out.put("notes", x.notes());
        String client = r.param("client");
        if (client != null) {
            // The same name as one client sees it: its group, its profile, what that profile decides now.
            java.net.InetAddress address;
            java.net.InetSocketAddress listen = null;
            try {
                address = java.net.InetAddress.ofLiteral(client);
                String l = r.param("listen");
                if (l != null) {
                    listen = org.safenet.dns.resolver.HostPort.parse(l, 53).toSocketAddress();
                }
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(
                        "invalid_parameter", "client must be an IP address and listen HOST:PORT: " + e.getMessage());
            }
            out.put("forClient", context.policy().explain(name, address, listen));
        }
        return out;
    }

    /** What a client asking for the name gets, in words a person debugging with dig recognises. */
    private String answerFor(@Nullable Verdict v) {
        if (v == null || v.action() == PolicyAction.PASSTHRU) {
            return "resolved normally through the upstreams";
        }
        if (v.action() == PolicyAction.SINKHOLE && !v.localData().isEmpty()) {
            return "the policy zone's local data ("
                    + LocalData.typeNames(v.localData())
                    + "; other types NODATA), with Extended DNS Error " + v.edeInfoCode();
        }
        return switch (v.action()) {
            case SINKHOLE ->
                "A/AAAA of the block page "
                        + context.sinkhole().get().blockPageAddresses().stream()
                                .map(a -> a.getHostAddress())
                                .toList()
                        + ", with Extended DNS Error " + v.edeInfoCode();
            case NXDOMAIN -> "NXDOMAIN, with Extended DNS Error " + v.edeInfoCode();
            case NODATA -> "NOERROR with no records (NODATA), with Extended DNS Error " + v.edeInfoCode();
            case REFUSED -> "REFUSED";
            case DROP -> "no answer (the query is dropped)";
            case TCP_ONLY -> "truncated over UDP; resolved normally over TCP";
            case CNAME -> "a CNAME to the configured target";
            default -> v.action().name().toLowerCase(Locale.ROOT);
        };
    }

    /** A stored (reversed) name as people write it: dotted, no trailing dot. */
    static String display(String reversedName) {
        String dotted = ListImporter.dotted(reversedName);
        return dotted.endsWith(".") ? dotted.substring(0, dotted.length() - 1) : dotted;
    }

    static Map<String, Object> view(StoredEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", display(e.reversedName()));
        m.put("match", e.match().name().toLowerCase(Locale.ROOT));
        m.put("action", e.action().name().toLowerCase(Locale.ROOT));
        m.put("category", e.category());
        m.put("source", e.source());
        m.put("reason", e.reason());
        m.put("added", Instant.ofEpochMilli(e.addedMillis()).toString());
        m.put(
                "expires",
                e.expiresMillis() == 0
                        ? null
                        : Instant.ofEpochMilli(e.expiresMillis()).toString());
        if (e.data() != null) {
            m.put("data", e.data());
        }
        return m;
    }
}
