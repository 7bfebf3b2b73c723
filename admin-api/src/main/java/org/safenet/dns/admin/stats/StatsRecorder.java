package org.safenet.dns.admin.stats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.Records;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.policy.ProfileSlots;
import org.safenet.dns.resolver.stats.ClientKeys;
import org.safenet.dns.resolver.stats.CounterTotals;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.stats.StatsWindow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the resolver's live counters and per-loop sketches into stored buckets: once a minute
 * (and before any statistics read, at most once a second) it takes the difference of the
 * cumulative counters and the loops' windows, and adds them to the current minute, hour and day
 * buckets in the store's {@code stats} family. A restart loses at most what was counted since
 * the last flush (at most a minute; none on a clean stop, which flushes).
 *
 * <p>Keys: one resolution letter ({@code m}, {@code h}, {@code d}) and the bucket's start in epoch
 * milliseconds, big-endian, so a time range is one range scan. Days start at midnight in {@code
 * zone}. Each resolution has its own retention.
 */
public final class StatsRecorder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatsRecorder.class);

    /** Bucket sizes, finest first. */
    public enum Resolution {
        MINUTE('m'),
        HOUR('h'),
        DAY('d');

        final byte tag;

        Resolution(char tag) {
            this.tag = (byte) tag;
        }

        public static Resolution parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("resolution must be minute, hour or day, not '" + text + "'", e);
            }
        }
    }

    /**
     * @param enabled false: no sketches on the hot path and nothing stored (counters and metrics remain)
     * @param clients what top-client lists keep of an address
     * @param keyRotation how often the hashing key changes in {@code hash} mode
     * @param minuteRetention how long minute buckets are kept
     * @param hourRetention how long hour buckets are kept
     * @param dayRetention how long day buckets are kept
     * @param zone where days start
     */
    public record Settings(
            boolean enabled,
            ClientKeys.Mode clients,
            Duration keyRotation,
            Duration minuteRetention,
            Duration hourRetention,
            Duration dayRetention,
            ZoneId zone) {
        public static Settings defaults() {
            return new Settings(
                    true,
                    ClientKeys.Mode.TRUNCATE,
                    Duration.ofDays(1),
                    Duration.ofDays(2),
                    Duration.ofDays(90),
                    Duration.ofDays(800),
                    ZoneId.systemDefault());
        }
    }

    private final ResolverMetrics metrics;
    private final Records records;
    private final Settings settings;
    private final LongSupplier clock;
    private final ScheduledExecutorService timer;
    private @Nullable CounterTotals last;
    private long lastFlushMillis;
    private final long startedMillis;

    public StatsRecorder(ResolverMetrics metrics, Records records, Settings settings, LongSupplier clock) {
        this.metrics = metrics;
        this.records = records;
        this.settings = settings;
        this.clock = clock;
        this.startedMillis = clock.getAsLong();
        if (settings.enabled()) {
            metrics.enableClientStats(
                    new ClientKeys(settings.clients(), settings.keyRotation().toMillis()));
        }
        this.last = metrics.totals();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stats-recorder");
            t.setDaemon(true);
            return t;
        });
    }

    public Settings settings() {
        return settings;
    }

    /** Flushes at every minute boundary from now on, and prunes old buckets once an hour. */
    public void start() {
        if (!settings.enabled()) {
            return;
        }
        long now = clock.getAsLong();
        long delay = 60_000 - now % 60_000 + 200;
        timer.scheduleAtFixedRate(this::scheduledFlush, delay, 60_000, TimeUnit.MILLISECONDS);
        timer.scheduleAtFixedRate(this::prune, 5, 3600, TimeUnit.SECONDS);
    }

    private void scheduledFlush() {
        try {
            flush();
        } catch (RuntimeException | BlocklistStore.StoreException e) {
            log.warn("statistics flush failed (the counts are kept and go into the next one): {}", e.getMessage());
        }
    }

    /** Flushes unless the last flush was under a second ago: statistics reads call this. */
    public synchronized void flushIfStale() throws BlocklistStore.StoreException {
        if (settings.enabled() && clock.getAsLong() - lastFlushMillis >= 1000) {
            flush();
        }
    }

    /** Adds everything counted since the last flush to the current minute, hour and day buckets. */
    public synchronized void flush() throws BlocklistStore.StoreException {
        if (!settings.enabled()) {
            return;
        }
        long now = clock.getAsLong();
        lastFlushMillis = now;
        CounterTotals totals = metrics.totals();
        List<StatsWindow> windows = metrics.takeWindows();
        StatsBucket delta = difference(totals, last);
        List<String> categories = PolicyCategories.names();
        for (StatsWindow w : windows) {
            delta.addWindow(w, categories, PolicyCategories.SLOTS - 1);
        }
        delta.clientKeyMode = settings.clients().name().toLowerCase(Locale.ROOT);
        if (delta.queries == 0 && delta.aclRefused == 0 && delta.limited == 0 && delta.clients.isEmpty()) {
            last = totals;
            return;
        }
        List<Map.Entry<byte[], byte[]>> writes = new ArrayList<>();
        for (Resolution r : Resolution.values()) {
            byte[] key = key(r, startOf(r, now));
            StatsBucket bucket = read(key);
            if (bucket == null) {
                bucket = new StatsBucket();
            }
            bucket.merge(delta);
            writes.add(Map.entry(key, bucket.encode()));
        }
        records.putAll(writes); // minute, hour and day together, so a failure counts nothing twice
        last = totals; // only once stored: the counters' part is retried with the next flush
    }

    private static StatsBucket difference(CounterTotals now, @Nullable CounterTotals before) {
        StatsBucket b = new StatsBucket();
        b.queries = now.queries() - (before == null ? 0 : before.queries());
        b.cacheHits = now.cacheHits() - (before == null ? 0 : before.cacheHits());
        b.aclRefused = now.aclRefused() - (before == null ? 0 : before.aclRefused());
        b.upstreamFailures = now.upstreamFailures() - (before == null ? 0 : before.upstreamFailures());
        b.limited = now.limited() - (before == null ? 0 : before.limited());
        for (int r = 0; r < now.answersByRcode().length; r++) {
            StatsBucket.add(
                    b.answers,
                    ResolverMetrics.rcodeName(r),
                    now.answersByRcode()[r] - (before == null ? 0 : before.answersByRcode()[r]));
        }
        for (PolicyAction a : PolicyAction.values()) {
            int i = a.ordinal();
            StatsBucket.add(
                    b.actions,
                    a.name().toLowerCase(Locale.ROOT),
                    now.policyByAction()[i] - (before == null ? 0 : before.policyByAction()[i]));
        }
        List<String> categories = PolicyCategories.names();
        for (int slot = 0; slot < categories.size(); slot++) {
            int i = slot == categories.size() - 1 ? PolicyCategories.SLOTS - 1 : slot;
            long n = now.blockedByCategory()[i] - (before == null ? 0 : before.blockedByCategory()[i]);
            StatsBucket.add(b.blockedByCategory, categories.get(slot), n);
            b.blocked += n;
        }
        List<String> profiles = ProfileSlots.names();
        for (int slot = 0; slot < profiles.size(); slot++) {
            long n = now.blockedByProfile()[slot] - (before == null ? 0 : before.blockedByProfile()[slot]);
            StatsBucket.add(b.blockedByProfile, profiles.get(slot), n);
        }
        return b;
    }

    /** Deletes buckets past their resolution's retention. */
    public void prune() {
        long now = clock.getAsLong();
        try {
            pruneBefore(Resolution.MINUTE, now - settings.minuteRetention().toMillis());
            pruneBefore(Resolution.HOUR, now - settings.hourRetention().toMillis());
            pruneBefore(Resolution.DAY, now - settings.dayRetention().toMillis());
        } catch (BlocklistStore.StoreException e) {
            log.warn("pruning old statistics failed: {}", e.getMessage());
        }
    }

    private void pruneBefore(Resolution r, long cutoffMillis) throws BlocklistStore.StoreException {
        records.deleteRange(key(r, 0), key(r, Math.max(0, cutoffMillis)));
    }

    /** Where the bucket of resolution {@code r} containing {@code millis} starts. */
    public long startOf(Resolution r, long millis) {
        return switch (r) {
            case MINUTE -> millis - Math.floorMod(millis, 60_000L);
            case HOUR ->
                ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), settings.zone())
                        .truncatedTo(ChronoUnit.HOURS)
                        .toInstant()
                        .toEpochMilli();
            case DAY ->
                ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), settings.zone())
                        .truncatedTo(ChronoUnit.DAYS)
                        .toInstant()
                        .toEpochMilli();
        };
    }

    /** The start of the bucket after the one starting at {@code start}. */
    public long next(Resolution r, long start) {
        return switch (r) {
            case MINUTE -> start + 60_000;
            case HOUR -> start + 3_600_000;
            case DAY ->
                ZonedDateTime.ofInstant(Instant.ofEpochMilli(start), settings.zone())
                        .plusDays(1)
                        .toInstant()
                        .toEpochMilli();
        };
    }

    /** A stored bucket with its start. */
    public record Stored(long start, StatsBucket bucket) {}

    /** The stored buckets of {@code r} that start in {@code [from, to)}, oldest first. */
    public List<Stored> buckets(Resolution r, long from, long to) {
        List<Stored> out = new ArrayList<>();
        List<String> corrupt = new ArrayList<>();
        records.scan(key(r, Math.max(0, from)), key(r, Math.max(0, to)), false, (k, v) -> {
            long start = ByteBuffer.wrap(k, 1, 8).getLong();
            try {
                out.add(new Stored(start, StatsBucket.decode(v)));
            } catch (IOException e) {
                corrupt.add(Instant.ofEpochMilli(start) + ": " + e.getMessage());
            }
            return true;
        });
        if (!corrupt.isEmpty()) {
            log.warn("skipped {} unreadable statistics buckets, first: {}", corrupt.size(), corrupt.get(0));
        }
        return out;
    }

    /**
     * The resolution a range is best answered at: minutes for up to 6 hours of recent data, hours
     * for up to 31 days within their retention, days beyond.
     */
    public Resolution resolutionFor(long from, long to) {
        long now = clock.getAsLong();
        long span = to - from;
        if (span <= Duration.ofHours(6).toMillis()
                && from >= now - settings.minuteRetention().toMillis()) {
            return Resolution.MINUTE;
        }
        if (span <= Duration.ofDays(31).toMillis()
                && from >= now - settings.hourRetention().toMillis()) {
            return Resolution.HOUR;
        }
        return Resolution.DAY;
    }

    /** Everything in the buckets of {@code r} that start in {@code [from, to)}, merged. */
    public StatsBucket total(Resolution r, long from, long to) {
        StatsBucket sum = new StatsBucket();
        sum.clientKeyMode = settings.clients().name().toLowerCase(Locale.ROOT);
        for (Stored s : buckets(r, from, to)) {
            sum.merge(s.bucket());
        }
        return sum;
    }

    /** Where the oldest stored day bucket starts (the start of kept history), or {@code otherwise} if none. */
    public long earliest(long otherwise) {
        long[] first = {otherwise};
        records.scan(key(Resolution.DAY, 0), key(Resolution.DAY, Long.MAX_VALUE), false, (k, v) -> {
            first[0] = ByteBuffer.wrap(k, 1, 8).getLong();
            return false;
        });
        return first[0];
    }

    /** When this recorder started (the live counters count from here). */
    public long startedMillis() {
        return startedMillis;
    }

    private @Nullable StatsBucket read(byte[] key) throws BlocklistStore.StoreException {
        byte[] v = records.get(key);
        if (v == null) {
            return null;
        }
        try {
            return StatsBucket.decode(v);
        } catch (IOException e) {
            log.warn("replacing an unreadable statistics bucket: {}", e.getMessage());
            return null;
        }
    }

    private static byte[] key(Resolution r, long start) {
        return ByteBuffer.allocate(9).put(r.tag).putLong(start).array();
    }

    /** Stops the timer and writes what was counted since the last flush. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            flush();
        } catch (RuntimeException | BlocklistStore.StoreException e) {
            log.warn("the last statistics flush failed: {}", e.getMessage());
        }
    }
}
