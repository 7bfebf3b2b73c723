package org.safenet.dns.resolver.policy;

import java.time.DayOfWeek;
import java.util.Set;

/**
 * A weekly window during which a profile blocks more: services (bits of the profile's service
 * table) and categories (slots), e.g. social networks and games during lessons. Evaluated per
 * query on the minute of the week, without allocation.
 *
 * <p>A window whose end is not after its start runs across midnight: {@code 22:00-06:00} on
 * Friday covers Friday 22:00 to Saturday 06:00; the days name the day it starts. {@code to}
 * may be {@code 24:00} (1440) for "until midnight".
 *
 * @param name what {@code explain} and the EDE text call it, e.g. {@code school hours}
 * @param days bit {@code d - 1} for ISO day {@code d} (Monday = 1)
 * @param fromMinute first minute of the day inside the window, 0-1439
 * @param toMinute first minute after the window, 0-1440
 * @param services bits of the services blocked inside the window
 * @param categoryMask category slots enforced inside the window
 */
public record Schedule(String name, int days, int fromMinute, int toMinute, long services, int categoryMask) {
    public static final int MINUTES_PER_DAY = 1440;
    public static final int MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

    public Schedule {
        if (fromMinute < 0 || fromMinute >= MINUTES_PER_DAY || toMinute < 0 || toMinute > MINUTES_PER_DAY) {
            throw new IllegalArgumentException("schedule " + name + ": times are 00:00 to 24:00");
        }
        if (days == 0) {
            throw new IllegalArgumentException("schedule " + name + ": no days");
        }
    }

    /** Bits for {@code days} as {@link #days()} wants them. */
    public static int daysMask(Set<DayOfWeek> days) {
        int mask = 0;
        for (DayOfWeek d : days) {
            mask |= 1 << (d.getValue() - 1);
        }
        return mask;
    }

    /** Parses {@code HH:MM} (00:00 to 24:00) into minutes of the day. */
    public static int minuteOfDay(String text) {
        String t = text.trim();
        int colon = t.indexOf(':');
        if (colon < 1 || colon != t.length() - 3) {
            throw new IllegalArgumentException("'" + text + "' is not a time of day (HH:MM, e.g. 07:30)");
        }
        int h;
        int m;
        try {
            h = Integer.parseInt(t.substring(0, colon));
            m = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time of day (HH:MM, e.g. 07:30)", e);
        }
        if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) {
            throw new IllegalArgumentException("'" + text + "' is not a time of day between 00:00 and 24:00");
        }
        return h * 60 + m;
    }

    /** Whether the window is open at {@code minuteOfWeek} (0 = Monday 00:00, local time). */
    public boolean activeAt(int minuteOfWeek) {
        int day = minuteOfWeek / MINUTES_PER_DAY; // 0 = Monday
        int minute = minuteOfWeek - day * MINUTES_PER_DAY;
        if (toMinute > fromMinute) {
            return (days >>> day & 1) != 0 && minute >= fromMinute && minute < toMinute;
        }
        // Across midnight: the evening part on a listed day, the morning part on the day after one.
        int previous = day == 0 ? 6 : day - 1;
        return ((days >>> day & 1) != 0 && minute >= fromMinute) || ((days >>> previous & 1) != 0 && minute < toMinute);
    }
}
