package org.safenet.dns.resolver.policy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.function.LongSupplier;

/**
 * The minute of the week in the appliance's time zone (0 = Monday 00:00), what schedules are
 * evaluated on. The zone's offset is looked up when it may have changed (at the next transition,
 * at most once a day) and kept, and the minute itself is kept until it ends: a query costs two
 * compares, and an array is made once a minute.
 */
public final class WeekClock {
    private static final long DAY_MILLIS = 86_400_000L;
    /** 1970-01-01 was a Thursday: ISO day 4, index 3 from Monday. */
    private static final int EPOCH_DAY_INDEX = 3;

    private final ZoneRules rules;
    private final LongSupplier clockMillis;
    /**
     * {validFromMillis, validUntilMillis, offsetMillis, minuteStartMillis, minuteEndMillis,
     * minuteOfWeek}, published together as one array: within the current minute a query costs
     * two compares; a new array is made once a minute.
     */
    private volatile long[] state = {0, Long.MIN_VALUE, 0, 0, Long.MIN_VALUE, 0};

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
        if (epochMillis >= s[3] && epochMillis < s[4]) {
            return (int) s[5];
        }
        return next(s, epochMillis);
    }

    private int next(long[] s, long epochMillis) {
        long validFrom = s[0];
        long validUntil = s[1];
        long offset = s[2];
        if (epochMillis < validFrom || epochMillis >= validUntil) {
            // A day has passed, a transition is due, or the clock went back: ask the zone again.
            Instant now = Instant.ofEpochMilli(epochMillis);
            offset = rules.getOffset(now).getTotalSeconds() * 1000L;
            ZoneOffsetTransition next = rules.nextTransition(now);
            validFrom = epochMillis;
            validUntil =
                    Math.min(epochMillis + DAY_MILLIS, next == null ? Long.MAX_VALUE : next.toEpochSecond() * 1000);
        }
        long local = epochMillis + offset;
        long day = Math.floorDiv(local, DAY_MILLIS);
        int dayIndex = (int) Math.floorMod(day + EPOCH_DAY_INDEX, 7);
        long inDay = Math.floorMod(local, DAY_MILLIS);
        int minute = (int) (inDay / 60_000);
        long minuteStart = epochMillis - inDay % 60_000;
        // The cached minute never outlives the offset it was computed with.
        long minuteEnd = Math.min(minuteStart + 60_000, validUntil);
        int value = dayIndex * Schedule.MINUTES_PER_DAY + minute;
        state = new long[] {validFrom, validUntil, offset, Math.max(minuteStart, validFrom), minuteEnd, value};
        return value;
    }
}
