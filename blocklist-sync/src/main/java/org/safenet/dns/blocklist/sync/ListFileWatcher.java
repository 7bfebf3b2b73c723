package org.safenet.dns.blocklist.sync;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the directories of the enabled file sources and names the source whose file was
 * created, changed or deleted, so that {@link SyncService} re-reads it at once rather than at its
 * refresh interval. One virtual thread; directories are added as sources appear, never removed
 * (a removed source's file changing names no source). Where watching is not possible (no inotify,
 * a missing directory) the interval still applies, as the log line says.
 */
final class ListFileWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ListFileWatcher.class);

    private final Supplier<Collection<SourceSpec>> sources;
    private final Consumer<String> changed;
    private final Map<WatchKey, Path> watchedDirs = new ConcurrentHashMap<>();
    private @Nullable WatchService watcher;

    /**
     * @param sources the sources now (read again at each event, so a file is matched to the
     *     source that names it then)
     * @param changed told the name of a source whose file changed
     */
    ListFileWatcher(Supplier<Collection<SourceSpec>> sources, Consumer<String> changed) {
        this.sources = sources;
        this.changed = changed;
    }

    /** Watches the directory of every enabled file source not watched yet; starts the thread on first use. */
    synchronized void refresh() {
        try {
            if (watcher == null) {
                watcher = FileSystems.getDefault().newWatchService();
                Thread.ofVirtual().name("safenet-sync-watch").start(this::loop);
            }
            for (SourceSpec s : sources.get()) {
                if (s.type() == SourceSpec.Type.FILE && s.enabled() && s.path() != null) {
                    Path dir = s.path().toAbsolutePath().getParent();
                    if (dir != null && Files.isDirectory(dir) && !watchedDirs.containsValue(dir)) {
                        watchedDirs.put(
                                dir.register(
                                        watcher,
                                        StandardWatchEventKinds.ENTRY_CREATE,
                                        StandardWatchEventKinds.ENTRY_MODIFY,
                                        StandardWatchEventKinds.ENTRY_DELETE),
                                dir);
                    }
                }
            }
        } catch (IOException e) {
            log.warn("cannot watch list files ({}); they are re-read on their refresh interval", e.getMessage());
        }
    }

    private void loop() {
        WatchService w = watcher;
        while (w != null) {
            WatchKey key;
            try {
                key = w.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            Path dir = watchedDirs.get(key);
            Set<String> due = new LinkedHashSet<>();
            for (WatchEvent<?> ev : key.pollEvents()) {
                if (dir != null && ev.context() instanceof Path p) {
                    Path file = dir.resolve(p);
                    for (SourceSpec s : sources.get()) {
                        if (s.type() == SourceSpec.Type.FILE
                                && s.path() != null
                                && s.path().toAbsolutePath().equals(file)) {
                            due.add(s.name());
                        }
                    }
                }
            }
            key.reset();
            due.forEach(changed);
        }
    }

    @Override
    public synchronized void close() {
        WatchService w = watcher;
        watcher = null;
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                log.debug("closing the watcher", e);
            }
        }
    }
}
