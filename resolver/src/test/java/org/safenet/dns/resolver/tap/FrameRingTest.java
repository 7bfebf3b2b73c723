package org.safenet.dns.resolver.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The ring gives the writer exactly the frames the loop put in, in order, across its wrap and across threads. */
class FrameRingTest {
    /** A frame as the encoder writes it: a 4-byte length, then that many bytes (here: a counter pattern). */
    private static int frame(byte[] into, int seq, int payload) {
        ByteBuffer.wrap(into).putInt(payload);
        for (int i = 0; i < payload; i++) {
            into[4 + i] = (byte) (seq + i);
        }
        return 4 + payload;
    }

    @Test
    void framesCrossTheWrap_inOrder_andAFullRingRefusesWholeFrames() throws Exception {
        FrameRing ring = new FrameRing(1000);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] f = new byte[600];
        int frames = 0;
        int drained = 0;
        Random random = new Random(7);
        for (int seq = 0; seq < 5_000; seq++) {
            int n = frame(f, seq, random.nextInt(300));
            if (ring.offer(f, n)) {
                expected.write(f, 0, n);
                frames++;
            } else {
                assertThat(n).as("refused only when it does not fit").isGreaterThan(0);
                drained += ring.drainTo(b -> {
                    byte[] chunk = new byte[b.remaining()];
                    b.get(chunk);
                    got.write(chunk);
                });
                assertThat(ring.offer(f, n)).as("fits in an empty ring").isTrue();
                expected.write(f, 0, n);
                frames++;
            }
        }
        drained += ring.drainTo(b -> {
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            got.write(chunk);
        });
        assertThat(drained).isEqualTo(frames);
        assertThat(got.toByteArray()).isEqualTo(expected.toByteArray());
        assertThat(ring.hasData()).isFalse();
    }

    @Test
    void aFailingSink_losesTheFramesItWasGiven_countedOnce() throws Exception {
        FrameRing ring = new FrameRing(1000);
        byte[] f = new byte[100];
        for (int i = 0; i < 3; i++) {
            ring.offer(f, frame(f, i, 50));
        }
        assertThatThrownBy(() -> ring.drainTo(b -> {
                    throw new IOException("collector gone");
                }))
                .isInstanceOfSatisfying(
                        FrameRing.DrainFailure.class, e -> assertThat(e.frames).isEqualTo(3));
        assertThat(ring.hasData()).isFalse();
        ring.offer(f, frame(f, 9, 10));
        assertThat(ring.discard()).isEqualTo(1);
    }

    @Test
    void oneProducerOneConsumer_concurrently_loseNothingAccepted() throws Exception {
        FrameRing ring = new FrameRing(4096);
        int total = 200_000;
        AtomicBoolean done = new AtomicBoolean();
        long[] accepted = {0};
        long[] acceptedBytes = {0};
        Thread producer = Thread.ofPlatform().start(() -> {
            byte[] f = new byte[200];
            for (int seq = 0; seq < total; seq++) {
                int n = frame(f, seq, seq % 150);
                if (ring.offer(f, n)) {
                    accepted[0]++;
                    acceptedBytes[0] += n;
                }
            }
            done.set(true);
        });
        long frames = 0;
        long[] bytes = {0};
        while (!done.get() || ring.hasData()) {
            frames += ring.drainTo(b -> {
                // Every chunk starts and ends on frame boundaries over the whole drain: check the lengths walk.
                bytes[0] += b.remaining();
                b.position(b.limit());
            });
        }
        producer.join();
        frames += ring.drainTo(b -> bytes[0] += b.remaining());
        assertThat(frames).isEqualTo(accepted[0]);
        assertThat(bytes[0]).isEqualTo(acceptedBytes[0]);
        assertThat(accepted[0]).as("frames went through while both ran").isPositive();
    }
}
