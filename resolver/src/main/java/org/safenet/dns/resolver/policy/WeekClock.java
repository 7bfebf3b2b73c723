package org.safenet.dns.resolver.policy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.function.LongSupplier;

/**
 * The minute of the week in the appliance's time zone (0 = Monday 00:00), what schedules are
 * evaluated on. The zone's offset is looked up when it may have changed (at the next transition,
 * at most once a day) and kept, so a query costs a division or two and no allocation.
 */
public final class WeekClock {
    private static final long DAY_MILLIS = 86_400_000L;
    /** 1970-01-01 was a Thursday: ISO day 4, index 3 from Monday. */
    private static final int EPOCH_DAY_INDEX = 3;

    private final ZoneRules rules;
    private final LongSupplier clockMillis;
    /** {validFromMillis, validUntilMillis, offsetMillis}, published together as one array. */
    private volatile long[] state = {0, Long.MIN_VALUE, 0};

    public WeekClock(ZoneId zone, LongSupplier clockMillis) {
        this.rules = zone.getRules();
        this.clockMillis = clockMillis;
    }

    /** The minute of the week now. */
    public int minuteOfWeek() {
        return minuteOfWeek(clockMillis.getAsLong());
    }

    /** The minute of the week at {@code epochMillis}. */
    public int minuteOfWeek(long epochMillis) {
        long[] s = state;
        if (epochMillis < s[0] || epochMillis >= s[1]) {
            s = refresh(epochMillis); // a day has passed, a transition is due, or the clock went back
        }
        long local = epochMillis + s[2];
        long day = Math.floorDiv(local, DAY_MILLIS);
        int dayIndex = (int) Math.floorMod(day + EPOCH_DAY_INDEX, 7);
        int minute = (int) (Math.floorMod(local, DAY_MILLIS) / 60_000);
        return dayIndex * Schedule.MINUTES_PER_DAY + minute;
    }

    private long[] refresh(long epochMillis) {
        Instant now = Instant.ofEpochMilli(epochMillis);
        long offset = rules.getOffset(now).getTotalSeconds() * 1000L;
        ZoneOffsetTransition next = rules.nextTransition(now);
        long until = Math.min(epochMillis + DAY_MILLIS, next == null ? Long.MAX_VALUE : next.toEpochSecond() * 1000);
        long[] s = {epochMillis, until, offset};
        state = s;
        return s;
    }
}
