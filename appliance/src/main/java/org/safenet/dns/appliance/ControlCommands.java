package org.safenet.dns.appliance;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.api.AuditLog;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.sync.SyncService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the control channel runs for {@code safenet import} and {@code safenet sync} on a running
 * appliance: an import staged and diffed here and made live through the live list, or a sync
 * action; each change is recorded in the audit trail with the local user who asked (the socket's
 * peer credentials) and the command's last report line.
 */
final class ControlCommands implements ControlChannel.Handler {
    private static final Logger log = LoggerFactory.getLogger(ControlCommands.class);

    /** The most of a command's report an audit record keeps. */
    private static final int MAX_REPORT_CHARS = 2_000;

    private final Supplier<@Nullable LiveList> live;
    private final Supplier<@Nullable SyncService> sync;
    private final List<String> protectedDomains;
    private final AuditLog audit;

    ControlCommands(
            Supplier<@Nullable LiveList> live,
            Supplier<@Nullable SyncService> sync,
            List<String> protectedDomains,
            AuditLog audit) {
        this.live = live;
        this.sync = sync;
        this.protectedDomains = protectedDomains;
        this.audit = audit;
    }

    @Override
    public synchronized int handle(String request, String peer, PrintWriter out) {
        LiveList list = live.get();
        if (list == null) {
            out.println("this appliance runs without a blocklist");
            return 1;
        }
        StringWriter report = new StringWriter();
        int status;
        try (PrintWriter w = new PrintWriter(report)) {
            status = request.startsWith("sync\t") ? sync(request, peer, w) : importList(list, request, peer, w);
        }
        out.print(report);
        return status;
    }

    private int sync(String request, String peer, PrintWriter out) {
        String[] f = request.split("\t", -1);
        String action = f.length > 1 ? f[1] : "run";
        String name = f.length > 2 && !f[2].isEmpty() ? f[2] : null;
        StringWriter report = new StringWriter();
        int status;
        try (PrintWriter w = new PrintWriter(report)) {
            status = SyncCommand.handle(request, sync.get(), w);
        }
        out.print(report);
        if (!action.equals("status")) {
            Map<String, Object> after = syncRecord(status, report.toString());
            audit.recordOrWarn(
                    AuditLog.Actor.local(AuditLog.SYNC, peer, "control socket"),
                    "sync." + action,
                    name == null ? "all sources" : name,
                    null,
                    after);
        }
        return status;
    }

    private int importList(LiveList list, String request, String peer, PrintWriter out) {
        ImportCommand command;
        try {
            command = ImportCommand.decode(request);
        } catch (IllegalArgumentException e) {
            out.println("not a request this appliance knows: " + e.getMessage());
            return 2;
        }
        Map<String, Object> what = importRecord(command);
        String action = "import.failed"; // until it is done: an unexpected failure is recorded as one too
        try {
            StringWriter report = new StringWriter();
            LiveList.Applied applied;
            try (PrintWriter w = new PrintWriter(report)) {
                applied = command.run(list.store(), list::apply, protectedDomains, w);
            }
            out.print(report);
            String line = "live: " + applied.how() + ", list version " + applied.version();
            out.println(line);
            log.info("import of {} by {} through the control channel; {}", command.source(), peer, line);
            what.put("report", cut(lastLine(report.toString())));
            what.put("listVersion", applied.version());
            action = "import";
            return 0;
        } catch (IOException | BlocklistStore.StoreException | IllegalArgumentException e) {
            out.println("import failed, nothing changed: " + e.getMessage());
            what.put("failed", e.getMessage());
            return 1;
        } finally {
            audit.recordOrWarn(
                    AuditLog.Actor.local(AuditLog.IMPORT, peer, "control socket"),
                    action,
                    command.source(),
                    null,
                    what);
        }
    }

    /** What an import's audit record says of it before it runs: its files, format, category, and whether it replaces. */
    static Map<String, Object> importRecord(ImportCommand command) {
        Map<String, Object> what = new LinkedHashMap<>();
        what.put("files", command.files().stream().map(Path::toString).toList());
        what.put("format", command.format().name().toLowerCase(Locale.ROOT));
        what.put("category", command.category());
        what.put("replace", command.replace());
        return what;
    }

    /** What a sync action's audit record says of it: its exit status and its report. */
    static Map<String, Object> syncRecord(int status, String report) {
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("exit", status);
        after.put("report", cut(report.strip()));
        return after;
    }

    /** The audit trail in a store a command opened itself (no appliance running: the command line's changes). */
    static AuditLog offlineAudit(BlocklistStore store, Duration retention) {
        return new AuditLog(store.auditRecords(), new ObjectMapper(), System::currentTimeMillis, retention);
    }

    /** The local user running this process, as audit records name one. */
    static String localUser() {
        return "user " + System.getProperty("user.name", "unknown");
    }

    private static String lastLine(String report) {
        String[] lines = report.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String cut(String s) {
        return s.length() > MAX_REPORT_CHARS ? s.substring(0, MAX_REPORT_CHARS) + "…" : s;
    }
}
