package org.safenet.dns.blocklist.sync;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the calling (platform) thread a lower CPU priority on Linux: {@code setpriority(PRIO_PROCESS,
 * gettid(), nice)} through the FFM API. A sync parses, diffs and rebuilds for seconds; at equal
 * priority the kernel's fair scheduler lets it hold a core for whole time slices (several ms)
 * while queries wait on the same core, which showed as a 9x p99 during a 1.46M-name sync on one
 * pinned core. At nice 10 the event loops win the core whenever they have work. Any user may
 * lower its own threads' priority; where this cannot be done (not Linux), nothing changes.
 */
final class BackgroundPriority {
    private static final Logger log = LoggerFactory.getLogger(BackgroundPriority.class);

    private BackgroundPriority() {}

    /** The nice value sync threads run at (0 normal, 19 lowest). */
    static final int NICE = 10;

    static void lowerCurrentThread() {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            MethodHandle gettid = linker.downcallHandle(
                    libc.find("gettid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            MethodHandle setpriority = linker.downcallHandle(
                    libc.find("setpriority").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            int tid = (int) gettid.invokeExact();
            int rc = (int) setpriority.invokeExact(0 /* PRIO_PROCESS: tid on Linux */, tid, NICE);
            if (rc != 0) {
                log.debug("setpriority for the sync thread failed (rc {}); it runs at normal priority", rc);
            }
        } catch (Throwable e) {
            log.debug("cannot lower the sync thread's priority ({}); it runs at normal priority", e.toString());
        }
    }
}
