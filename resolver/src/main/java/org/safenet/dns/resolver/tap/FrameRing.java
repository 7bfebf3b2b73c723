package org.safenet.dns.resolver.tap;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One event loop's dnstap frames on their way to the writer: a single-producer, single-consumer
 * ring of bytes. The loop copies each encoded frame in (or drops it when the ring is full); the
 * writer thread hands the bytes between its position and the loop's straight to the output, in
 * as few writes as the ring's wrap allows, with no per-message object or second copy. Positions
 * are byte counts since the start, so full and empty need no extra state.
 */
final class FrameRing {
    private final ByteBuffer ring;
    private final int capacity;
    /** Bytes the producer has published (a frame boundary). Written by the producer only. */
    private final AtomicLong head = new AtomicLong();
    /** Bytes the consumer has taken. Written by the consumer only. */
    private final AtomicLong tail = new AtomicLong();
    /** The producer's last look at {@link #tail}: it reads the volatile only when this says full. */
    private long tailSeen;
    /** The consumer's view of the ring: position and limit set per write, never reallocated. */
    private final ByteBuffer view;

    FrameRing(int capacity) {
        this.capacity = capacity;
        this.ring = ByteBuffer.allocateDirect(capacity);
        this.view = ring.duplicate();
    }

    /** Producer: copies bytes {@code [0, length)} of {@code frame} in; false (nothing copied) if they do not fit. */
    boolean offer(byte[] frame, int length) {
        long h = head.getPlain();
        if (h + length - tailSeen > capacity) {
            tailSeen = tail.getAcquire();
            if (h + length - tailSeen > capacity) {
                return false;
            }
        }
        int at = (int) (h % capacity);
        int first = Math.min(length, capacity - at);
        ring.put(at, frame, 0, first);
        if (first < length) {
            ring.put(0, frame, first, length - first);
        }
        head.setRelease(h + length);
        return true;
    }

    /** Consumer: whether frames wait. */
    boolean hasData() {
        return head.getAcquire() != tail.getPlain();
    }

    /** What a consumer does with the waiting bytes: writes them, in order, in one or two pieces. */
    interface Sink {
        void write(ByteBuffer bytes) throws java.io.IOException;
    }

    /**
     * Consumer: hands every frame published so far to {@code sink} (the wrap splits it in two
     * pieces at most) and frees their room; returns how many frames that was. If the sink throws,
     * the frames are freed all the same (they are lost; the caller counts them) and the exception
     * is rethrown with the count attached.
     */
    int drainTo(Sink sink) throws DrainFailure {
        long t = tail.getPlain();
        long h = head.getAcquire();
        if (h == t) {
            return 0;
        }
        int frames = framesBetween(t, h);
        try {
            long at = t;
            while (at < h) {
                int pos = (int) (at % capacity);
                int n = (int) Math.min(h - at, capacity - pos);
                view.limit(pos + n).position(pos);
                sink.write(view);
                at += n;
            }
            return frames;
        } catch (java.io.IOException e) {
            throw new DrainFailure(frames, e);
        } finally {
            tail.setRelease(h);
        }
    }

    /** Frees everything published so far without writing it; the number of frames dropped. */
    int discard() {
        long t = tail.getPlain();
        long h = head.getAcquire();
        int frames = framesBetween(t, h);
        tail.setRelease(h);
        return frames;
    }

    /** Counts the frames in {@code [from, to)} by their 4-byte lengths (a length may straddle the wrap). */
    private int framesBetween(long from, long to) {
        int frames = 0;
        long at = from;
        int pos = (int) (from % capacity);
        while (at < to) {
            int length;
            if (pos + 4 <= capacity) {
                length = ring.getInt(pos);
            } else {
                length = 0;
                for (int i = 0; i < 4; i++) {
                    length = length << 8 | (ring.get((pos + i) % capacity) & 0xFF);
                }
            }
            at += 4L + length;
            pos = (int) (((long) pos + 4 + length) % capacity);
            frames++;
        }
        return frames;
    }

    /** A sink failed while frames were being written; {@link #frames} were lost with it. */
    static final class DrainFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int frames;

        DrainFailure(int frames, java.io.IOException cause) {
            super(cause.getMessage(), cause);
            this.frames = frames;
        }
    }
}
