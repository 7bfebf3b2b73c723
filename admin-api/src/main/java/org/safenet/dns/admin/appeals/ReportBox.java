package org.safenet.dns.admin.appeals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListParser;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.Records;
import org.safenet.dns.resolver.wire.DnsNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scam reports from the public (the report form on the block page's listener), and the
 * operators' decisions on them. The form is public, so everything is bounded: at most {@link
 * #PER_CLIENT_PER_HOUR} new filings per client (IPv4 address or IPv6 /64) an hour; a report of a
 * domain that already has an open report is merged into it (a counter, up to {@link
 * #MAX_DESCRIPTIONS} distinct descriptions and contacts); fields are cut to their limits; at most
 * {@link #MAX_REPORTS} are stored: past that the oldest closed reports are pruned, and if every
 * stored report is still open, new ones are refused until an operator decides on some. The texts
 * are stored as given: whatever shows them escapes them.
 *
 * <p>Each month's filings, acceptances and rejections are counted (in the statistics' time zone),
 * as the national reporting system publishes them.
 */
public final class ReportBox {
    private static final Logger log = LoggerFactory.getLogger(ReportBox.class);

    public static final int MAX_REPORTS = 10_000;
    public static final int MAX_DESCRIPTIONS = 5;
    public static final int MAX_DESCRIPTION_CHARS = 2_000;
    public static final int MAX_CONTACT_CHARS = 200;
    public static final int MAX_URL_CHARS = 2_000;
    public static final int PER_CLIENT_PER_HOUR = 10;
    /** Closed reports pruned at once when the box is full. */
    static final int PRUNE_BATCH = 100;

    /** What a citizen may say a site is. */
    public static final List<String> KINDS = List.of("scam", "phishing", "malware", "gambling", "other");

    /** What became of a filing. */
    public enum Outcome {
        /** A new report. */
        FILED,
        /** Added to the open report of the same domain. */
        MERGED,
        /** The client filed too many reports this hour. */
        RATE_LIMITED,
        /** The box is full of open reports. */
        FULL
    }

    /** The outcome of a filing, the report it went to (null unless filed or merged) and the domain taken from it. */
    public record Filing(Outcome outcome, @Nullable String id, String domain) {}

    /**
     * One report, as stored.
     *
     * @param status open, accepted or rejected
     * @param category what the reporter said it is (one of {@link #KINDS})
     * @param url what the reporter gave, cut to {@link #MAX_URL_CHARS}
     * @param decision the operator's decision (null while open)
     */
    public record Report(
            String id,
            long timeMillis,
            long lastMillis,
            String domain,
            String url,
            String category,
            int count,
            List<String> descriptions,
            List<String> contacts,
            String client,
            String status,
            @Nullable Decision decision) {}

    /** An operator's decision: the list category it was given (accepted), the note, who and when. */
    public record Decision(@Nullable String listCategory, String note, String by, String time) {}

    /** A month's counts. */
    public record Month(long received, long accepted, long rejected) {}

    /** One page of a listing; {@code nextCursor} is null on the last page. */
    public record Page(List<Report> items, @Nullable String nextCursor) {}

    /** A form field that cannot be taken; the message is for the reporter. */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;
        private final String field;

        Invalid(String field, String message) {
            super(message);
            this.field = field;
        }

        /** The form field at fault (domain, category, description, contact). */
        public String field() {
            return field;
        }
    }

    private final Records reports;
    private final Records openByDomain;
    private final Records months;
    private final LongSupplier clock;
    private final ZoneId zone;
    private final ObjectMapper json = new ObjectMapper();
    private final int maxReports;
    /** Guarded by {@code this}. */
    private final HourlyQuota quota;

    private int stored = -1;
    private int sequence;
    private long lastFullLogMillis = Long.MIN_VALUE / 2;
    private int refusedSinceLog;

    /** @param zone where months start, for the monthly counts */
    public ReportBox(BlocklistStore store, LongSupplier clock, ZoneId zone) {
        this(store, clock, zone, MAX_REPORTS, PER_CLIENT_PER_HOUR);
    }

    ReportBox(BlocklistStore store, LongSupplier clock, ZoneId zone, int maxReports, int perClientPerHour) {
        this.reports = store.metaRecords("report/");
        this.openByDomain = store.metaRecords("report-open/");
        this.months = store.metaRecords("report-month/");
        this.clock = clock;
        this.zone = zone;
        this.maxReports = maxReports;
        this.quota = new HourlyQuota(perClientPerHour);
    }

    /**
     * The domain of what a reporter typed: a domain name, or a URL (its host), checked as an
     * import checks a list line ({@link ListParser#name}): lowercase ASCII (internationalised
     * names converted), at least two labels, no IP literal.
     */
    public static String domainOf(String typed) throws Invalid {
        String t = typed.strip();
        if (t.isEmpty()) {
            throw new Invalid("domain", "empty");
        }
        if (t.length() > MAX_URL_CHARS) {
            throw new Invalid("domain", "longer than " + MAX_URL_CHARS + " characters");
        }
        int scheme = t.indexOf("://");
        if (scheme >= 0 && scheme < 10) {
            t = t.substring(scheme + 3);
        }
        int end = t.length();
        for (char c : new char[] {'/', '?', '#', '\\'}) {
            int i = t.indexOf(c);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        t = t.substring(0, end);
        int at = t.lastIndexOf('@');
        if (at >= 0) {
            t = t.substring(at + 1);
        }
        int colon = t.indexOf(':');
        if (colon >= 0) {
            t = t.substring(0, colon);
        }
        if (t.startsWith("*.")) {
            t = t.substring(2);
        }
        byte[] wire;
        try {
            wire = ListParser.name(t); // the importer's rule: IDN, no IP literal, no single label
        } catch (ListParser.BadName e) {
            throw new Invalid("domain", e.getMessage());
        }
        String name = DnsNames.toText(wire, 0, wire.length);
        return name.substring(0, name.length() - 1);
    }

    /**
     * Files a report from the public form; the texts are cut to their limits, the domain taken
     * from {@code typed} ({@link #domainOf}).
     */
    public synchronized Filing file(
            String typed, String category, String description, String contact, InetAddress client)
            throws Invalid, BlocklistStore.StoreException {
        String domain = domainOf(typed);
        String kind = category.strip().toLowerCase(Locale.ROOT);
        if (!KINDS.contains(kind)) {
            throw new Invalid("category", "one of " + String.join(", ", KINDS));
        }
        String what = cut(description.strip(), MAX_DESCRIPTION_CHARS);
        String who = cut(contact.strip(), MAX_CONTACT_CHARS);
        long now = clock.getAsLong();
        if (!quota.take(client, now)) {
            return new Filing(Outcome.RATE_LIMITED, null, domain);
        }
        byte[] domainKey = domain.getBytes(StandardCharsets.US_ASCII);
        byte[] openId = openByDomain.get(domainKey);
        if (openId != null) {
            Report open = get(new String(openId, StandardCharsets.US_ASCII));
            if (open != null && open.status().equals("open")) {
                put(new Report(
                        open.id(),
                        open.timeMillis(),
                        now,
                        open.domain(),
                        open.url(),
                        open.category(),
                        open.count() + 1,
                        addDistinct(open.descriptions(), what),
                        addDistinct(open.contacts(), who),
                        open.client(),
                        "open",
                        null));
                count(now, 1, 0, 0);
                return new Filing(Outcome.MERGED, open.id(), domain);
            }
        }
        if (count() >= maxReports && pruneClosed() == 0) {
            refusedSinceLog++;
            if (now - lastFullLogMillis >= 60_000) {
                log.warn(
                        "{} report(s) refused in the last minute: {} reports are open (GET /api/v1/reports; decide on some)",
                        refusedSinceLog,
                        maxReports);
                lastFullLogMillis = now;
                refusedSinceLog = 0;
            }
            return new Filing(Outcome.FULL, null, domain);
        }
        String id = "%013d%03d".formatted(now, sequence++ % 1000);
        put(new Report(
                id,
                now,
                now,
                domain,
                cut(typed.strip(), MAX_URL_CHARS),
                kind,
                1,
                what.isEmpty() ? List.of() : List.of(what),
                who.isEmpty() ? List.of() : List.of(who),
                HourlyQuota.prefixOf(client),
                "open",
                null));
        openByDomain.put(domainKey, id.getBytes(StandardCharsets.US_ASCII));
        stored++; // counted above
        count(now, 1, 0, 0);
        return new Filing(Outcome.FILED, id, domain);
    }

    /** The report {@code id}, or null. */
    public synchronized @Nullable Report get(String id) throws BlocklistStore.StoreException {
        if (!id.matches("[0-9]{16}")) {
            return null;
        }
        byte[] v = reports.get(id.getBytes(StandardCharsets.US_ASCII));
        return v == null ? null : decode(id, v);
    }

    /** Up to {@code limit} reports with {@code status} (open, accepted, rejected or all), oldest first, after {@code cursor}. */
    public synchronized Page list(String status, int limit, @Nullable String cursor) {
        List<Report> items = new ArrayList<>();
        byte[] from = cursor == null ? new byte[0] : (cursor + "\0").getBytes(StandardCharsets.US_ASCII);
        reports.scan(from, null, false, (k, v) -> {
            Report r = decodeOrNull(new String(k, StandardCharsets.US_ASCII), v);
            if (r != null && (status.equals("all") || r.status().equals(status))) {
                items.add(r);
            }
            return items.size() < limit;
        });
        return new Page(items, items.size() == limit ? items.getLast().id() : null);
    }

    /**
     * Closes the open report {@code id} as accepted (with the list category its entry got) or
     * rejected; its domain may be reported anew after this. Returns the closed report.
     */
    public synchronized Report decide(String id, boolean accept, Decision decision)
            throws BlocklistStore.StoreException {
        Report r = get(id);
        if (r == null) {
            throw new IllegalArgumentException("no report " + id);
        }
        if (!r.status().equals("open")) {
            throw new IllegalStateException("report " + id + " is " + r.status());
        }
        Report closed = new Report(
                r.id(),
                r.timeMillis(),
                r.lastMillis(),
                r.domain(),
                r.url(),
                r.category(),
                r.count(),
                r.descriptions(),
                r.contacts(),
                r.client(),
                accept ? "accepted" : "rejected",
                decision);
        put(closed);
        forgetOpen(r);
        count(clock.getAsLong(), 0, accept ? 1 : 0, accept ? 0 : 1);
        return closed;
    }

    /** Each month's counts, oldest first, from {@code from} to {@code to} (inclusive). */
    public synchronized Map<String, Month> months(YearMonth from, YearMonth to) {
        Map<String, Month> out = new LinkedHashMap<>();
        months.scan(
                from.toString().getBytes(StandardCharsets.US_ASCII),
                to.plusMonths(1).toString().getBytes(StandardCharsets.US_ASCII),
                false,
                (k, v) -> {
                    try {
                        out.put(new String(k, StandardCharsets.US_ASCII), json.readValue(v, Month.class));
                    } catch (IOException e) {
                        log.warn(
                                "report counts of {} are corrupt: {}",
                                new String(k, StandardCharsets.US_ASCII),
                                e.getMessage());
                    }
                    return true;
                });
        return out;
    }

    /** The month {@code millis} falls in, in the statistics' time zone. */
    public YearMonth monthOf(long millis) {
        return YearMonth.from(Instant.ofEpochMilli(millis).atZone(zone));
    }

    private void count(long now, long received, long accepted, long rejected) throws BlocklistStore.StoreException {
        byte[] key = monthOf(now).toString().getBytes(StandardCharsets.US_ASCII);
        byte[] v = months.get(key);
        Month m = new Month(0, 0, 0);
        if (v != null) {
            try {
                m = json.readValue(v, Month.class);
            } catch (IOException e) {
                log.warn("report counts of {} are corrupt, counting anew: {}", monthOf(now), e.getMessage());
            }
        }
        Month next = new Month(m.received() + received, m.accepted() + accepted, m.rejected() + rejected);
        try {
            months.put(key, json.writeValueAsBytes(next));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void put(Report r) throws BlocklistStore.StoreException {
        try {
            reports.put(r.id().getBytes(StandardCharsets.US_ASCII), json.writeValueAsBytes(r));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void forgetOpen(Report r) throws BlocklistStore.StoreException {
        byte[] key = r.domain().getBytes(StandardCharsets.US_ASCII);
        byte[] open = openByDomain.get(key);
        if (open != null && new String(open, StandardCharsets.US_ASCII).equals(r.id())) {
            openByDomain.delete(key);
        }
    }

    private int count() {
        if (stored < 0) {
            int[] n = {0};
            reports.scan(new byte[0], null, false, (k, v) -> {
                n[0]++;
                return true;
            });
            stored = n[0];
        }
        return stored;
    }

    /** Deletes up to {@link #PRUNE_BATCH} of the oldest closed reports; returns how many. */
    private int pruneClosed() throws BlocklistStore.StoreException {
        List<Report> closed = new ArrayList<>();
        reports.scan(new byte[0], null, false, (k, v) -> {
            Report r = decodeOrNull(new String(k, StandardCharsets.US_ASCII), v);
            if (r != null && !r.status().equals("open")) {
                closed.add(r);
            }
            return closed.size() < PRUNE_BATCH;
        });
        for (Report r : closed) {
            reports.delete(r.id().getBytes(StandardCharsets.US_ASCII));
        }
        stored = Math.max(0, count() - closed.size());
        if (!closed.isEmpty()) {
            log.info("reports: pruned the {} oldest closed reports to make room", closed.size());
        }
        return closed.size();
    }

    private Report decode(String id, byte[] v) throws BlocklistStore.StoreException {
        try {
            return json.readValue(v, Report.class);
        } catch (IOException e) {
            throw new BlocklistStore.StoreException("report " + id + " is corrupt: " + e.getMessage(), e);
        }
    }

    private @Nullable Report decodeOrNull(String id, byte[] v) {
        try {
            return json.readValue(v, Report.class);
        } catch (IOException e) {
            log.warn("report {} is corrupt and left out: {}", id, e.getMessage());
            return null;
        }
    }

    private static List<String> addDistinct(List<String> have, String more) {
        if (more.isEmpty() || have.size() >= MAX_DESCRIPTIONS || have.contains(more)) {
            return have;
        }
        List<String> out = new ArrayList<>(have);
        out.add(more);
        return out;
    }

    private static String cut(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
    }
}
