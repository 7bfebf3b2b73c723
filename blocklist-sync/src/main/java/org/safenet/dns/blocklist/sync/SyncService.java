package org.safenet.dns.blocklist.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.importer.ListImporter;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.ChangesCodec;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the store in sync with the configured sources. One attempt: fetch (conditional,
 * verified) → parse into staging → refuse public suffixes and protected domains → diff against
 * what the source contributed before → check the ratio rails → apply in one atomic batch with the
 * source's new state (ETag, serial) → the index follows ({@link Applier}). A failure at any step
 * changes nothing: the last good list stays live and the attempt is recorded with its reason.
 *
 * <p>Attempts run one at a time on one scheduler thread (and on the caller's thread for {@link
 * #syncNow}, under the same lock). A source that keeps failing is retried with exponential
 * back-off. Every attempt is stored ({@link BlocklistStore#addHistory}) and counted in metrics.
 */
public final class SyncService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncService.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_BACKOFF = Duration.ofHours(6);

    /** Precedence of entries from no configured source (an operator's imports and edits): above every feed by default. */
    public static final int OPERATOR_PRECEDENCE = 1000;

    /** Writes a change to the store and makes it live; returns the new list version. */
    public interface Applier {
        long apply(BlocklistStore.Changes changes) throws BlocklistStore.StoreException;
    }

    /** An update kept aside by a ratio rail. */
    public record Held(
            long heldAtMillis,
            String reason,
            int added,
            int updated,
            int removed,
            int rejected,
            int invalid,
            SourceState stateBefore,
            SourceState stateAfter) {}

    private final BlocklistStore store;
    private final Applier applier;
    private final ListImporter importer;
    private final Fetchers fetchers;
    private final Path staging;
    private final LongSupplier clockMillis;
    private final Duration initialBackoff;
    private final MeterRegistry registry;
    /** Sources whose gauges are registered (once each: they read the source by name). */
    private final Set<String> metered = ConcurrentHashMap.newKeySet();

    private final ReentrantLock syncLock = new ReentrantLock();
    private final Map<String, SourceSpec> specs = new ConcurrentHashMap<>();
    private final Map<String, TsigKey> tsigKeys;
    private final Map<String, SourceState> states = new ConcurrentHashMap<>();
    private final Map<String, ScheduledFuture<?>> scheduled = new ConcurrentHashMap<>();
    private final Map<String, Duration> soaRefresh = new ConcurrentHashMap<>();
    private final List<Runnable> sourcesChanged = new java.util.concurrent.CopyOnWriteArrayList<>();
    private @Nullable ScheduledExecutorService scheduler;
    /** The scheduler's thread (low CPU priority); manual syncs are handed to it once it runs. */
    private volatile @Nullable Thread syncThread;

    /** Re-reads a file source when its file changes; a short pause lets a writer finish (editors write, rename, then touch). */
    private final ListFileWatcher files = new ListFileWatcher(specs::values, name -> scheduleTrigger(name, 500));

    /**
     * @param workDir where downloads are staged (cleared after each attempt)
     * @param initialBackoff the wait after a first failure; doubled per further failure, at most 6 h
     */
    public SyncService(
            BlocklistStore store,
            Applier applier,
            List<String> protectedDomains,
            Path workDir,
            Map<String, TsigKey> tsigKeys,
            MeterRegistry registry,
            LongSupplier clockMillis,
            Duration initialBackoff) {
        this.store = store;
        this.applier = applier;
        this.importer = new ListImporter(store, protectedDomains, clockMillis);
        this.staging = workDir.resolve("staging");
        this.tsigKeys = Map.copyOf(tsigKeys);
        this.fetchers = new Fetchers(staging, this.tsigKeys);
        this.clockMillis = clockMillis;
        this.initialBackoff = initialBackoff;
        this.registry = registry;
    }

    // --- configuration ------------------------------------------------------------------------

    /** Replaces the configured sources (at start and on reload); returns what changed, one line each. */
    public List<String> setSources(List<SourceSpec> list) {
        Map<String, SourceSpec> next = new LinkedHashMap<>();
        for (SourceSpec s : list) {
            if (next.put(s.name(), s) != null) {
                throw new IllegalArgumentException("two sources are named " + s.name());
            }
        }
        List<String> changes = new ArrayList<>();
        for (String gone : new ArrayList<>(specs.keySet())) {
            if (!next.containsKey(gone)) {
                specs.remove(gone);
                cancel(gone);
                changes.add("source " + gone + " removed (its entries stay until removed by hand)");
            }
        }
        for (SourceSpec s : next.values()) {
            SourceSpec before = specs.put(s.name(), s);
            if (before != null && !sameOrigin(before, s)) {
                // A new URL, file or primary: its ETag or serial says nothing about the old one's
                // (a new publisher's serials may well be lower). Start afresh; the entries stay
                // until the first sync from the new origin replaces them.
                resetState(s.name());
                changes.add("source " + s.name() + " now comes from elsewhere: its feed state was reset");
            } else if (before != null && !sameReading(before, s)) {
                // The same list read another way: an unchanged feed (304, the same serial) must
                // still be read again, or the new setting waits for the publisher's next change.
                resetState(s.name());
                changes.add("source " + s.name()
                        + " reads its list differently (action, category, format or allowPublicSuffixes): it is read"
                        + " again in full");
            }
            if (!s.equals(before)) {
                changes.add("source " + s.name() + (before == null ? " added" : " changed"));
                registerMeters(s.name());
                if (scheduler != null) {
                    schedule(s.name(), 0);
                }
            }
        }
        refreshWatches();
        if (!changes.isEmpty()) {
            sourcesChanged.forEach(Runnable::run);
        }
        return changes;
    }

    /** Called after the configured sources changed (the index must follow new precedences). */
    public void onSourcesChanged(Runnable listener) {
        sourcesChanged.add(listener);
    }

    private static boolean sameOrigin(SourceSpec a, SourceSpec b) {
        return a.type() == b.type()
                && java.util.Objects.equals(a.url(), b.url())
                && java.util.Objects.equals(a.path(), b.path())
                && java.util.Objects.equals(a.primary(), b.primary())
                && java.util.Objects.equals(a.zone(), b.zone());
    }

    private static boolean sameReading(SourceSpec a, SourceSpec b) {
        return a.action().equals(b.action())
                && a.category().equals(b.category())
                && a.format() == b.format()
                && a.allowPublicSuffixes() == b.allowPublicSuffixes();
    }

    private void resetState(String name) {
        states.put(name, SourceState.initial());
        try {
            store.writeSourceRecords(new BlocklistStore.Changes()
                    .sourceRecord(stateKey(name), json(SourceState.initial()))
                    .sourceRecord(zoneKey(name), null));
        } catch (BlocklistStore.StoreException e) {
            log.warn("cannot reset the state of source {}: {}", name, e.getMessage());
        }
    }

    /**
     * Removes every entry of {@code source} from the list (one atomic change), e.g. after the
     * source was taken out of the config, or for an import that should go. A configured, enabled
     * source would bring them back at its next sync, so it is refused: disable or remove it first.
     */
    public SyncResult purge(String source) {
        SourceSpec spec = specs.get(source);
        if (spec != null && spec.enabled()) {
            throw new IllegalArgumentException(
                    "source " + source
                            + " is configured and enabled; its next sync would bring the entries back: disable or remove it first");
        }
        return onSyncThread(() -> {
            syncLock.lock();
            try {
                long start = clockMillis.getAsLong();
                long before = currentVersion();
                BlocklistStore.Changes changes = new BlocklistStore.Changes();
                int[] removed = {0};
                store.forEachOfSource(source, BlocklistStore.SIDE_BLOCK, e -> {
                    changes.removeBlock(e.reversedName(), e.match(), source);
                    removed[0]++;
                });
                store.forEachOfSource(source, BlocklistStore.SIDE_ALLOW, e -> {
                    changes.removeAllow(e.reversedName(), e.match(), source);
                    removed[0]++;
                });
                store.forEachOfSource(source, BlocklistStore.SIDE_IP, e -> {
                    changes.removeIp(e.reversedName(), source);
                    removed[0]++;
                });
                changes.counted(source, -removed[0]);
                changes.sourceRecord(stateKey(source), null).sourceRecord(zoneKey(source), null);
                long after = removed[0] == 0 ? before : applier.apply(changes);
                states.remove(source);
                SyncResult r = new SyncResult(
                        source,
                        "purge",
                        start,
                        clockMillis.getAsLong(),
                        removed[0] == 0 ? SyncResult.Outcome.UNCHANGED : SyncResult.Outcome.APPLIED,
                        0,
                        0,
                        removed[0],
                        0,
                        0,
                        before,
                        after,
                        "every entry of the source removed",
                        List.of());
                store.addHistory(source, start, json(r));
                log.info("sync {}", r.summary());
                return r;
            } catch (BlocklistStore.StoreException e) {
                throw new IllegalStateException(
                        "the purge of " + source + " failed, nothing changed: " + e.getMessage(), e);
            } finally {
                syncLock.unlock();
            }
        });
    }

    /** Adds or replaces one source at run time. */
    public void putSource(SourceSpec spec) {
        List<SourceSpec> all = new ArrayList<>(specs.values());
        all.removeIf(s -> s.name().equals(spec.name()));
        all.add(spec);
        setSources(all);
    }

    /** Enables or disables one source at run time; false if there is no such source. */
    public boolean setEnabled(String name, boolean enabled) {
        SourceSpec s = specs.get(name);
        if (s == null) {
            return false;
        }
        putSource(s.toBuilder().enabled(enabled).build());
        return true;
    }

    public List<SourceSpec> sources() {
        return List.copyOf(specs.values());
    }

    public Optional<SourceSpec> source(String name) {
        return Optional.ofNullable(specs.get(name));
    }

    /** The precedence of a source's entries: configured sources' own; 1000 for anything else (an operator's imports and edits). */
    public int precedence(String source) {
        SourceSpec s = specs.get(source);
        return s == null ? OPERATOR_PRECEDENCE : s.precedence();
    }

    // --- scheduling ---------------------------------------------------------------------------

    /** Starts the scheduler (each enabled source at its stored next-attempt time) and the file watcher. */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(
                    () -> {
                        BackgroundPriority.lowerCurrentThread();
                        r.run();
                    },
                    "safenet-sync");
            t.setDaemon(true);
            syncThread = t;
            return t;
        });
        for (String name : specs.keySet()) {
            long due = state(name).nextAttemptMillis() - clockMillis.getAsLong();
            schedule(name, Math.max(0, due));
        }
        refreshWatches();
    }

    private void schedule(String name, long delayMillis) {
        ScheduledExecutorService s = scheduler;
        SourceSpec spec = specs.get(name);
        if (s == null || spec == null || !spec.enabled()) {
            return;
        }
        cancel(name);
        scheduled.put(name, s.schedule(() -> runScheduled(name), delayMillis, TimeUnit.MILLISECONDS));
    }

    private void runScheduled(String name) {
        try {
            syncNow(name, "schedule");
        } catch (RuntimeException e) {
            log.warn("sync of {} failed unexpectedly", name, e);
        }
    }

    private void cancel(String name) {
        ScheduledFuture<?> f = scheduled.remove(name);
        if (f != null) {
            f.cancel(false);
        }
    }

    /**
     * A NOTIFY (RFC 1996) for {@code zone} from {@code from}: syncs at once every rpz source of
     * that zone whose primary is that address. False if no source matches (the caller answers
     * REFUSED).
     */
    public boolean notifyReceived(String zone, InetAddress from) {
        String z = zone.toLowerCase(java.util.Locale.ROOT).replaceAll("\\.$", "");
        boolean matched = false;
        for (SourceSpec s : specs.values()) {
            if (s.type() == SourceSpec.Type.RPZ
                    && s.enabled()
                    && s.zone() != null
                    && s.zone()
                            .toLowerCase(java.util.Locale.ROOT)
                            .replaceAll("\\.$", "")
                            .equals(z)
                    && s.primary() != null
                    && s.primary().address().equals(from)) {
                matched = true;
                ScheduledExecutorService ex = scheduler;
                if (ex != null) {
                    ex.execute(() -> {
                        try {
                            syncNow(s.name(), "notify");
                        } catch (RuntimeException e) {
                            log.warn("sync of {} after NOTIFY failed unexpectedly", s.name(), e);
                        }
                    });
                }
            }
        }
        return matched;
    }

    /**
     * The TSIG key of the rpz source a NOTIFY for {@code zone} from {@code from} is for, or null
     * if that source uses none (or there is no such source).
     */
    public @Nullable TsigKey notifyKey(String zone, InetAddress from) {
        String z = zone.toLowerCase(java.util.Locale.ROOT).replaceAll("\\.$", "");
        for (SourceSpec s : specs.values()) {
            if (s.type() == SourceSpec.Type.RPZ
                    && s.zone() != null
                    && s.zone()
                            .toLowerCase(java.util.Locale.ROOT)
                            .replaceAll("\\.$", "")
                            .equals(z)
                    && s.primary() != null
                    && s.primary().address().equals(from)
                    && s.tsigKey() != null) {
                return tsigKeys.get(s.tsigKey());
            }
        }
        return null;
    }

    // --- one attempt --------------------------------------------------------------------------

    /** Syncs one source now (whatever its schedule), waits for the result, and reschedules it. */
    public SyncResult syncNow(String name, String trigger) {
        SourceSpec spec = specs.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("no source named " + name + " (configured: " + specs.keySet() + ")");
        }
        return onSyncThread(() -> attemptLocked(spec, trigger));
    }

    /**
     * Runs {@code work} on the low-priority sync thread once the scheduler runs (so that a manual
     * sync does not compete with queries at normal priority either), else on the caller's thread.
     */
    private SyncResult onSyncThread(java.util.concurrent.Callable<SyncResult> work) {
        ScheduledExecutorService s = scheduler;
        if (s == null || Thread.currentThread().equals(syncThread)) {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return s.submit(work).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the sync", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r; // e.g. "no held update": the caller's error, as if run inline
            }
            throw new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IllegalStateException("the sync service is shutting down", e);
        }
    }

    private SyncResult attemptLocked(SourceSpec spec, String trigger) {
        syncLock.lock();
        try {
            SyncResult r = attempt(spec, trigger);
            finish(spec, r);
            return r;
        } finally {
            syncLock.unlock();
        }
    }

    private SyncResult attempt(SourceSpec spec, String trigger) {
        long start = clockMillis.getAsLong();
        long versionBefore = currentVersion();
        SourceState state = state(spec.name());
        try {
            byte[] zoneCopy = store.sourceRecord(zoneKey(spec.name()));
            Fetched fetched = fetchers.fetch(spec, state, zoneCopy);
            Planned plan = plan(spec, state, fetched);
            if (plan == null) {
                return nothingDone(
                        spec,
                        trigger,
                        start,
                        SyncResult.Outcome.UNCHANGED,
                        versionBefore,
                        fetched instanceof Fetched.NotModified n ? n.detail() : "nothing new");
            }
            BlocklistStore.Changes changes = plan.diff().changes();
            String hold = railReason(spec, plan.diff());
            if (hold != null) {
                holdUpdate(spec, plan, hold, state, start);
                return fromPlan(
                        spec,
                        trigger,
                        start,
                        SyncResult.Outcome.HELD,
                        plan,
                        versionBefore,
                        versionBefore,
                        hold + "; approve with `safenet sync --approve " + spec.name() + "` or the admin API");
            }
            changes.sourceRecord(stateKey(spec.name()), json(plan.next()));
            if (plan.zoneCopy() != null) {
                changes.sourceRecord(zoneKey(spec.name()), plan.zoneCopy());
            }
            boolean anyChange = changes.size() > 0;
            long after = applier.apply(changes);
            states.put(spec.name(), plan.next());
            return fromPlan(
                    spec,
                    trigger,
                    start,
                    anyChange ? SyncResult.Outcome.APPLIED : SyncResult.Outcome.UNCHANGED,
                    plan,
                    versionBefore,
                    anyChange ? after : versionBefore,
                    plan.detail() + (anyChange ? "" : "; no entry changed"));
        } catch (IOException | BlocklistStore.StoreException | RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            if (e instanceof RuntimeException && !(e instanceof IllegalArgumentException)) {
                log.warn("sync of {} failed", spec.name(), e);
            }
            return nothingDone(
                    spec,
                    trigger,
                    start,
                    SyncResult.Outcome.FAILED,
                    versionBefore,
                    why + "; the last good list stays live");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return nothingDone(
                    spec, trigger, start, SyncResult.Outcome.FAILED, versionBefore, "interrupted (shutting down)");
        } catch (OutOfMemoryError e) {
            // The staged list is garbage once we return; say so instead of letting the scheduler's
            // task die silently (the source would never sync again).
            log.error("sync of {} ran out of memory", spec.name(), e);
            return nothingDone(
                    spec,
                    trigger,
                    start,
                    SyncResult.Outcome.FAILED,
                    versionBefore,
                    "not enough memory to stage this list (about 350 bytes per entry beside the live index): raise the heap (SAFENET_JAVA_OPTS=\"-XX:+UseZGC -Xmx2g\") or use a feed with diffs");
        } finally {
            clearStaging(spec.name());
        }
    }

    /** A fetched update, parsed and compared with the store. */
    private record Planned(
            ListImporter.Diff diff,
            int rejected,
            List<String> rejectedSample,
            int invalid,
            SourceState next,
            String detail,
            byte @Nullable [] zoneCopy) {}

    private @Nullable Planned plan(SourceSpec spec, SourceState state, Fetched fetched)
            throws IOException, InterruptedException, BlocklistStore.StoreException {
        return switch (fetched) {
            case Fetched.NotModified n -> null;
            case Fetched.Full f -> {
                if (f.soaRefresh() != null && !f.soaRefresh().isZero()) {
                    soaRefresh.put(spec.name(), f.soaRefresh());
                }
                ListImporter.Staged staged = importer.stage(
                        f.format(),
                        spec.category(),
                        spec.name(),
                        spec.action(),
                        f.files(),
                        false,
                        spec.allowPublicSuffixes());
                ListImporter.Diff diff = importer.diff(staged, spec.name(), true);
                yield new Planned(
                        diff,
                        staged.rejectedCount(),
                        staged.rejected(),
                        staged.invalid(),
                        f.next(),
                        f.detail() + invalidExamples(staged) + publicSuffixes(staged),
                        f.zoneCopy());
            }
            case Fetched.Delta d -> {
                ListImporter.Staged adds = importer.stage(
                        d.format(),
                        spec.category(),
                        spec.name(),
                        spec.action(),
                        List.of(d.adds()),
                        true,
                        spec.allowPublicSuffixes());
                ListImporter.Staged removes = importer.stage(
                        d.format(),
                        spec.category(),
                        spec.name(),
                        spec.action(),
                        List.of(d.removes()),
                        true,
                        spec.allowPublicSuffixes());
                ListImporter.Diff diff = incremental(spec.name(), adds, removes);
                long expected = store.sourceSize(spec.name()) + diff.added() - diff.removed();
                if (d.expectedSize() >= 0 && expected != d.expectedSize()) {
                    // The diff does not lead to the published list (we missed something): take the whole list.
                    log.warn(
                            "source {}: the diff would give {} entries, the manifest says {}; fetching the full list",
                            spec.name(),
                            expected,
                            d.expectedSize());
                    clearStaging(spec.name());
                    Fetched full = fetchers.fetch(spec, SourceState.initial(), null);
                    Planned p = plan(spec, state, full);
                    yield p == null
                            ? null
                            : new Planned(
                                    p.diff(),
                                    p.rejected(),
                                    p.rejectedSample(),
                                    p.invalid(),
                                    p.next(),
                                    p.detail() + " (the diff did not add up)",
                                    null);
                }
                yield new Planned(
                        diff,
                        adds.rejectedCount() + removes.rejectedCount(),
                        adds.rejected(),
                        adds.invalid() + removes.invalid(),
                        d.next(),
                        d.detail() + publicSuffixes(adds),
                        null);
            }
        };
    }

    /** "; N public-suffix triggers (allowPublicSuffixes)": what the source's setting let through. */
    private static String publicSuffixes(ListImporter.Staged staged) {
        return staged.publicSuffixTriggers() == 0
                ? ""
                : "; " + staged.publicSuffixTriggers()
                        + " triggers on a public suffix or a single label, allowed by allowPublicSuffixes";
    }

    /** "; N invalid lines, e.g. line 7 (reason)", so an operator sees what the parser refused. */
    private static String invalidExamples(ListImporter.Staged staged) {
        if (staged.invalid() == 0) {
            return "";
        }
        return "; " + staged.invalid() + " invalid lines, e.g. "
                + staged.reports().stream()
                        .flatMap(r -> r.errors().stream())
                        .limit(3)
                        .map(Object::toString)
                        .collect(java.util.stream.Collectors.joining("; "));
    }

    /** Changes from a diff: adds and removes of this source's entries, looked up one by one (no scan). */
    private ListImporter.Diff incremental(String source, ListImporter.Staged adds, ListImporter.Staged removes)
            throws BlocklistStore.StoreException {
        BlocklistStore.Changes changes = new BlocklistStore.Changes();
        int added = 0;
        int updated = 0;
        int unchanged = 0;
        int removed = 0;
        List<Map<String, StoredEntry>> addSides = List.of(adds.block(), adds.allow(), adds.ips());
        List<Map<String, StoredEntry>> removeSides = List.of(removes.block(), removes.allow(), removes.ips());
        for (int side = 0; side < 3; side++) {
            for (StoredEntry e : addSides.get(side).values()) {
                StoredEntry before = store.entryOf(side, e.reversedName(), e.match(), source);
                if (before != null && ListImporter.sameMeaning(before, e)) {
                    unchanged++;
                    continue;
                }
                if (before == null) {
                    added++;
                } else {
                    updated++;
                }
                switch (side) {
                    case 0 -> changes.block(e);
                    case 1 -> changes.allow(e);
                    default -> changes.ip(e);
                }
            }
            for (StoredEntry e : removeSides.get(side).values()) {
                if (store.entryOf(side, e.reversedName(), e.match(), source) == null) {
                    continue;
                }
                removed++;
                switch (side) {
                    case 0 -> changes.removeBlock(e.reversedName(), e.match(), source);
                    case 1 -> changes.removeAllow(e.reversedName(), e.match(), source);
                    default -> changes.removeIp(e.reversedName(), source);
                }
            }
        }
        changes.counted(source, (long) added - removed);
        return new ListImporter.Diff(added, updated, unchanged, removed, changes);
    }

    /** Why an update must wait for an operator, or null if it may be applied. */
    private @Nullable String railReason(SourceSpec spec, ListImporter.Diff diff) throws BlocklistStore.StoreException {
        long old = store.sourceSize(spec.name());
        SourceSpec.Rails rails = spec.rails();
        if (old < rails.minEntriesForRatios() || old == 0) {
            return null;
        }
        if (diff.removed() * 100L > rails.maxRemovePercent() * old) {
            return String.format(
                    "held: it removes %d of %d entries (%d%%), more than rails.maxRemovePercent %d%%",
                    diff.removed(), old, diff.removed() * 100L / old, rails.maxRemovePercent());
        }
        if (diff.added() * 100L > rails.maxAddPercent() * old) {
            return String.format(
                    "held: it adds %d entries to %d (%d%%), more than rails.maxAddPercent %d%%",
                    diff.added(), old, diff.added() * 100L / old, rails.maxAddPercent());
        }
        return null;
    }

    // --- held updates -------------------------------------------------------------------------

    private void holdUpdate(SourceSpec spec, Planned plan, String reason, SourceState before, long now)
            throws BlocklistStore.StoreException {
        ListImporter.Diff d = plan.diff();
        Held held = new Held(
                now, reason, d.added(), d.updated(), d.removed(), plan.rejected(), plan.invalid(), before, plan.next());
        BlocklistStore.Changes record = new BlocklistStore.Changes()
                .sourceRecord(heldKey(spec.name()), json(held))
                .sourceRecord("heldchanges\0" + spec.name(), ChangesCodec.encode(d.changes()))
                .sourceRecord("heldzone\0" + spec.name(), plan.zoneCopy());
        store.writeSourceRecords(record);
    }

    /** The update held for {@code name}, if any. */
    public Optional<Held> held(String name) {
        try {
            byte[] b = store.sourceRecord(heldKey(name));
            return b == null ? Optional.empty() : Optional.of(JSON.readValue(b, Held.class));
        } catch (IOException | BlocklistStore.StoreException e) {
            throw new IllegalStateException("cannot read the held update of " + name + ": " + e.getMessage(), e);
        }
    }

    /** The changes the update held for {@code name} would make (for a preview before approving), if any. */
    public Optional<BlocklistStore.Changes> heldChanges(String name) {
        try {
            byte[] b = store.sourceRecord("heldchanges\0" + name);
            return b == null ? Optional.empty() : Optional.of(ChangesCodec.decode(b));
        } catch (IOException | BlocklistStore.StoreException e) {
            throw new IllegalStateException("cannot read the held update of " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Applies the update held for {@code name}, if the source has not moved on since (a newer sync
     * would make it stale: then sync again).
     */
    public SyncResult approve(String name) {
        SourceSpec spec = specs.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("no source named " + name);
        }
        return onSyncThread(() -> approveLocked(spec, name));
    }

    private SyncResult approveLocked(SourceSpec spec, String name) {
        syncLock.lock();
        try {
            long start = clockMillis.getAsLong();
            long versionBefore = currentVersion();
            Held held = held(name)
                    .orElseThrow(() -> new IllegalArgumentException("source " + name + " has no held update"));
            SyncResult r;
            try {
                if (!sameContent(held.stateBefore(), state(name))) {
                    r = nothingDone(
                            spec,
                            "approve",
                            start,
                            SyncResult.Outcome.FAILED,
                            versionBefore,
                            "the source changed since the update was held; it was discarded, sync again");
                    dropHeld(name);
                } else {
                    BlocklistStore.Changes changes = ChangesCodec.decode(store.sourceRecord("heldchanges\0" + name));
                    changes.sourceRecord(stateKey(name), json(held.stateAfter()));
                    byte[] zone = store.sourceRecord("heldzone\0" + name);
                    if (zone != null) {
                        changes.sourceRecord(zoneKey(name), zone);
                    }
                    dropHeldInto(changes, name);
                    long after = applier.apply(changes);
                    states.put(name, held.stateAfter());
                    r = new SyncResult(
                            name,
                            "approve",
                            start,
                            clockMillis.getAsLong(),
                            SyncResult.Outcome.APPLIED,
                            held.added(),
                            held.updated(),
                            held.removed(),
                            held.rejected(),
                            held.invalid(),
                            versionBefore,
                            after,
                            "held update approved (" + held.reason() + ")",
                            List.of());
                }
            } catch (IOException | BlocklistStore.StoreException e) {
                r = nothingDone(
                        spec,
                        "approve",
                        start,
                        SyncResult.Outcome.FAILED,
                        versionBefore,
                        String.valueOf(e.getMessage()));
            }
            finish(spec, r);
            return r;
        } finally {
            syncLock.unlock();
        }
    }

    /** Discards the update held for {@code name}; the list stays as it is. */
    public SyncResult discard(String name) {
        SourceSpec spec = specs.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("no source named " + name);
        }
        syncLock.lock();
        try {
            long start = clockMillis.getAsLong();
            Held held = held(name)
                    .orElseThrow(() -> new IllegalArgumentException("source " + name + " has no held update"));
            dropHeld(name);
            SyncResult r = nothingDone(
                    spec,
                    "discard",
                    start,
                    SyncResult.Outcome.DISCARDED,
                    currentVersion(),
                    "held update discarded (" + held.reason() + ")");
            finish(spec, r);
            return r;
        } catch (BlocklistStore.StoreException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            syncLock.unlock();
        }
    }

    private void dropHeld(String name) throws BlocklistStore.StoreException {
        BlocklistStore.Changes c = new BlocklistStore.Changes();
        dropHeldInto(c, name);
        store.writeSourceRecords(c);
    }

    private static void dropHeldInto(BlocklistStore.Changes c, String name) {
        c.sourceRecord(heldKey(name), null)
                .sourceRecord("heldchanges\0" + name, null)
                .sourceRecord("heldzone\0" + name, null);
    }

    private static boolean sameContent(SourceState a, SourceState b) {
        return java.util.Objects.equals(a.etag(), b.etag())
                && java.util.Objects.equals(a.lastModified(), b.lastModified())
                && a.serial() == b.serial()
                && java.util.Objects.equals(a.contentSha256(), b.contentSha256());
    }

    // --- bookkeeping --------------------------------------------------------------------------

    private void finish(SourceSpec spec, SyncResult r) {
        SourceState s = state(spec.name());
        long next = clockMillis.getAsLong() + nextDelay(spec, r, s).toMillis();
        SourceState updated = s.afterAttempt(r, next);
        if (r.outcome() == SyncResult.Outcome.APPLIED || r.outcome() == SyncResult.Outcome.UNCHANGED) {
            updated = new SourceState(
                    states.getOrDefault(spec.name(), s).etag(),
                    states.getOrDefault(spec.name(), s).lastModified(),
                    states.getOrDefault(spec.name(), s).serial(),
                    states.getOrDefault(spec.name(), s).contentSha256(),
                    0,
                    r.startMillis(),
                    r.endMillis(),
                    r.outcome().name(),
                    r.detail(),
                    next);
        }
        states.put(spec.name(), updated);
        try {
            store.putSourceRecord(stateKey(spec.name()), json(updated));
            store.addHistory(spec.name(), r.startMillis(), json(r));
        } catch (BlocklistStore.StoreException e) {
            log.warn("cannot record the sync of {}: {}", spec.name(), e.getMessage());
        }
        Counter.builder("safenet.sync.attempts")
                .description("Sync attempts by source and outcome")
                .tag("source", spec.name())
                .tag("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT))
                .register(registry)
                .increment();
        switch (r.outcome()) {
            case FAILED, HELD -> log.warn("sync {}", r.summary());
            default -> log.info("sync {}", r.summary());
        }
        schedule(spec.name(), Math.max(0, next - clockMillis.getAsLong()));
    }

    /** After a success the refresh interval (rpz: or the SOA refresh, if sooner); after failures, back-off. */
    Duration nextDelay(SourceSpec spec, SyncResult r, SourceState before) {
        if (r.outcome() == SyncResult.Outcome.FAILED) {
            int failures = before.consecutiveFailures() + 1;
            Duration d = initialBackoff.multipliedBy(1L << Math.min(20, failures - 1));
            return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
        }
        Duration soa = soaRefresh.get(spec.name());
        return soa != null && soa.compareTo(spec.refresh()) < 0 ? soa : spec.refresh();
    }

    /** The stored state of a source (initial if it never synced). */
    public SourceState state(String name) {
        return states.computeIfAbsent(name, n -> {
            try {
                byte[] b = store.sourceRecord(stateKey(n));
                return b == null ? SourceState.initial() : JSON.readValue(b, SourceState.class);
            } catch (IOException | BlocklistStore.StoreException e) {
                log.warn("the stored state of source {} is unreadable ({}); starting afresh", n, e.getMessage());
                return SourceState.initial();
            }
        });
    }

    /** The last attempts of a source, oldest first. */
    public List<SyncResult> history(String name) {
        List<SyncResult> out = new ArrayList<>();
        for (byte[] b : store.history(name)) {
            try {
                out.add(JSON.readValue(b, SyncResult.class));
            } catch (IOException e) {
                log.debug("skipping an unreadable history record of {}", name, e);
            }
        }
        return out;
    }

    private void registerMeters(String name) {
        if (!metered.add(name)) {
            return; // a changed or re-added source: its gauges already read it by name
        }
        Gauge.builder("safenet.sync.entries", () -> sizeOf(name))
                .description("Entries a source contributes to the store")
                .tag("source", name)
                .register(registry);
        Gauge.builder("safenet.sync.consecutive.failures", () -> state(name).consecutiveFailures())
                .tag("source", name)
                .register(registry);
        Gauge.builder("safenet.sync.last.success", () -> state(name).lastSuccessMillis() / 1000.0)
                .description("When the source last synced successfully (Unix seconds; 0: never)")
                .baseUnit("seconds")
                .tag("source", name)
                .register(registry);
        Gauge.builder("safenet.sync.held", () -> held(name).isPresent() ? 1 : 0)
                .description("1 while an update of the source waits for an operator")
                .tag("source", name)
                .register(registry);
    }

    private double sizeOf(String name) {
        try {
            return store.sourceSize(name);
        } catch (BlocklistStore.StoreException e) {
            return Double.NaN;
        }
    }

    private long currentVersion() {
        try {
            return store.listVersion();
        } catch (BlocklistStore.StoreException e) {
            return -1;
        }
    }

    /** An attempt that changed no entry (unchanged, failed, discarded). */
    private SyncResult nothingDone(
            SourceSpec spec, String trigger, long start, SyncResult.Outcome outcome, long version, String detail) {
        return new SyncResult(
                spec.name(),
                trigger,
                start,
                clockMillis.getAsLong(),
                outcome,
                0,
                0,
                0,
                0,
                0,
                version,
                version,
                detail,
                List.of());
    }

    /** An attempt that got as far as a diff: its counts, whether applied, held or found empty. */
    private SyncResult fromPlan(
            SourceSpec spec,
            String trigger,
            long start,
            SyncResult.Outcome outcome,
            Planned p,
            long before,
            long after,
            String detail) {
        ListImporter.Diff d = p.diff();
        return new SyncResult(
                spec.name(),
                trigger,
                start,
                clockMillis.getAsLong(),
                outcome,
                d.added(),
                d.updated(),
                d.removed(),
                p.rejected(),
                p.invalid(),
                before,
                after,
                detail,
                p.rejectedSample());
    }

    private static byte[] json(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The store key of a source's {@link SourceState} (for tools that seed a store, e.g. the benchmarks). */
    public static String stateKey(String name) {
        return "state\0" + name;
    }

    private static String heldKey(String name) {
        return "held\0" + name;
    }

    private static String zoneKey(String name) {
        return "zone\0" + name;
    }

    private void clearStaging(String name) {
        if (!Files.isDirectory(staging)) {
            return;
        }
        try (Stream<Path> files = Files.list(staging)) {
            files.filter(f -> f.getFileName().toString().startsWith(name + "-")).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    log.debug("cannot delete {}", f, e);
                }
            });
        } catch (IOException e) {
            log.debug("cannot list {}", staging, e);
        }
    }

    // --- file sources: re-read when they change -------------------------------------------------

    private void refreshWatches() {
        if (scheduler != null) {
            files.refresh();
        }
    }

    private void scheduleTrigger(String name, long delayMillis) {
        ScheduledExecutorService s = scheduler;
        if (s == null) {
            return;
        }
        cancel(name);
        scheduled.put(
                name,
                s.schedule(
                        () -> {
                            try {
                                syncNow(name, "file-change");
                            } catch (RuntimeException e) {
                                log.warn("sync of {} after a file change failed unexpectedly", name, e);
                            }
                        },
                        delayMillis,
                        TimeUnit.MILLISECONDS));
    }

    /** The sources, most recently synced first; for status listings. */
    public List<SourceSpec> sourcesByName() {
        return specs.values().stream()
                .sorted(Comparator.comparing(SourceSpec::name))
                .toList();
    }

    /** Sources that still have entries in the store but are not configured (purge candidates), with their counts. */
    public Map<String, Long> unconfiguredWithEntries() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String name : store.sourcesWithEntries()) {
            if (!specs.containsKey(name)) {
                try {
                    out.put(name, store.sourceSize(name));
                } catch (BlocklistStore.StoreException e) {
                    out.put(name, -1L);
                }
            }
        }
        return out;
    }

    @Override
    public synchronized void close() {
        ScheduledExecutorService s = scheduler;
        scheduler = null;
        if (s != null) {
            s.shutdownNow();
            try {
                s.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        files.close();
    }
}
