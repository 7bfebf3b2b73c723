package org.safenet.dns.admin.api;

import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.appeals.AppealBox;
import org.safenet.dns.admin.appeals.ReportBox;
import org.safenet.dns.admin.stats.StatsRecorder;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.sync.SyncService;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.stats.ResolverMetrics;

/**
 * What the admin API works on, handed over by the appliance (which owns all of it). The API
 * changes the list only through {@link #live}, the sources only through {@link #sync}.
 *
 * @param live the live list (every list change goes through it)
 * @param sync the sync service
 * @param stats the statistics recorder
 * @param metrics the resolver's meters (live totals)
 * @param categories the category actions now in force
 * @param categoryChanger makes a category's action live (and remembers it over restarts)
 * @param protectedDomains names no entry may block
 * @param sinkhole what sinkholed names resolve to now (for explain; a reload changes it)
 * @param prometheus renders {@code /metrics}
 * @param ready whether the list is loaded and the listeners bound
 * @param readyDetail what {@code /readyz} says
 * @param reload re-reads the configuration file (null: not supported here)
 * @param logs log levels at run time
 * @param policy profiles and client groups
 * @param sourceFileDirs where file sources made through the API may read
 * @param appeals the block page's appeals and their reviews
 * @param reports citizens' scam reports and their decisions
 * @param audit the audit trail every change path writes to
 * @param timeZone the appliance's time zone (where days and months start), shown in the console
 */
public record AdminContext(
        LiveList live,
        SyncService sync,
        StatsRecorder stats,
        ResolverMetrics metrics,
        Supplier<Categories> categories,
        CategoryChanger categoryChanger,
        List<String> protectedDomains,
        Supplier<SinkholeSettings> sinkhole,
        Supplier<String> prometheus,
        BooleanSupplier ready,
        Supplier<String> readyDetail,
        @Nullable Supplier<ReloadOutcome> reload,
        LogControl logs,
        LongSupplier clock,
        PolicyAdmin policy,
        List<Path> sourceFileDirs,
        AppealBox appeals,
        ReportBox reports,
        AuditLog audit,
        ZoneId timeZone) {

    /** Log levels at run time. */
    public interface LogControl {
        /** Loggers with a level set (logger name, or "root"). */
        Map<String, String> levels();

        /** Sets (or with null, clears) a logger's level; IllegalArgumentException for an unknown level. */
        void set(String logger, @Nullable String level);
    }

    /** Sets a category's action ("off" to stop enforcing it) and applies it live. */
    @FunctionalInterface
    public interface CategoryChanger {
        void set(String category, String action) throws Exception;
    }
}
