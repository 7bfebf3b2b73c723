package org.safenet.dns.appliance;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.format.ParseReport;
import org.safenet.dns.blocklist.importer.ListImporter;
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

    /** Imports into {@code store} and prints the report to {@code out}; returns the result. */
    ListImporter.Result run(BlocklistStore store, List<String> protectedDomains, PrintWriter out)
            throws IOException, BlocklistStore.StoreException {
        ListImporter.Result r = new ListImporter(store, protectedDomains, System::currentTimeMillis)
                .importFiles(format, category, source, replace, files);
        for (ParseReport report : r.reports()) {
            out.println(report);
            report.errors().stream().limit(5).forEach(e -> out.println("  " + e));
        }
        if (r.rejectedCount() > 0) {
            out.println("refused " + r.rejectedCount() + " entries:");
            r.rejected().forEach(x -> out.println("  " + x));
        }
        out.printf(
                "source %s (%s): %d added, %d updated, %d unchanged, %d removed, %d invalid lines; list version %d%n",
                source, category, r.added(), r.updated(), r.unchanged(), r.removed(), r.invalid(), r.version());
        return r;
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
