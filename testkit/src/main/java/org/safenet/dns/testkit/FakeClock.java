package org.safenet.dns.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A millisecond clock that tests move by hand, so no test sleeps to age a cache entry. */
public final class FakeClock implements LongSupplier {
    private final AtomicLong millis;

    public FakeClock() {
        this(1_700_000_000_000L);
    }

    public FakeClock(long startMillis) {
        this.millis = new AtomicLong(startMillis);
    }

    @Override
    public long getAsLong() {
        return millis.get();
    }

    public void advance(Duration d) {
        millis.addAndGet(d.toMillis());
    }
}
