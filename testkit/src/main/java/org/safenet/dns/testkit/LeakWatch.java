package org.safenet.dns.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Turns Netty's leak reports into test failures. Netty only logs a leaked buffer (and only once
 * the garbage collector finds it), which a green build hides; here the detector records every
 * report, and after each test class the collector runs, a few allocations let the detector look,
 * and the class fails if anything was reported (with Netty's record of where the buffer was
 * touched: the build's tests run with {@code -Dio.netty.leakDetection.level=paranoid}).
 *
 * <p>Installed as a launcher session listener, before any test class touches a buffer (the
 * detector is fixed when Netty's buffer classes load), and registered as an extension that JUnit
 * finds by itself ({@code junit.jupiter.extensions.autodetection.enabled}, set in the parent POM).
 */
public final class LeakWatch implements LauncherSessionListener, AfterAllCallback {
    private static final List<String> REPORTS = new ArrayList<>();

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        install();
    }

    /** Makes every leak detector created from now on record its reports here. */
    static synchronized void install() {
        if (ResourceLeakDetectorFactory.instance() instanceof Recording) {
            return;
        }
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new Recording());
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(context.getDisplayName() + " leaked " + leaks.size()
                    + " buffer(s) (a ByteBuf not released):\n" + String.join("\n\n", leaks));
        }
    }

    /** Runs the collector and lets the detectors look; returns (and forgets) what they reported. */
    static List<String> collect() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(20);
            for (int i = 0; i < 64; i++) {
                // With paranoid detection every allocation is tracked, and tracking polls the queue
                // of collected, unreleased buffers.
                ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(1);
                probe.release();
                ByteBuf heap = ByteBufAllocator.DEFAULT.heapBuffer(1);
                heap.release();
            }
        }
        synchronized (REPORTS) {
            List<String> out = new ArrayList<>(REPORTS);
            REPORTS.clear();
            return out;
        }
    }

    private static final class Recording extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(
                Class<T> resource, int samplingInterval, long maxActive) {
            return new ResourceLeakDetector<>(resource, samplingInterval) {
                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    super.reportTracedLeak(resourceType, records);
                    synchronized (REPORTS) {
                        REPORTS.add("LEAK: " + resourceType + records);
                    }
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    super.reportUntracedLeak(resourceType);
                    synchronized (REPORTS) {
                        REPORTS.add("LEAK: " + resourceType + " (no record)");
                    }
                }
            };
        }
    }
}
