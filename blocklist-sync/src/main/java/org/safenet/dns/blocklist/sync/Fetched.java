package org.safenet.dns.blocklist.sync;

import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListFormat;

/** What fetching a source produced, before parsing. */
sealed interface Fetched {
    /** Nothing new: 304, the same serial, the same file. */
    record NotModified(String detail) implements Fetched {}

    /**
     * The source's whole new content.
     *
     * @param zoneCopy rpz: the zone's records as text, kept so the next IXFR can be applied to it
     * @param soaRefresh rpz: the zone's SOA refresh interval (the next check is due then at the latest)
     */
    record Full(
            List<Path> files,
            ListFormat format,
            SourceState next,
            String detail,
            byte @Nullable [] zoneCopy,
            java.time.@Nullable Duration soaRefresh)
            implements Fetched {}

    /** Changes against the content at the stored serial (national feed diffs). */
    record Delta(Path adds, Path removes, ListFormat format, SourceState next, String detail, long expectedSize)
            implements Fetched {}
}
