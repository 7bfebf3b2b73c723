package org.safenet.dns.resolver;

import java.time.Duration;
import java.util.Locale;

/** Durations as operators write them (config file and command lines): {@code 1500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, or bare seconds. */
public final class DurationText {
    private DurationText() {}

    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        int split = 0;
        while (split < t.length() && Character.isDigit(t.charAt(split))) {
            split++;
        }
        if (split == 0) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 1500ms, 30s, 5m, 2h, 1d)");
        }
        long n;
        try {
            n = Long.parseLong(t.substring(0, split));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large", e);
        }
        return switch (t.substring(split)) {
            case "ms" -> Duration.ofMillis(n);
            case "", "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit (use ms, s, m, h or d)");
        };
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0 && ms != 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0 && ms != 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms != 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
