package org.safenet.dns.appliance;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.sync.SourceSpec;
import org.safenet.dns.blocklist.sync.SourceState;
import org.safenet.dns.blocklist.sync.SyncResult;
import org.safenet.dns.blocklist.sync.SyncService;

/**
 * {@code safenet sync}, run the same way by the CLI (store opened by the command) and by a
 * running appliance (over the control channel): sync sources now, approve or discard a held
 * update, or show each source's status. Exit status: 0 all applied or unchanged, 1 a sync failed,
 * 3 an update is held for approval.
 */
final class SyncCommand {
    private SyncCommand() {}

    static final int EXIT_FAILED = 1;
    static final int EXIT_HELD = 3;

    /** The control-channel request: {@code sync\tACTION\tNAME} (NAME empty: every enabled source). */
    static String encode(String action, @Nullable String name) {
        return "sync\t" + action + "\t" + (name == null ? "" : name);
    }

    static int handle(String request, @Nullable SyncService sync, PrintWriter out) {
        if (sync == null) {
            out.println("this appliance runs without a blocklist");
            return EXIT_FAILED;
        }
        String[] f = request.split("\t", -1);
        String action = f.length > 1 ? f[1] : "run";
        String name = f.length > 2 && !f[2].isEmpty() ? f[2] : null;
        return run(sync, action, name, out);
    }

    static int run(SyncService sync, String action, @Nullable String name, PrintWriter out) {
        try {
            List<SyncResult> results = new ArrayList<>();
            switch (action) {
                case "status" -> {
                    status(sync, name, out);
                    return 0;
                }
                case "approve" -> results.add(sync.approve(required(name, "--approve")));
                case "discard" -> results.add(sync.discard(required(name, "--discard")));
                case "purge" -> results.add(sync.purge(required(name, "--purge")));
                case "run" -> {
                    List<SourceSpec> which = name != null
                            ? List.of(sync.source(name)
                                    .orElseThrow(() ->
                                            new IllegalArgumentException("no source named " + name + " (configured: "
                                                    + sync.sources().stream()
                                                            .map(SourceSpec::name)
                                                            .toList() + ")")))
                            : sync.sources().stream()
                                    .filter(SourceSpec::enabled)
                                    .toList();
                    if (which.isEmpty()) {
                        out.println("no sources are configured (sync.sources in the config file)");
                        return 0;
                    }
                    for (SourceSpec s : which) {
                        results.add(sync.syncNow(s.name(), "manual"));
                    }
                }
                default -> throw new IllegalArgumentException("unknown sync action " + action);
            }
            int status = 0;
            for (SyncResult r : results) {
                out.println(r.summary());
                r.rejectedSample().stream().limit(5).forEach(x -> out.println("  refused " + x));
                if (r.outcome() == SyncResult.Outcome.FAILED) {
                    status = EXIT_FAILED;
                } else if (r.outcome() == SyncResult.Outcome.HELD && status == 0) {
                    status = EXIT_HELD;
                }
            }
            return status;
        } catch (IllegalArgumentException | IllegalStateException e) {
            out.println(e.getMessage());
            return EXIT_FAILED;
        }
    }

    private static String required(@Nullable String name, String option) {
        if (name == null) {
            throw new IllegalArgumentException(option + " needs a source name");
        }
        return name;
    }

    private static void status(SyncService sync, @Nullable String only, PrintWriter out) {
        for (SourceSpec s : sync.sourcesByName()) {
            if (only != null && !only.equals(s.name())) {
                continue;
            }
            SourceState st = sync.state(s.name());
            out.printf(
                    Locale.ROOT,
                    "%s (%s, %s, precedence %d%s): last %s%s; next %s%n",
                    s.name(),
                    s.type().name().toLowerCase(Locale.ROOT),
                    s.category(),
                    s.precedence(),
                    s.enabled() ? "" : ", disabled",
                    st.lastOutcome() == null
                            ? "never synced"
                            : st.lastOutcome() + " at " + Instant.ofEpochMilli(st.lastAttemptMillis()),
                    st.lastDetail() == null ? "" : " (" + st.lastDetail() + ")",
                    st.nextAttemptMillis() == 0
                            ? "at start"
                            : Instant.ofEpochMilli(st.nextAttemptMillis()).toString());
            sync.held(s.name())
                    .ifPresent(h -> out.printf(
                            Locale.ROOT,
                            "  HELD since %s: %s (+%d -%d); approve: safenet sync --approve %s; discard: safenet sync --discard %s%n",
                            Instant.ofEpochMilli(h.heldAtMillis()),
                            h.reason(),
                            h.added(),
                            h.removed(),
                            s.name(),
                            s.name()));
        }
        if (only == null) {
            sync.unconfiguredWithEntries()
                    .forEach((name, n) -> out.printf(
                            Locale.ROOT,
                            "%s (no configured source: an import, or a source taken out of the config): %d entries;"
                                    + " safenet sync --purge %s removes them%n",
                            name,
                            n,
                            name));
        }
    }
}
