package org.safenet.dns.appliance;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes the heap from what the appliance holds: the blocklist index (its exact array bytes), the
 * answer cache (its configured entries) and a fixed base, instead of a fixed 1 GiB.
 *
 * <p>The launcher starts the JVM with ZGC, a generous hard limit ({@code -XX:MaxRAMPercentage}) and
 * a short uncommit delay. This class sets ZGC's soft limit ({@code SoftMaxHeapSize}, a flag the
 * JVM lets a running program change) to {@value #HEADROOM}× what is live in steady state: ZGC then
 * collects to stay under it and returns what it does not need to the system, and only a burst (a
 * full sync staging a million names, an index rebuild beside the live one) takes the heap past
 * it, for as long as the burst lasts. Called at start and after every list change. See
 * docs/decisions/0007-collector-and-heap.md for the measurements behind the figures.
 */
public final class MemoryBudget {
    private static final Logger log = LoggerFactory.getLogger(MemoryBudget.class);

    /** The heap that a running appliance holds with no list and an empty cache (measured: 25–35 MiB). */
    static final long BASE_BYTES = 48L << 20;
    /** The index per listed name (measured: 31–37 B), for sizing before the index exists. */
    static final long INDEX_BYTES_PER_NAME = 40;
    /** One answer in the cache: its object, its flat array, its slot and tag (measured: 170–220 B). */
    static final long CACHE_ENTRY_BYTES = 256;
    /** ZGC needs room beyond the live set to collect concurrently without stalling allocation. */
    static final double HEADROOM = 2.0;

    private final long cacheEntries;
    private final AtomicLong softLimit = new AtomicLong();

    MemoryBudget(long cacheEntries) {
        this.cacheEntries = cacheEntries;
    }

    /** The live heap in steady state for an index of {@code indexBytes} and a cache of {@code cacheEntries}. */
    public static long steadyBytes(long indexBytes, long cacheEntries) {
        return BASE_BYTES + cacheEntries * CACHE_ENTRY_BYTES + indexBytes;
    }

    /** The heap the appliance asks the collector to stay under: {@value #HEADROOM}× the steady live heap. */
    public static long softLimitBytes(long indexBytes, long cacheEntries) {
        return (long) (steadyBytes(indexBytes, cacheEntries) * HEADROOM);
    }

    long steadyBytes(long indexBytes) {
        return steadyBytes(indexBytes, cacheEntries);
    }

    long softLimitFor(long indexBytes, long maxHeap) {
        return Math.min(maxHeap, softLimitBytes(indexBytes, cacheEntries));
    }

    /**
     * Sets the soft limit for a list of about {@code names} names before its index is built, so
     * that the build itself is collected toward it instead of growing the heap.
     */
    void applyEstimate(long names) {
        apply(names * INDEX_BYTES_PER_NAME, (int) Math.min(Integer.MAX_VALUE, names));
    }

    /** The soft limit last set, in bytes (0 before the first {@link #apply}). */
    long softLimit() {
        return softLimit.get();
    }

    /** Sets the soft limit for an index of {@code indexBytes} holding {@code names} names. */
    void apply(long indexBytes, int names) {
        long max = Runtime.getRuntime().maxMemory();
        long soft = softLimitFor(indexBytes, max);
        long previous = softLimit.getAndSet(soft);
        if (Math.abs(previous - soft) < (4L << 20)) {
            return; // not worth a log line
        }
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .setVMOption("SoftMaxHeapSize", Long.toString(soft));
        } catch (IllegalArgumentException | SecurityException e) {
            log.debug("SoftMaxHeapSize not settable here: {}", e.toString());
        }
        long steady = steadyBytes(indexBytes);
        log.info(
                "heap: soft limit {} MiB for {} listed names (index {} MiB) and {} cache entries (about {} MiB), hard limit {} MiB",
                soft >> 20,
                names,
                indexBytes >> 20,
                cacheEntries,
                (cacheEntries * CACHE_ENTRY_BYTES) >> 20,
                max >> 20);
        if (steady > max) {
            log.warn(
                    "the heap's hard limit ({} MiB) is below what this list and cache need in steady state ({} MiB): "
                            + "raise it (SAFENET_JAVA_OPTS, e.g. -Xmx{}m) or lower cache.maxEntries",
                    max >> 20,
                    steady >> 20,
                    (long) (steady * HEADROOM) >> 20);
        }
    }
}
