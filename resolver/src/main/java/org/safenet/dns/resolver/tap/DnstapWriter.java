package org.safenet.dns.resolver.tap;

import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that talks to the dnstap output. Event loops only copy encoded frames into
 * their own {@link FrameRing} (and count a drop when it is full); this thread wakes a hundred
 * times a second, hands each ring's waiting bytes to the output in one or two writes, and sleeps
 * again: few wakeups and large writes, so on a one-core box it takes little from the event loop.
 * While the output cannot be opened (no collector, a full disk) it drops what arrives, counted,
 * and retries with back-off from 1 to 30 seconds.
 */
final class DnstapWriter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(DnstapWriter.class);
    private static final long MIN_BACKOFF_MILLIS = 1_000;
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    /** Sleep between passes: a message may wait this long before it is written. */
    private static final long PASS_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final List<FrameRing> rings;
    private final DnstapOutput output;
    private final Counter written;
    private final Counter droppedOutput;
    private volatile boolean running = true;
    private final Thread thread;

    private long backoff = MIN_BACKOFF_MILLIS;
    private long nextAttemptMillis;
    private boolean reportedDown;

    DnstapWriter(List<FrameRing> rings, DnstapOutput output, Counter written, Counter droppedOutput) {
        this.rings = rings;
        this.output = output;
        this.written = written;
        this.droppedOutput = droppedOutput;
        this.thread = Thread.ofPlatform().name("dnstap-writer").daemon().unstarted(this);
    }

    void start() {
        thread.start();
    }

    /** Writes what the loops put in, ends the stream (a file is then complete) and stops the thread. */
    void stop() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        try {
            while (running) {
                pass();
                LockSupport.parkNanos(PASS_NANOS);
            }
            pass(); // the last frames the loops put in before the stop
        } catch (RuntimeException e) {
            log.error("dnstap writer failed; dnstap output stops", e);
        } finally {
            discardAll();
            output.close();
        }
    }

    /** One pass over every loop's ring: write what waits, or drop it while the output is unavailable. */
    private void pass() {
        if (!ensureOpen()) {
            discardAll();
            return;
        }
        for (FrameRing ring : rings) {
            if (!ring.hasData()) {
                continue;
            }
            if (!output.isOpen()) {
                droppedOutput.increment(ring.discard());
                continue;
            }
            try {
                written.increment(ring.drainTo(output::write));
            } catch (FrameRing.DrainFailure e) {
                droppedOutput.increment(e.frames);
                log.warn("dnstap: writing to {} failed ({}); reconnecting", output.describe(), e.getMessage());
                output.abort();
                nextAttemptMillis = System.currentTimeMillis() + backoff;
            }
            if (output.wantsRotation()) {
                output.close();
                ensureOpen();
            }
        }
    }

    private boolean ensureOpen() {
        if (output.isOpen()) {
            return true;
        }
        long now = System.currentTimeMillis();
        if (now < nextAttemptMillis) {
            return false;
        }
        try {
            output.open();
            log.info("dnstap: writing to {}", output.describe());
            backoff = MIN_BACKOFF_MILLIS;
            reportedDown = false;
            return true;
        } catch (IOException e) {
            if (!reportedDown) {
                log.warn(
                        "dnstap: cannot write to {} ({}); messages are dropped (counted) until it can,"
                                + " retrying with back-off",
                        output.describe(),
                        e.getMessage());
                reportedDown = true;
            }
            nextAttemptMillis = now + backoff;
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            return false;
        }
    }

    private void discardAll() {
        for (FrameRing ring : rings) {
            int n = ring.discard();
            if (n > 0) {
                droppedOutput.increment(n);
            }
        }
    }
}
