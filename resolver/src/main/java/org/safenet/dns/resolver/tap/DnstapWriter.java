package org.safenet.dns.resolver.tap;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that talks to the dnstap output. Event loops only offer encoded frames to a
 * bounded queue (and count a drop when it is full); this thread drains the queue in batches into
 * one buffer and writes it. While the output cannot be opened (no collector, a full disk) it
 * drops what arrives, counted, and retries with back-off from 1 to 30 seconds.
 */
final class DnstapWriter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(DnstapWriter.class);
    private static final long MIN_BACKOFF_MILLIS = 1_000;
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    /** Idle wait between empty polls: a log line may sit this long before it is written. */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final Queue<ByteBuf> queue;
    private final DnstapOutput output;
    private final Counter written;
    private final Counter droppedDisconnected;
    private final ByteBuffer batch = ByteBuffer.allocateDirect(256 * 1024);
    private volatile boolean running = true;
    private final Thread thread;

    private int batchFrames;
    private long backoff = MIN_BACKOFF_MILLIS;
    private long nextAttemptMillis;
    private boolean reportedDown;

    DnstapWriter(Queue<ByteBuf> queue, DnstapOutput output, Counter written, Counter droppedDisconnected) {
        this.queue = queue;
        this.output = output;
        this.written = written;
        this.droppedDisconnected = droppedDisconnected;
        this.thread = Thread.ofPlatform().name("dnstap-writer").daemon().unstarted(this);
    }

    void start() {
        thread.start();
    }

    /** Writes what is queued, ends the stream (a file is then complete) and stops the thread. */
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
                if (!ensureOpen()) {
                    discardQueued();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    continue;
                }
                if (drainAndWrite() == 0) {
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                }
                if (output.wantsRotation()) {
                    output.close();
                    ensureOpen();
                }
            }
            if (ensureOpen()) {
                while (drainAndWrite() > 0) {
                    // the last frames the loops offered before the stop
                }
            }
            discardQueued();
        } catch (RuntimeException e) {
            log.error("dnstap writer failed; dnstap output stops", e);
            discardQueued();
        } finally {
            output.close();
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

    /** Frames taken from the queue by this pass. */
    private int drainAndWrite() {
        int frames = 0;
        ByteBuf next;
        while (frames < 4096 && (next = queue.poll()) != null) { // a bounded pass: rotation and stop get their turn
            frames++;
            try {
                int n = next.readableBytes();
                if (n > batch.remaining()) {
                    flush();
                }
                if (n > batch.remaining()) {
                    droppedDisconnected.increment(); // cannot happen: DNS messages are far smaller than a batch
                    continue;
                }
                next.getBytes(next.readerIndex(), batch.limit(batch.position() + n));
                batch.limit(batch.capacity());
                batchFrames++;
            } finally {
                next.release();
            }
        }
        if (batchFrames > 0) {
            flush();
        }
        return frames;
    }

    /** Writes the batch; if the output fails, the batch is counted as dropped and the output closed. */
    private void flush() {
        int frames = batchFrames;
        batchFrames = 0;
        batch.flip();
        try {
            if (!output.isOpen()) {
                throw new IOException("closed");
            }
            output.write(batch);
            written.increment(frames);
        } catch (IOException e) {
            droppedDisconnected.increment(frames);
            if (output.isOpen()) {
                log.warn("dnstap: writing to {} failed ({}); reconnecting", output.describe(), e.getMessage());
                output.abort();
                nextAttemptMillis = System.currentTimeMillis() + backoff;
            }
        } finally {
            batch.clear();
        }
    }

    private void discardQueued() {
        ByteBuf b;
        while ((b = queue.poll()) != null) {
            b.release();
            droppedDisconnected.increment();
        }
    }
}
