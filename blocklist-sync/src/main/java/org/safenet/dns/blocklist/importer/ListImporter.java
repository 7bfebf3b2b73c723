package org.safenet.dns.blocklist.importer;

import com.google.common.net.InternetDomainName;
import com.google.thirdparty.publicsuffix.PublicSuffixPatterns;
import com.google.thirdparty.publicsuffix.PublicSuffixType;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListEntry;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.format.ListParser;
import org.safenet.dns.blocklist.format.LocalData;
import org.safenet.dns.blocklist.format.ParseReport;
import org.safenet.dns.blocklist.format.RpzMeta;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.ReversedName;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.tukaani.xz.XZInputStream;

/**
 * Imports list files into the store as one source's entries, in one atomic change: parse (bad
 * lines counted, never fatal), refuse entries for protected domains and public suffixes, diff
 * against what the source had, apply. With {@code replace} the files become the source's whole
 * content (entries gone from them are removed). A file with no valid entry is an error and
 * changes nothing.
 */
public final class ListImporter {
    private final BlocklistStore store;
    private final List<String> protectedReversed;
    private final LongSupplier clockMillis;

    /** @param protectedDomains names that no entry may cover, e.g. {@code gov.vn} */
    public ListImporter(BlocklistStore store, List<String> protectedDomains, LongSupplier clockMillis) {
        this.store = store;
        this.protectedReversed = protectedDomains.stream()
                .map(d -> ReversedName.fromWire(org.safenet.dns.resolver.wire.DnsNames.toWire(d)))
                .toList();
        this.clockMillis = clockMillis;
    }

    /** What an import did. {@code rejected} lists the first refused entries with the reason. */
    public record Result(
            int added,
            int updated,
            int unchanged,
            int removed,
            int invalid,
            List<String> rejected,
            int rejectedCount,
            long version,
            List<ParseReport> reports,
            BlocklistStore.Changes changes) {}

    public Result importFiles(ListFormat format, String category, String source, boolean replace, List<Path> files)
            throws IOException, BlocklistStore.StoreException {
        Staged staged = stage(format, category, source, SourceAction.LIST, files);
        Diff diff = diff(staged, source, replace);
        long version = diff.changes().size() == 0 ? store.listVersion() : store.apply(diff.changes());
        return new Result(
                diff.added(),
                diff.updated(),
                diff.unchanged(),
                diff.removed(),
                staged.invalid(),
                staged.rejected(),
                staged.rejectedCount(),
                version,
                staged.reports(),
                diff.changes());
    }

    /**
     * A list parsed and checked, not yet compared with the store. Keys are {@code reversed/MATCH}
     * (for ips, {@code prefix/EXACT}).
     */
    public record Staged(
            Map<String, StoredEntry> block,
            Map<String, StoredEntry> allow,
            Map<String, StoredEntry> ips,
            List<ParseReport> reports,
            List<String> rejected,
            int rejectedCount,
            int invalid,
            int publicSuffixTriggers) {
        public int size() {
            return block.size() + allow.size() + ips.size();
        }
    }

    /** The changes that make a source's entries equal to (or, without replace, include) a staged list. */
    public record Diff(int added, int updated, int unchanged, int removed, BlocklistStore.Changes changes) {}

    /**
     * Parses {@code files} (bad lines counted, never fatal; a file with no valid entry is an
     * error), refusing entries for protected domains and public suffixes.
     */
    public Staged stage(ListFormat format, String category, String source, SourceAction sourceAction, List<Path> files)
            throws IOException {
        return stage(format, category, source, sourceAction, files, false);
    }

    /** As {@link #stage(ListFormat, String, String, SourceAction, List)}; {@code allowEmpty}: a file without entries is fine (a diff's half). */
    public Staged stage(
            ListFormat format,
            String category,
            String source,
            SourceAction sourceAction,
            List<Path> files,
            boolean allowEmpty)
            throws IOException {
        return stage(format, category, source, sourceAction, files, allowEmpty, false);
    }

    /**
     * As {@link #stage(ListFormat, String, String, SourceAction, List, boolean)}; {@code
     * publicSuffixes}: the source may list a public suffix or a single label (an RPZ trigger on
     * {@code zip} or {@code *.zip}), which the rail refuses otherwise; counted in {@link
     * Staged#publicSuffixTriggers()}. Protected domains stay refused.
     */
    public Staged stage(
            ListFormat format,
            String category,
            String source,
            SourceAction sourceAction,
            List<Path> files,
            boolean allowEmpty,
            boolean publicSuffixes)
            throws IOException {
        Categories.requireKnown(category);
        long now = clockMillis.getAsLong();
        Map<String, StoredEntry> block = new LinkedHashMap<>();
        Map<String, StoredEntry> allow = new LinkedHashMap<>();
        Map<String, StoredEntry> ips = new LinkedHashMap<>();
        List<ParseReport> reports = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        Map<String, RpzMeta> metas = new HashMap<>();
        // A zone has a few distinct (category, source) pairs for a million triggers: one instance each.
        Map<RpzMeta, RpzMeta> distinctMetas = new HashMap<>();
        int[] rejectedCount = {0};
        int[] suffixes = {0};
        int invalid = 0;
        for (Path file : files) {
            try (BufferedReader r = open(file)) {
                ParseReport report = ListParser.parse(format, r, file.toString(), parsed -> {
                    RpzMeta meta = parsed.meta();
                    if (meta != null) {
                        // applied once the whole zone is read
                        metas.put(metaKey(parsed), distinctMetas.computeIfAbsent(meta, m -> m));
                        return;
                    }
                    ListEntry e = sourceAction.apply(parsed);
                    if (e == null) {
                        return; // disabled: read and counted, not applied
                    }
                    if (e.name() == null) {
                        if (e.ipTrigger() != null) {
                            String ipKey = ListEntry.ipKey(e.ipTrigger(), e.clientIp());
                            String conflict = add(ips, stored(ipKey, e, category, source, file, now));
                            if (conflict != null) {
                                reject(rejected, rejectedCount, where(file, e.line()) + " " + ipKey + ": " + conflict);
                            }
                        }
                        return;
                    }
                    String reversed = ReversedName.fromWire(e.name());
                    String refusal = refusal(reversed);
                    if (refusal != null && publicSuffixes && !refusal.startsWith(PROTECTED)) {
                        refusal = null;
                        suffixes[0]++;
                    }
                    if (refusal != null) {
                        reject(
                                rejected,
                                rejectedCount,
                                where(file, e.line()) + " " + dotted(reversed) + ": " + refusal);
                        return;
                    }
                    StoredEntry stored = stored(reversed, e, category, source, file, now);
                    String conflict = add(e.action() == Action.ALLOW ? allow : block, stored);
                    if (conflict != null) {
                        reject(
                                rejected,
                                rejectedCount,
                                where(file, e.line()) + " " + dotted(reversed) + ": " + conflict);
                    }
                });
                if (report.entries() == 0 && !allowEmpty) {
                    throw new IOException(displayName(file) + ": no valid entry in " + report.lines() + " lines ("
                            + report.invalid() + " invalid " + report.invalidByReason() + "); nothing was imported");
                }
                invalid += report.invalid();
                reports.add(report);
            }
        }
        applyMeta(metas, block, ips, sourceAction);
        mergeSubtrees(block);
        mergeSubtrees(allow);
        return new Staged(block, allow, ips, reports, List.copyOf(rejected), rejectedCount[0], invalid, suffixes[0]);
    }

    private static String metaKey(ListEntry e) {
        CidrPrefix ip = e.ipTrigger();
        byte[] name = e.name();
        if (ip != null || name == null) {
            return "ip " + ListEntry.ipKey(Objects.requireNonNull(ip), e.clientIp()) + "/" + e.match();
        }
        return ReversedName.fromWire(name) + "/" + e.match();
    }

    /**
     * A SafeNet DNS primary's metadata ({@link RpzMeta}) on the triggers it describes: their
     * category (if this appliance knows it; else the source's stays), their origin, and with the
     * source's action {@code list} the category's action for what RPZ wrote as {@code CNAME .}.
     * Metadata for no trigger in the zone is ignored.
     */
    private static void applyMeta(
            Map<String, RpzMeta> metas,
            Map<String, StoredEntry> block,
            Map<String, StoredEntry> ips,
            SourceAction sourceAction) {
        if (metas.isEmpty()) {
            return;
        }
        for (Map.Entry<String, RpzMeta> m : metas.entrySet()) {
            boolean ip = m.getKey().startsWith("ip ");
            Map<String, StoredEntry> side = ip ? ips : block;
            String key = ip ? m.getKey().substring(3) : m.getKey();
            StoredEntry e = side.get(key);
            if (e == null) {
                continue;
            }
            RpzMeta meta = m.getValue();
            side.put(key, withMeta(e, meta, sourceAction));
            // A subtree is "name" and "*.name" with one metadata record, at "name".
            String descendants = e.reversedName() + "/" + ListEntry.Match.DESCENDANTS;
            StoredEntry below = side.get(descendants);
            if (!ip
                    && e.match() == ListEntry.Match.EXACT
                    && below != null
                    && !metas.containsKey(descendants)
                    && below.action() == e.action()
                    && Objects.equals(below.data(), e.data())) {
                side.put(descendants, withMeta(below, meta, sourceAction));
            }
        }
    }

    private static StoredEntry withMeta(StoredEntry e, RpzMeta meta, SourceAction sourceAction) {
        String category = Categories.KNOWN.contains(meta.category()) ? meta.category() : e.category();
        Action action =
                meta.byCategory() && e.action() == Action.NXDOMAIN && sourceAction.kind() == SourceAction.Kind.LIST
                        ? Action.BLOCK
                        : e.action();
        return e.withMeta(category, action, meta.source());
    }

    /**
     * RPZ says "a name and everything below it" with two records, {@code name} and {@code *.name};
     * when both carry the same policy they are one subtree entry, as a domain list would give (so
     * a list exported as RPZ and read back is the same list).
     */
    private static void mergeSubtrees(Map<String, StoredEntry> side) {
        List<StoredEntry> merged = new ArrayList<>();
        for (StoredEntry d : side.values()) {
            if (d.match() != ListEntry.Match.DESCENDANTS) {
                continue;
            }
            StoredEntry exact = side.get(d.reversedName() + "/" + ListEntry.Match.EXACT);
            if (exact != null
                    && sameMeaning(exact, d)
                    && !side.containsKey(d.reversedName() + "/" + ListEntry.Match.SUBTREE)) {
                merged.add(d);
            }
        }
        for (StoredEntry d : merged) {
            side.remove(d.reversedName() + "/" + ListEntry.Match.DESCENDANTS);
            side.remove(d.reversedName() + "/" + ListEntry.Match.EXACT);
            StoredEntry subtree = new StoredEntry(
                    d.reversedName(),
                    ListEntry.Match.SUBTREE,
                    d.action(),
                    d.category(),
                    d.source(),
                    d.reason(),
                    d.addedMillis(),
                    d.expiresMillis(),
                    d.data(),
                    d.origin());
            side.put(key(subtree), subtree);
        }
    }

    /**
     * Compares {@code staged} with the source's entries in the store; nothing is written. Streams
     * the source's stored entries (one range scan of the by-source family) against the staged
     * maps instead of loading them too: replacing a 1.46M-entry source then needs one list's worth
     * of heap, not two. <b>Consumes</b> the staged maps (what is left in them afterwards was new).
     */
    public Diff diff(Staged staged, String source, boolean replace) {
        BlocklistStore.Changes changes = new BlocklistStore.Changes();
        int[] counts = new int[4]; // added, updated, unchanged, removed
        diff(staged.block(), source, BlocklistStore.SIDE_BLOCK, replace, changes, counts);
        diff(staged.allow(), source, BlocklistStore.SIDE_ALLOW, replace, changes, counts);
        diff(staged.ips(), source, BlocklistStore.SIDE_IP, replace, changes, counts);
        changes.counted(source, (long) counts[0] - counts[3]);
        return new Diff(counts[0], counts[1], counts[2], counts[3], changes);
    }

    private void diff(
            Map<String, StoredEntry> incoming,
            String source,
            int side,
            boolean replace,
            BlocklistStore.Changes changes,
            int[] counts) {
        store.forEachOfSource(source, side, before -> {
            StoredEntry now = incoming.remove(key(before));
            if (now == null) {
                if (replace) {
                    counts[3]++;
                    switch (side) {
                        case BlocklistStore.SIDE_BLOCK ->
                            changes.removeBlock(before.reversedName(), before.match(), before.source());
                        case BlocklistStore.SIDE_ALLOW ->
                            changes.removeAllow(before.reversedName(), before.match(), before.source());
                        default -> changes.removeIp(before.reversedName(), before.source());
                    }
                }
            } else if (sameMeaning(before, now)) {
                counts[2]++;
            } else {
                counts[1]++;
                put(changes, side, now);
            }
        });
        for (StoredEntry now : incoming.values()) {
            counts[0]++;
            put(changes, side, now);
        }
        incoming.clear();
    }

    private static void put(BlocklistStore.Changes changes, int side, StoredEntry e) {
        switch (side) {
            case BlocklistStore.SIDE_BLOCK -> changes.block(e);
            case BlocklistStore.SIDE_ALLOW -> changes.allow(e);
            default -> changes.ip(e);
        }
    }

    /** A file's name for reports; the sync's staging copies are "the list" (their names mean nothing). */
    private static String displayName(Path file) {
        return where(file, 0).startsWith("line ")
                ? "the list"
                : file.getFileName().toString();
    }

    /** A line's place for reports: "file:N", or "line N" for the sync's staging copies (their names mean nothing). */
    private static String where(Path file, int line) {
        return file.getParent() != null
                        && file.getParent().getFileName() != null
                        && file.getParent().getFileName().toString().equals("staging")
                ? "line " + line
                : file.getFileName() + ":" + line;
    }

    /** The entry as stored: keyed by {@code key} (a reversed name, or an rpz-ip prefix). */
    private static StoredEntry stored(String key, ListEntry e, String category, String source, Path file, long now) {
        return new StoredEntry(key, e.match(), e.action(), category, source, where(file, e.line()), now, 0, e.data());
    }

    /**
     * Adds {@code e} to {@code side}: RPZ local data for a trigger that has some already is one
     * entry with all the records (RPZ's local data is an RRset per type); a repeat of the same
     * policy changes nothing; another policy for the same trigger is refused (RPZ gives a trigger
     * one policy, and a CNAME cannot stand beside other data): returns why, else null.
     */
    private static @Nullable String add(Map<String, StoredEntry> side, StoredEntry e) {
        StoredEntry earlier = side.get(key(e));
        if (earlier == null) {
            side.put(key(e), e);
            return null;
        }
        if (earlier.action() == Action.LOCAL_DATA && e.action() == Action.LOCAL_DATA) {
            String merged = LocalData.merge(String.valueOf(earlier.data()), String.valueOf(e.data()));
            side.put(
                    key(e),
                    new StoredEntry(
                            earlier.reversedName(),
                            earlier.match(),
                            Action.LOCAL_DATA,
                            earlier.category(),
                            earlier.source(),
                            earlier.reason(),
                            earlier.addedMillis(),
                            earlier.expiresMillis(),
                            merged));
            return null;
        }
        if (sameMeaning(earlier, e)) {
            return null;
        }
        return "a second policy for the trigger of " + earlier.reason() + " (" + describe(earlier) + "): one policy"
                + " per trigger, the first is kept";
    }

    private static String describe(StoredEntry e) {
        return switch (e.action()) {
            case CNAME -> "CNAME " + e.data();
            case LOCAL_DATA, LOCAL_A, LOCAL_AAAA -> "local data";
            default -> e.action().name().toLowerCase(Locale.ROOT).replace('_', '-');
        };
    }

    /** Same effect on answers (the reason and time it was added do not count). */
    public static boolean sameMeaning(StoredEntry a, StoredEntry b) {
        return a.action() == b.action()
                && a.category().equals(b.category())
                && a.origin().equals(b.origin())
                && Objects.equals(a.data(), b.data())
                && a.expiresMillis() == b.expiresMillis();
    }

    /** The key of an entry in {@link Staged}'s maps. */
    public static String key(StoredEntry e) {
        return e.reversedName() + "/" + e.match();
    }

    /** Why an entry for {@code reversed} may not be stored, or null if it may. */
    private static final String PROTECTED = "protected domain ";

    public @Nullable String refusal(String reversed) {
        for (String p : protectedReversed) {
            if (reversed.equals(p) || reversed.startsWith(p + ".")) {
                return PROTECTED + dotted(p);
            }
        }
        String name = dotted(reversed);
        name = name.substring(0, name.length() - 1);
        if (name.indexOf('.') < 0) {
            return "a single label (a top-level domain or a host name)";
        }
        try {
            InternetDomainName domain = InternetDomainName.from(name);
            if (domain.isRegistrySuffix() || (domain.isPublicSuffix() && !underPrivateWildcard(name))) {
                return "a public suffix (blocking it would block every site under it)";
            }
            if (PublicSuffixPatterns.UNDER.containsKey(name)) {
                return "a hosting domain whose every subdomain is a separate site (*." + name
                        + " in the Public Suffix List): list the sites instead";
            }
        } catch (IllegalArgumentException notAHostName) {
            // underscores and the like: not in the PSL's grammar, so not a public suffix either
        }
        return null;
    }

    /**
     * Whether {@code name} is a public suffix only through a private-section wildcard rule such as
     * {@code *.localto.net}: one tunnel or hosting customer's name, which phishing lists rightly
     * list (seen in the real lists: thousands of {@code <id>.localto.net}). Blocking it blocks that
     * customer's sites only, unlike {@code github.io} or an ICANN suffix, which stay refused.
     */
    private static boolean underPrivateWildcard(String name) {
        int dot = name.indexOf('.');
        return dot > 0
                && !PublicSuffixPatterns.EXACT.containsKey(name)
                && PublicSuffixPatterns.UNDER.get(name.substring(dot + 1)) == PublicSuffixType.PRIVATE;
    }

    private static void reject(List<String> sample, int[] count, String why) {
        count[0]++;
        if (sample.size() < 20) {
            sample.add(why);
        }
    }

    public static String dotted(String reversed) {
        return org.safenet.dns.resolver.wire.DnsNames.toText(
                ReversedName.toWire(reversed), 0, ReversedName.toWire(reversed).length);
    }

    /** Opens a list file, gunzipping {@code .gz} and unpacking {@code .xz} by their magic bytes. */
    public static BufferedReader open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file));
        in.mark(6);
        byte[] magic = in.readNBytes(6);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xFF) == 0x1F && (magic[1] & 0xFF) == 0x8B) {
            in = new GZIPInputStream(in);
        } else if (magic.length == 6
                && (magic[0] & 0xFF) == 0xFD
                && magic[1] == '7'
                && magic[2] == 'z'
                && magic[3] == 'X'
                && magic[4] == 'Z'
                && magic[5] == 0) {
            in = new XZInputStream(in);
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
}
