package org.safenet.dns.blocklist.live;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.index.BlocklistPolicy;
import org.safenet.dns.blocklist.index.IndexFile;
import org.safenet.dns.blocklist.index.IndexLoader;
import org.safenet.dns.blocklist.index.LiveEdits;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a running appliance changes its list: writes a change to the store (with the
 * journal record IXFR serves), then makes it live, by overlaying the names it changed on the
 * last full index build (milliseconds) or, for big changes, by rebuilding the index off the
 * event loops and swapping it in. Imports, syncs and (later) the admin API all come through here,
 * one at a time.
 *
 * <p>Several sources may list one name. What answers see is, per name and match kind, the entry
 * of the highest-precedence source ({@link IndexLoader#winner}); the overlay and the journal are
 * computed from those winners before and after the change, so dropping a name from one feed
 * changes nothing while another feed still lists it.
 */
public final class LiveList {
    private final BlocklistStore store;
    private final LongSupplier clockMillis;
    private final int keepJournal;
    private volatile Function<String, @Nullable PolicyAction> categoryAction;
    private volatile ToIntFunction<String> precedence;
    private final BlocklistPolicy policy;
    private BlocklistPolicy.Snapshot base;
    private LiveEdits edits = new LiveEdits();
    private final List<LongConsumer> versionListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<IndexLoader.LoadResult>> rebuildListeners = new CopyOnWriteArrayList<>();
    private IndexLoader.LoadResult lastLoad;
    private final @Nullable Path indexFile;
    private final boolean savedIndexUsed;
    /** One daemon thread writes saved indexes, in order, off the caller's path (none without a file). */
    private final @Nullable ExecutorService saver;

    private static final Logger log = LoggerFactory.getLogger(LiveList.class);

    public LiveList(
            BlocklistStore store,
            Function<String, @Nullable PolicyAction> categoryAction,
            ToIntFunction<String> precedence,
            LongSupplier clockMillis,
            int keepJournal)
            throws BlocklistStore.StoreException {
        this(store, categoryAction, precedence, clockMillis, keepJournal, null);
    }

    /**
     * @param indexFile where the built index is saved after every full build and read back at the
     *     next start if it still matches the store ({@link IndexFile}); null to build every time
     */
    public LiveList(
            BlocklistStore store,
            Function<String, @Nullable PolicyAction> categoryAction,
            ToIntFunction<String> precedence,
            LongSupplier clockMillis,
            int keepJournal,
            @Nullable Path indexFile)
            throws BlocklistStore.StoreException {
        this.store = store;
        this.categoryAction = categoryAction;
        this.precedence = precedence;
        this.clockMillis = clockMillis;
        this.keepJournal = keepJournal;
        this.indexFile = indexFile;
        this.saver = indexFile == null
                ? null
                : Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "blocklist-index-saver");
                    t.setDaemon(true);
                    return t;
                });
        IndexLoader.LoadResult saved = null;
        if (indexFile != null) {
            try {
                saved = IndexFile.read(
                        indexFile, store.listVersion(), categoryAction, precedence, clockMillis.getAsLong());
            } catch (IndexFile.Refused refused) {
                log.info("saved blocklist index not used ({}): building it from the store", refused.getMessage());
            }
        }
        this.savedIndexUsed = saved != null;
        this.lastLoad = saved != null ? saved : loader().load(store);
        if (saved == null) {
            save(lastLoad);
        }
        this.base = lastLoad.snapshot();
        this.policy = new BlocklistPolicy(base);
    }

    /** Whether the index in use at start was read from the saved file rather than built. */
    public boolean savedIndexUsed() {
        return savedIndexUsed;
    }

    /** Waits until every index save started so far has finished (for tests). */
    public void awaitSaved() throws InterruptedException {
        ExecutorService s = saver;
        if (s == null) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        s.execute(done::countDown);
        done.await();
    }

    /** Saves a full build in the background; a failure only costs the next start a rebuild. */
    private void save(IndexLoader.LoadResult loaded) {
        Path file = indexFile;
        ExecutorService s = saver;
        if (file == null || s == null) {
            return;
        }
        s.execute(() -> {
            long start = System.nanoTime();
            try {
                IndexFile.write(file, loaded);
                log.debug("blocklist index saved to {} in {} ms", file, (System.nanoTime() - start) / 1_000_000);
            } catch (IOException | RuntimeException e) {
                log.warn(
                        "could not save the blocklist index to {} (the next start rebuilds it): {}",
                        file,
                        e.toString());
            }
        });
    }

    /** What {@link #apply} did. */
    public record Applied(long version, int changes, String how) {}

    public BlocklistPolicy policy() {
        return policy;
    }

    public BlocklistStore store() {
        return store;
    }

    /** Counts of the last full build. */
    public synchronized IndexLoader.LoadResult lastLoad() {
        return lastLoad;
    }

    public ToIntFunction<String> precedence() {
        return precedence;
    }

    /** Called with the result of every full build after the first (a sync, a reconfiguration). */
    public void onRebuilt(Consumer<IndexLoader.LoadResult> listener) {
        rebuildListeners.add(listener);
    }

    /** Called with the new list version after every change that made one (e.g. to send NOTIFY). */
    public void onNewVersion(LongConsumer listener) {
        versionListeners.add(listener);
    }

    /** New category actions or source precedences: the next answers follow them (a full rebuild). */
    public synchronized void reconfigure(
            Function<String, @Nullable PolicyAction> categoryAction, ToIntFunction<String> precedence)
            throws BlocklistStore.StoreException {
        this.categoryAction = categoryAction;
        this.precedence = precedence;
        rebuild();
    }

    /** Rebuilds the index from the store and swaps it in. */
    public synchronized IndexLoader.LoadResult rebuild() throws BlocklistStore.StoreException {
        lastLoad = loader().load(store);
        base = lastLoad.snapshot();
        edits = new LiveEdits();
        policy.swap(base);
        save(lastLoad);
        for (Consumer<IndexLoader.LoadResult> l : rebuildListeners) {
            l.accept(lastLoad);
        }
        return lastLoad;
    }

    private ListWriter writer() {
        Function<String, @Nullable PolicyAction> actions = categoryAction;
        return new ListWriter(
                store,
                precedence,
                clockMillis,
                keepJournal,
                e -> e.action() != org.safenet.dns.blocklist.format.ListEntry.Action.BLOCK
                        || actions.apply(e.category()) != null);
    }

    private IndexLoader loader() {
        return new IndexLoader(categoryAction, clockMillis, precedence);
    }

    /** Applies {@code changes} to the store, atomically, and makes them live. */
    public synchronized Applied apply(BlocklistStore.Changes changes) throws BlocklistStore.StoreException {
        long start = System.nanoTime();
        if (changes.size() == 0) {
            writer().write(changes);
            return new Applied(store.listVersion(), 0, "nothing changed");
        }
        ListWriter.Written written = writer().write(changes);
        long version = written.version();
        BlocklistStore.Changes effective = written.effective();
        String how;
        if (effective != null && !changes.touchesIps() && edits.canTake(effective) && overlay(effective, version)) {
            how = String.format(
                    "%d changes overlaid (%d pending since the last full build) in %d ms",
                    changes.size(), edits.size(), (System.nanoTime() - start) / 1_000_000);
        } else {
            IndexLoader.LoadResult loaded = rebuild();
            how = String.format(
                    "%d entries enforced, index rebuilt in %d ms",
                    loaded.blocked(), (System.nanoTime() - start) / 1_000_000);
        }
        for (LongConsumer l : versionListeners) {
            l.accept(version);
        }
        return new Applied(version, changes.size(), how);
    }

    private boolean overlay(BlocklistStore.Changes effective, long version) {
        LiveEdits next = edits;
        next.record(effective);
        try {
            policy.swap(next.apply(base, categoryAction, version));
            return true;
        } catch (IllegalStateException tooManyVerdicts) {
            return false;
        }
    }
}
