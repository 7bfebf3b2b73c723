package org.safenet.dns.admin.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.Records;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every change to the appliance, whatever path it came by, kept in the store's {@code audit}
 * family (synced): the path ({@code via}: api, import, sync, reload, report, appeal, token), who
 * (a token's name and role, or a local user or signal), from where, what, on what, the state
 * before and after, and when. Keys are the time and a sequence number, so the trail reads back
 * newest first with one reverse scan, and records older than the retention go with one range
 * delete.
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    /** How often (at most) a write also prunes what is past the retention. */
    private static final long PRUNE_EVERY_MILLIS = 3_600_000;

    /** How a change came in: {@link #API}, {@link #IMPORT}, {@link #SYNC}, ... (the record's {@code via}). */
    public static final String API = "api";

    public static final String IMPORT = "import";
    public static final String SYNC = "sync";
    public static final String RELOAD = "reload";
    public static final String REPORT = "report";
    public static final String APPEAL = "appeal";
    public static final String TOKEN = "token";

    /**
     * Who made a change and how it came in.
     *
     * @param via the change path (api, import, sync, reload, report, appeal, token)
     * @param name a token's name, a local user ("user root"), or a signal ("SIGHUP")
     * @param role the token's role; "local" for the control socket and signals
     * @param tokenId the token's id; null when no token was used
     * @param client the client address, "control socket" or "signal"
     */
    public record Actor(
            String via, String name, String role, @Nullable String tokenId, String client) {
        /** A token holder calling the admin API; {@code via} says which kind of change. */
        public static Actor token(Tokens.Token t, String client, String via) {
            return new Actor(via, t.name(), t.role().text(), t.id(), client);
        }

        /** Someone on the machine itself: the control socket's peer, or a signal. */
        public static Actor local(String via, String name, String client) {
            return new Actor(via, name, "local", null, client);
        }
    }

    /** What a listing keeps: any field null matches all. */
    public record Filter(
            @Nullable String via,
            @Nullable String actor,
            @Nullable String action,
            @Nullable String target,
            long fromMillis) {
        public static final Filter ALL = new Filter(null, null, null, null, 0);

        boolean matches(JsonNode e) {
            return same(via, e.path("via").asText())
                    && contains(actor, e.path("actor").asText())
                    && (action == null || e.path("action").asText().startsWith(action))
                    && contains(target, e.path("target").asText());
        }

        private static boolean same(@Nullable String want, String have) {
            return want == null || want.equals(have);
        }

        private static boolean contains(@Nullable String want, String have) {
            return want == null || have.toLowerCase(Locale.ROOT).contains(want.toLowerCase(Locale.ROOT));
        }
    }

    private final Records records;
    private final ObjectMapper json;
    private final LongSupplier clock;
    private final AtomicInteger sequence = new AtomicInteger();
    private final AtomicLong lastPrune = new AtomicLong(Long.MIN_VALUE / 2);
    private final Duration retention;

    public AuditLog(Records records, ObjectMapper json, LongSupplier clock) {
        this(records, json, clock, Duration.ofDays(400));
    }

    /** @param retention how long records are kept (older ones are pruned as new ones come) */
    public AuditLog(Records records, ObjectMapper json, LongSupplier clock, Duration retention) {
        this.records = records;
        this.json = json;
        this.clock = clock;
        this.retention = retention;
    }

    /** Records one change: who and how, what, on what, and the state before and after. */
    public void record(Actor who, String action, String target, @Nullable Object before, @Nullable Object after)
            throws BlocklistStore.StoreException {
        long now = clock.getAsLong();
        ObjectNode e = json.createObjectNode();
        e.put("time", Instant.ofEpochMilli(now).toString());
        e.put("via", who.via());
        e.put("actor", who.name());
        e.put("role", who.role());
        e.put("tokenId", who.tokenId());
        e.put("tokenName", who.tokenId() == null ? null : who.name());
        e.put("client", who.client());
        e.put("action", action);
        e.put("target", target);
        e.set("before", json.valueToTree(before));
        e.set("after", json.valueToTree(after));
        byte[] key = ByteBuffer.allocate(12)
                .putLong(now)
                .putInt(sequence.getAndIncrement())
                .array();
        try {
            records.put(key, json.writeValueAsBytes(e));
        } catch (JsonProcessingException ex) {
            throw new BlocklistStore.StoreException("cannot encode an audit record: " + ex.getMessage(), ex);
        }
        long last = lastPrune.get();
        if (now - last >= PRUNE_EVERY_MILLIS && lastPrune.compareAndSet(last, now)) {
            prune(now - retention.toMillis());
        }
    }

    /** Records a change and only logs when the store refuses it (paths that must not fail for want of a record). */
    public void recordOrWarn(Actor who, String action, String target, @Nullable Object before, @Nullable Object after) {
        try {
            record(who, action, target, before, after);
        } catch (BlocklistStore.StoreException | RuntimeException e) {
            log.warn("audit: {} {} by {} not recorded: {}", action, target, who.name(), e.getMessage());
        }
    }

    /** Deletes the records older than {@code cutoffMillis}. */
    public void prune(long cutoffMillis) throws BlocklistStore.StoreException {
        if (cutoffMillis > 0) {
            records.deleteRange(
                    new byte[0], ByteBuffer.allocate(8).putLong(cutoffMillis).array());
        }
    }

    /** Up to {@code limit} records older than {@code beforeMillis}, newest first. */
    public List<JsonNode> recent(int limit, long beforeMillis) {
        return recent(Filter.ALL, limit, beforeMillis);
    }

    /** Up to {@code limit} records that match {@code filter}, older than {@code beforeMillis}, newest first. */
    public List<JsonNode> recent(Filter filter, int limit, long beforeMillis) {
        List<JsonNode> out = new ArrayList<>();
        each(filter, beforeMillis, e -> {
            out.add(e);
            return out.size() < limit;
        });
        return out;
    }

    /** Every record that matches {@code filter}, older than {@code beforeMillis}, newest first, until {@code each} says stop. */
    public void each(Filter filter, long beforeMillis, Predicate<JsonNode> each) {
        byte[] from =
                ByteBuffer.allocate(8).putLong(Math.max(0, filter.fromMillis())).array();
        records.scan(from, ByteBuffer.allocate(8).putLong(beforeMillis).array(), true, (k, v) -> {
            JsonNode e;
            try {
                e = json.readTree(v);
            } catch (IOException ex) {
                e = json.createObjectNode().put("corrupt", ex.getMessage());
            }
            return !filter.matches(e) || each.test(e);
        });
    }
}
