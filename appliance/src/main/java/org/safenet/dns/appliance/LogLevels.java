package org.safenet.dns.appliance;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.api.AdminContext;
import org.slf4j.LoggerFactory;

/**
 * Log levels at run time: {@code logging.levels} from the config (applied at start and on every
 * reload) and the admin API's {@code PUT /api/v1/logging/{logger}} (until the next reload or
 * restart), set on logback's loggers directly.
 */
final class LogLevels implements AdminContext.LogControl {
    static final List<String> LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

    /** The level names a config or API call may use, checked; IllegalArgumentException names the bad one. */
    static String checked(String logger, String level) {
        String upper = level.trim().toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(upper)) {
            throw new IllegalArgumentException(
                    "logging level of " + logger + ": '" + level + "' is not one of " + String.join(", ", LEVELS));
        }
        return upper;
    }

    /** Applies {@code levels} (logger name, or "root"). */
    void apply(Map<String, String> levels) {
        levels.forEach(this::set);
    }

    @Override
    public void set(String logger, @Nullable String level) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // not logback (a test harness): nothing to set
        }
        Logger target = context.getLogger(logger.equals("root") ? Logger.ROOT_LOGGER_NAME : logger);
        target.setLevel(level == null ? null : Level.toLevel(checked(logger, level)));
    }

    @Override
    public Map<String, String> levels() {
        Map<String, String> out = new LinkedHashMap<>();
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            for (Logger l : context.getLoggerList()) {
                if (l.getLevel() != null) {
                    out.put(
                            l.getName().equals(Logger.ROOT_LOGGER_NAME) ? "root" : l.getName(),
                            l.getLevel().toString());
                }
            }
        }
        return out;
    }
}
