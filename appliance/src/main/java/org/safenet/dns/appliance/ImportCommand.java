package org.safenet.dns.appliance;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.format.ParseReport;
import org.safenet.dns.blocklist.importer.ListImporter;
import org.safenet.dns.blocklist.importer.SourceAction;
import org.safenet.dns.blocklist.live.ListWriter;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;

/**
 * One import, as the CLI and the control channel both run it: the same work and the same report,
 * whether the store is opened by the command itself or held by a running appliance.
 *
 * @param format list syntax
 * @param category entries' category
 * @param source the source they replace or add to
 * @param replace make the files the source's whole content
 * @param files absolute paths of the list files
 */
record ImportCommand(ListFormat format, String category, String source, boolean replace, List<Path> files) {

    /** How the import's changes are written: to a stopped appliance's store, or live. */
    interface Applier {
        LiveList.Applied apply(BlocklistStore.Changes changes) throws BlocklistStore.StoreException;
    }

    /** Into a store no appliance holds: written with its journal record, made live at the next start. */
    static Applier offline(BlocklistStore store, org.safenet.dns.appliance.config.ApplianceConfig config) {
        ListWriter writer = new ListWriter(
                store,
                config.sync().precedence(),
                System::currentTimeMillis,
                config.distribution().journalVersions());
        return changes -> new LiveList.Applied(writer.write(changes).version(), changes.size(), "written");
    }

    /** Imports through {@code applier} and prints the report to {@code out}; returns what was applied. */
    LiveList.Applied run(BlocklistStore store, Applier applier, List<String> protectedDomains, PrintWriter out)
            throws IOException, BlocklistStore.StoreException {
        ListImporter importer = new ListImporter(store, protectedDomains, System::currentTimeMillis);
        ListImporter.Staged staged = importer.stage(format, category, source, SourceAction.LIST, files);
        ListImporter.Diff d = importer.diff(staged, source, replace);
        LiveList.Applied applied = applier.apply(d.changes());
        for (ParseReport report : staged.reports()) {
            out.println(report);
            report.errors().stream().limit(5).forEach(e -> out.println("  " + e));
        }
        if (staged.rejectedCount() > 0) {
            out.println("refused " + staged.rejectedCount() + " entries:");
            staged.rejected().forEach(x -> out.println("  " + x));
        }
        out.printf(
                "source %s (%s): %d added, %d updated, %d unchanged, %d removed, %d invalid lines; list version %d%n",
                source,
                category,
                d.added(),
                d.updated(),
                d.unchanged(),
                d.removed(),
                staged.invalid(),
                applied.version());
        return applied;
    }

    /** The request line sent over the control channel: tab-separated, one file per field. */
    String encode() {
        StringBuilder sb = new StringBuilder("import\t")
                .append(format.name())
                .append('\t')
                .append(category)
                .append('\t')
                .append(source)
                .append('\t')
                .append(replace);
        for (Path f : files) {
            sb.append('\t').append(f.toAbsolutePath());
        }
        return sb.toString();
    }

    static ImportCommand decode(String line) {
        String[] f = line.split("\t");
        if (f.length < 6 || !f[0].equals("import")) {
            throw new IllegalArgumentException("not an import request");
        }
        List<Path> files = java.util.Arrays.stream(f, 5, f.length).map(Path::of).toList();
        return new ImportCommand(ListFormat.valueOf(f[1]), f[2], f[3], Boolean.parseBoolean(f[4]), files);
    }
}
