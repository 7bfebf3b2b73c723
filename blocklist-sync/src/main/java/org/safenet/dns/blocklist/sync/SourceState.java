package org.safenet.dns.blocklist.sync;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import org.jspecify.annotations.Nullable;

/**
 * What the appliance remembers about a source between syncs (stored as JSON in the store's {@code
 * sources} family, written in the same batch as the entries it describes).
 *
 * @param etag the list's ETag from the last applied download
 * @param lastModified its Last-Modified
 * @param serial national: the manifest serial; rpz: the SOA serial; -1 if none yet
 * @param contentSha256 file: the SHA-256 of the last applied file
 * @param consecutiveFailures failed attempts since the last success (drives the back-off)
 * @param lastAttemptMillis when the last attempt started
 * @param lastSuccessMillis when an attempt last ended applied or unchanged
 * @param lastOutcome outcome of the last attempt
 * @param lastDetail its one-line explanation
 * @param nextAttemptMillis when the scheduler tries next
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SourceState(
        @Nullable String etag,
        @Nullable String lastModified,
        long serial,
        @Nullable String contentSha256,
        int consecutiveFailures,
        long lastAttemptMillis,
        long lastSuccessMillis,
        @Nullable String lastOutcome,
        @Nullable String lastDetail,
        long nextAttemptMillis) {

    public static SourceState initial() {
        return new SourceState(null, null, -1, null, 0, 0, 0, null, null, 0);
    }

    SourceState withContent(@Nullable String etag, @Nullable String lastModified, long serial, @Nullable String sha) {
        return new SourceState(
                etag,
                lastModified,
                serial,
                sha,
                consecutiveFailures,
                lastAttemptMillis,
                lastSuccessMillis,
                lastOutcome,
                lastDetail,
                nextAttemptMillis);
    }

    SourceState afterAttempt(SyncResult r, long nextAttempt) {
        boolean failed = r.outcome() == SyncResult.Outcome.FAILED;
        boolean ok = r.outcome() == SyncResult.Outcome.APPLIED || r.outcome() == SyncResult.Outcome.UNCHANGED;
        return new SourceState(
                etag,
                lastModified,
                serial,
                contentSha256,
                failed ? consecutiveFailures + 1 : 0,
                r.startMillis(),
                ok ? r.endMillis() : lastSuccessMillis,
                r.outcome().name(),
                r.detail(),
                nextAttempt);
    }
}
