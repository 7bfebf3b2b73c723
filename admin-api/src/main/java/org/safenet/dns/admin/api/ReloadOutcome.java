package org.safenet.dns.admin.api;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a configuration reload did.
 *
 * @param applied false if the new file was refused (then nothing changed)
 * @param changed the sections that changed live, e.g. {@code upstream}
 * @param needsRestart keys that changed in the file but only take effect after a restart
 * @param error why the file was refused, naming the key and line
 */
public record ReloadOutcome(
        boolean applied,
        List<String> changed,
        List<String> needsRestart,
        @Nullable String error) {
    public ReloadOutcome {
        changed = List.copyOf(changed);
        needsRestart = List.copyOf(needsRestart);
    }

    public static ReloadOutcome refused(String error) {
        return new ReloadOutcome(false, List.of(), List.of(), error);
    }

    /** One line for the log and the CLI. */
    public String summary() {
        if (!applied) {
            return "reload refused, nothing changed: " + error;
        }
        return "reloaded: "
                + (changed.isEmpty() ? "nothing changed live" : String.join(", ", changed) + " changed live")
                + (needsRestart.isEmpty()
                        ? ""
                        : "; needs a restart to take effect: " + String.join(", ", needsRestart));
    }
}
