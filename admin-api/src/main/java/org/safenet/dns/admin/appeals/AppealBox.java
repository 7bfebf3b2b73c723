package org.safenet.dns.admin.appeals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.BlocklistStore.Appeal;
import org.safenet.dns.blocklist.store.BlocklistStore.StoredAppeal;
import org.safenet.dns.blocklist.store.Records;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appeals visitors of the block page file, and the operators' reviews of them. The block page
 * is public, so everything here is bounded: an appeal is taken only for a name the list blocks,
 * at most {@link #PER_CLIENT_PER_HOUR} new filings per client (IPv4 address or IPv6 /64) an hour,
 * filings for a host that already has a pending appeal are merged into it (a count and up to
 * {@link #MAX_REASONS} distinct reasons), and at most {@link #MAX_APPEALS} are stored: past that the
 * oldest reviewed appeals are pruned, and if every stored appeal still waits for review, new ones
 * are refused until an operator reviews or deletes some. Listings are paged.
 */
public final class AppealBox {
    private static final Logger log = LoggerFactory.getLogger(AppealBox.class);

    public static final int MAX_APPEALS = 10_000;
    public static final int MAX_REASONS = 5;
    public static final int MAX_REASON_CHARS = 2_000;
    public static final int PER_CLIENT_PER_HOUR = 10;
    /** Reviewed appeals pruned at once when the box is full. */
    static final int PRUNE_BATCH = 100;

    /** What became of a filing. */
    public enum Outcome {
        /** A new appeal. */
        FILED,
        /** Added to the pending appeal for the same host. */
        MERGED,
        /** The list does not block this host (a profile may; that is the network's own policy). */
        NOT_BLOCKED,
        /** The client filed too many appeals this hour. */
        RATE_LIMITED,
        /** The box is full of appeals that wait for review. */
        FULL
    }

    /** The outcome of a filing and the appeal it went to (null unless filed or merged). */
    public record Filing(Outcome outcome, @Nullable String id) {}

    /** An operator's decision on an appeal. */
    public record Review(String status, String note, String by, String time) {}

    /** An appeal with its review (null while pending). */
    public record Item(StoredAppeal stored, @Nullable Review review) {
        public String status() {
            return review == null ? "pending" : review.status();
        }
    }

    /** One page of a listing; {@code nextCursor} is null on the last page. */
    public record Page(List<Item> items, @Nullable String nextCursor) {}

    private final BlocklistStore store;
    private final Records reviews;
    private final Records pendingByHost;
    private final Predicate<String> blocked;
    private final LongSupplier clock;
    private final ObjectMapper json = new ObjectMapper();
    /** Filings per client this hour. Guarded by {@code this}. */
    private final HourlyQuota quota;

    private final int maxAppeals;
    private int stored = -1;
    private long lastFullLogMillis = Long.MIN_VALUE / 2;
    private int refusedSinceLog;

    /**
     * @param blocked whether the list blocks a host now (as {@code explain} says)
     */
    public AppealBox(BlocklistStore store, Predicate<String> blocked, LongSupplier clock) {
        this(store, blocked, clock, MAX_APPEALS, PER_CLIENT_PER_HOUR);
    }

    AppealBox(
            BlocklistStore store, Predicate<String> blocked, LongSupplier clock, int maxAppeals, int perClientPerHour) {
        this.maxAppeals = maxAppeals;
        this.quota = new HourlyQuota(perClientPerHour);
        this.store = store;
        this.reviews = store.metaRecords("appeal-review/");
        this.pendingByHost = store.metaRecords("appeal-host/");
        this.blocked = blocked;
        this.clock = clock;
    }

    /**
     * Files an appeal from the block page. {@code host} must already be a bounded, lowercased
     * host name; {@code reason} is cut to {@link #MAX_REASON_CHARS}.
     */
    public synchronized Filing file(String host, String reason, InetAddress client)
            throws BlocklistStore.StoreException {
        long now = clock.getAsLong();
        if (!blocked.test(host)) {
            return new Filing(Outcome.NOT_BLOCKED, null);
        }
        if (!quota.take(client, now)) {
            return new Filing(Outcome.RATE_LIMITED, null);
        }
        String why = reason.length() > MAX_REASON_CHARS ? reason.substring(0, MAX_REASON_CHARS) : reason;
        String clientText = client.getHostAddress();
        byte[] hostKey = host.getBytes(StandardCharsets.UTF_8);
        byte[] pendingId = pendingByHost.get(hostKey);
        if (pendingId != null) {
            String id = new String(pendingId, StandardCharsets.US_ASCII);
            StoredAppeal open = store.appeal(id);
            if (open != null && review(id) == null) {
                Appeal a = open.appeal();
                List<String> reasons = new ArrayList<>(a.reasons());
                if (reasons.size() < MAX_REASONS && !reasons.contains(why)) {
                    reasons.add(why);
                }
                store.replaceAppeal(
                        id,
                        new Appeal(
                                a.timeMillis(),
                                a.host(),
                                a.reason(),
                                a.clientAddress(),
                                a.listVersion(),
                                a.count() + 1,
                                now,
                                reasons));
                return new Filing(Outcome.MERGED, id);
            }
        }
        if (count() >= maxAppeals && pruneReviewed() == 0) {
            refusedSinceLog++;
            if (now - lastFullLogMillis >= 60_000) { // once a minute at most: a flood must not flood the log
                log.warn(
                        "{} appeal(s) refused in the last minute, the last for {}: {} appeals wait for review"
                                + " (GET /api/v1/appeals; review or delete some)",
                        refusedSinceLog,
                        host,
                        maxAppeals);
                lastFullLogMillis = now;
                refusedSinceLog = 0;
            }
            return new Filing(Outcome.FULL, null);
        }
        String id = store.addAppeal(new Appeal(now, host, why, clientText, store.listVersion()));
        stored++;
        pendingByHost.put(hostKey, id.getBytes(StandardCharsets.US_ASCII));
        return new Filing(Outcome.FILED, id);
    }

    /** The appeal {@code id} with its review, or null. */
    public @Nullable Item get(String id) throws BlocklistStore.StoreException {
        StoredAppeal a = store.appeal(id);
        return a == null ? null : new Item(a, review(id));
    }

    /**
     * Up to {@code limit} appeals with {@code status} (pending, accepted, rejected or all), oldest
     * first, after the appeal {@code cursor} (null: from the oldest).
     */
    public Page list(String status, int limit, @Nullable String cursor) {
        List<Item> items = new ArrayList<>();
        for (StoredAppeal a : store.appealsAfter(
                cursor,
                limit,
                a -> status.equals("all") || status.equals(new Item(a, reviewOrNull(a.id())).status()))) {
            items.add(new Item(a, reviewOrNull(a.id())));
        }
        String next = items.size() == limit ? items.getLast().stored().id() : null;
        return new Page(items, next);
    }

    /** Records the operator's decision on the appeal {@code id}; its host may be appealed anew after this. */
    public synchronized void review(String id, Review review) throws BlocklistStore.StoreException {
        try {
            reviews.put(id.getBytes(StandardCharsets.US_ASCII), json.writeValueAsBytes(review));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        StoredAppeal a = store.appeal(id);
        if (a != null) {
            forgetPending(a);
        }
    }

    /** Deletes the appeal {@code id} and its review; false if there is none. */
    public synchronized boolean delete(String id) throws BlocklistStore.StoreException {
        StoredAppeal a = store.appeal(id);
        if (a == null) {
            return false;
        }
        forgetPending(a);
        store.deleteAppeal(id);
        reviews.delete(id.getBytes(StandardCharsets.US_ASCII));
        if (stored > 0) {
            stored--;
        }
        return true;
    }

    private void forgetPending(StoredAppeal a) throws BlocklistStore.StoreException {
        byte[] hostKey = a.appeal().host().getBytes(StandardCharsets.UTF_8);
        byte[] pending = pendingByHost.get(hostKey);
        if (pending != null && new String(pending, StandardCharsets.US_ASCII).equals(a.id())) {
            pendingByHost.delete(hostKey);
        }
    }

    private int count() {
        if (stored < 0) {
            stored = store.appealCount();
        }
        return stored;
    }

    /** Deletes up to {@link #PRUNE_BATCH} of the oldest reviewed appeals; returns how many. */
    private int pruneReviewed() throws BlocklistStore.StoreException {
        List<StoredAppeal> reviewed = store.appealsAfter(null, PRUNE_BATCH, a -> reviewOrNull(a.id()) != null);
        int n = 0;
        for (StoredAppeal a : reviewed) {
            if (delete(a.id())) {
                n++;
            }
        }
        if (n > 0) {
            log.info("appeals: pruned the {} oldest reviewed appeals to make room", n);
        }
        return n;
    }

    private @Nullable Review review(String id) throws BlocklistStore.StoreException {
        byte[] v = reviews.get(id.getBytes(StandardCharsets.US_ASCII));
        if (v == null) {
            return null;
        }
        try {
            return json.readValue(v, Review.class);
        } catch (IOException e) {
            throw new BlocklistStore.StoreException("the review of appeal " + id + " is corrupt: " + e.getMessage(), e);
        }
    }

    private @Nullable Review reviewOrNull(String id) {
        try {
            return review(id);
        } catch (BlocklistStore.StoreException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
