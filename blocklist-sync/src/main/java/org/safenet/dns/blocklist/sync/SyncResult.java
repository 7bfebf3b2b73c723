package org.safenet.dns.blocklist.sync;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * One sync attempt, as recorded in the store (the last {@code HISTORY_PER_SOURCE} per source) and
 * shown by {@code safenet sync} and the admin API.
 *
 * @param source the source's name
 * @param trigger what started it: schedule, manual, notify, file-change, approve
 * @param startMillis when it started
 * @param endMillis when it ended
 * @param outcome what happened
 * @param added entries the source gained
 * @param updated entries whose meaning changed
 * @param removed entries the source lost
 * @param rejected entries refused by the safety rails (public suffixes, protected domains)
 * @param invalid list lines that could not be read
 * @param versionBefore the list version before
 * @param versionAfter the list version after (equal if nothing was applied)
 * @param detail one line saying why, for the operator
 * @param rejectedSample the first refused entries with the reason
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SyncResult(
        String source,
        String trigger,
        long startMillis,
        long endMillis,
        Outcome outcome,
        int added,
        int updated,
        int removed,
        int rejected,
        int invalid,
        long versionBefore,
        long versionAfter,
        String detail,
        List<String> rejectedSample) {

    /** How an attempt ended. */
    public enum Outcome {
        /** Changes were applied; a new list version is live. */
        APPLIED,
        /** The source had nothing new (304, same serial, same file, or no entry changed). */
        UNCHANGED,
        /** The update passed every check but a ratio rail: kept aside until an operator approves it. */
        HELD,
        /** Download, verification or parsing failed; nothing changed, the last good list is served. */
        FAILED,
        /** An operator discarded a held update. */
        DISCARDED
    }

    public SyncResult {
        rejectedSample = List.copyOf(rejectedSample);
    }

    /** One line for logs and the CLI. */
    public String summary() {
        return String.format(
                "%s %s: %s, %d added, %d updated, %d removed, %d refused, %d invalid lines; list version %d -> %d; %s (%d ms)",
                source,
                trigger,
                outcome,
                added,
                updated,
                removed,
                rejected,
                invalid,
                versionBefore,
                versionAfter,
                detail,
                endMillis - startMillis);
    }
}
