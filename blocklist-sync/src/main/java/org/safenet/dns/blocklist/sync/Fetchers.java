package org.safenet.dns.blocklist.sync;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListFormat;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferException;
import org.xbill.DNS.ZoneTransferIn;

/** Gets a source's new content, verified, into files in the staging directory. Nothing here touches the store. */
final class Fetchers {
    private final Path staging;
    private final Map<String, TsigKey> tsigKeys;

    Fetchers(Path staging, Map<String, TsigKey> tsigKeys) {
        this.staging = staging;
        this.tsigKeys = tsigKeys;
    }

    Fetched fetch(SourceSpec spec, SourceState state, byte @Nullable [] zoneCopy)
            throws IOException, InterruptedException {
        Files.createDirectories(staging);
        return switch (spec.type()) {
            case HTTP -> http(spec, state);
            case NATIONAL -> national(spec, state);
            case FILE -> file(spec, state);
            case RPZ -> rpz(spec, state, zoneCopy);
        };
    }

    private Path stagingFile(SourceSpec spec, String what) throws IOException {
        return Files.createTempFile(staging, spec.name() + "-", "-" + what);
    }

    // --- http ---------------------------------------------------------------------------------

    private Fetched http(SourceSpec spec, SourceState state) throws IOException, InterruptedException {
        HttpDownloader http = new HttpDownloader(spec);
        HttpDownloader.Response r = http.get(spec.url(), state.etag(), state.lastModified(), stagingFile(spec, "list"));
        if (r.notModified()) {
            return new Fetched.NotModified("not modified (HTTP 304)");
        }
        Path file = r.file();
        String sha = Signatures.sha256(file);
        if (spec.sha256() != null && !spec.sha256().equalsIgnoreCase(sha)) {
            throw new IOException("checksum mismatch: the list's SHA-256 is " + sha + ", the source expects "
                    + spec.sha256().toLowerCase(Locale.ROOT) + " (a corrupt or tampered download)");
        }
        if (spec.publicKey() != null) {
            URI sigUri = spec.signatureUrl() != null ? spec.signatureUrl() : URI.create(spec.url() + ".sig");
            HttpDownloader.Response sig = http.get(sigUri, null, null, stagingFile(spec, "sig"));
            if (!Signatures.verify(Signatures.publicKey(spec.publicKey()), file, Files.readAllBytes(sig.file()))) {
                throw new IOException("bad signature: " + sigUri
                        + " is not a valid Ed25519 signature of the list by the configured publicKey");
            }
        }
        if (sha.equals(state.contentSha256())) {
            return new Fetched.NotModified(
                    "same content as the last applied list (SHA-256 " + sha.substring(0, 12) + ")");
        }
        return new Fetched.Full(
                List.of(file),
                spec.format(),
                state.withContent(r.etag(), r.lastModified(), -1, sha),
                "downloaded " + Files.size(file) + " bytes",
                null,
                null);
    }

    // --- national -----------------------------------------------------------------------------

    private Fetched national(SourceSpec spec, SourceState state) throws IOException, InterruptedException {
        HttpDownloader http = new HttpDownloader(spec);
        URI manifestUri = spec.url();
        HttpDownloader.Response m =
                http.get(manifestUri, state.etag(), state.lastModified(), stagingFile(spec, "manifest.json"));
        if (m.notModified()) {
            return new Fetched.NotModified("manifest not modified (HTTP 304)");
        }
        Path manifestFile = m.file();
        URI sigUri = URI.create(manifestUri + ".sig");
        HttpDownloader.Response sig = http.get(sigUri, null, null, stagingFile(spec, "manifest.sig"));
        PublicKey key = Signatures.publicKey(spec.publicKey());
        if (!Signatures.verify(key, manifestFile, Files.readAllBytes(sig.file()))) {
            throw new IOException("bad signature: " + sigUri + " is not a valid Ed25519 signature of the manifest "
                    + "by the configured publicKey");
        }
        NationalManifest manifest = NationalManifest.parse(Files.readAllBytes(manifestFile), manifestUri);
        if (manifest.serial() < state.serial()) {
            throw new IOException("the manifest's serial " + manifest.serial() + " is older than the applied "
                    + state.serial() + " (a replayed or rolled-back feed); nothing applied");
        }
        if (manifest.serial() == state.serial()) {
            return new Fetched.NotModified("serial " + manifest.serial() + " already applied");
        }
        SourceState next = state.withContent(m.etag(), m.lastModified(), manifest.serial(), null);
        NationalManifest.Diff diff = manifest.diffFrom(state.serial());
        if (diff != null) {
            Path diffFile = stagingFile(spec, "diff");
            http.get(diff.url(), null, null, diffFile);
            checkSha(diff.url(), diffFile, diff.sha256());
            Path adds = stagingFile(spec, "adds");
            Path removes = stagingFile(spec, "removes");
            splitDiff(diffFile, adds, removes);
            return new Fetched.Delta(
                    adds,
                    removes,
                    manifest.format(),
                    next,
                    "serial " + state.serial() + " -> " + manifest.serial() + " by diff",
                    manifest.entries());
        }
        Path list = stagingFile(spec, "list");
        http.get(manifest.listUrl(), null, null, list);
        checkSha(manifest.listUrl(), list, manifest.listSha256());
        return new Fetched.Full(
                List.of(list),
                manifest.format(),
                next,
                "serial " + (state.serial() < 0 ? "none" : state.serial()) + " -> " + manifest.serial() + ", full list",
                null,
                null);
    }

    private static void checkSha(URI uri, Path file, String expected) throws IOException {
        String sha = Signatures.sha256(file);
        if (!sha.equalsIgnoreCase(expected)) {
            throw new IOException("checksum mismatch: " + uri + " has SHA-256 " + sha + ", the signed manifest says "
                    + expected + "; nothing applied");
        }
    }

    /** A diff file: {@code +line} adds, {@code -line} removes, lines in the list's format; {@code #} comments. */
    static void splitDiff(Path diff, Path adds, Path removes) throws IOException {
        try (var in = org.safenet.dns.blocklist.importer.ListImporter.open(diff);
                var a = Files.newBufferedWriter(adds);
                var r = Files.newBufferedWriter(removes)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank() || line.startsWith("#")) {
                    a.newLine(); // keep line numbers aligned for error reports
                    r.newLine();
                    continue;
                }
                char op = line.charAt(0);
                if (op != '+' && op != '-') {
                    throw new IOException(diff.getFileName() + " line " + n + ": a diff line starts with + or -");
                }
                (op == '+' ? a : r).write(line.substring(1));
                (op == '+' ? r : a).write("");
                a.newLine();
                r.newLine();
            }
        }
    }

    // --- file ---------------------------------------------------------------------------------

    private Fetched file(SourceSpec spec, SourceState state) throws IOException {
        Path path = spec.path();
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": no such file");
        }
        // Copy first, so an operator rewriting the file mid-read cannot give us half of each version.
        Path copy = stagingFile(spec, "list");
        Files.copy(path, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String sha = Signatures.sha256(copy);
        if (sha.equals(state.contentSha256())) {
            return new Fetched.NotModified("file unchanged");
        }
        return new Fetched.Full(
                List.of(copy), spec.format(), state.withContent(null, null, -1, sha), "read " + path, null, null);
    }

    // --- rpz ----------------------------------------------------------------------------------

    private Fetched rpz(SourceSpec spec, SourceState state, byte @Nullable [] zoneCopy) throws IOException {
        Name zone = Name.fromString(spec.zone(), Name.root);
        TSIG tsig = null;
        if (spec.tsigKey() != null) {
            TsigKey key = tsigKeys.get(spec.tsigKey());
            if (key == null) {
                throw new IOException(
                        "source " + spec.name() + ": no TSIG key named " + spec.tsigKey() + " in sync.tsigKeys");
            }
            tsig = key.tsig();
        }
        InetSocketAddress primary = spec.primary().toSocketAddress();
        boolean incremental = state.serial() >= 0 && zoneCopy != null;
        ZoneTransferIn xfr = incremental
                ? ZoneTransferIn.newIXFR(zone, state.serial(), true, primary, tsig)
                : ZoneTransferIn.newAXFR(zone, primary, tsig);
        xfr.setTimeout(spec.rails().timeout());
        try {
            xfr.run();
        } catch (ZoneTransferException e) {
            throw new IOException(
                    "zone transfer of " + zone + " from " + spec.primary() + " failed: " + e.getMessage(), e);
        }
        if (xfr.isCurrent()) {
            return new Fetched.NotModified("serial " + state.serial() + " is current");
        }
        Set<String> records;
        long serial;
        String how;
        java.time.Duration refresh = null;
        if (xfr.isAXFR()) {
            records = new LinkedHashSet<>();
            serial = -1;
            for (Record r : xfr.getAXFR()) {
                if (r instanceof SOARecord soa) {
                    serial = soa.getSerial();
                    refresh = java.time.Duration.ofSeconds(soa.getRefresh());
                } else {
                    addRecord(records, r, zone);
                }
            }
            how = "AXFR serial " + serial + ", " + records.size() + " records";
        } else {
            records = readZoneCopy(zoneCopy);
            serial = state.serial();
            int changed = 0;
            for (ZoneTransferIn.Delta d : xfr.getIXFR()) {
                for (Record r : d.deletes) {
                    if (!(r instanceof SOARecord) && !records.remove(text(r, zone))) {
                        throw new IOException("IXFR from " + spec.primary() + " deletes " + text(r, zone)
                                + ", which our copy of serial " + d.start
                                + " does not have; the next sync does a full AXFR");
                    }
                    changed++;
                }
                for (Record r : d.adds) {
                    if (r instanceof SOARecord soa) {
                        refresh = java.time.Duration.ofSeconds(soa.getRefresh());
                    } else {
                        addRecord(records, r, zone);
                        changed++;
                    }
                }
                serial = d.end;
            }
            how = "IXFR serial " + state.serial() + " -> " + serial + ", " + changed + " record changes";
        }
        if (serial < 0) {
            throw new IOException("the transfer of " + zone + " had no SOA record");
        }
        Path file = stagingFile(spec, "zone");
        byte[] copy = writeZone(records, file);
        return new Fetched.Full(
                List.of(file), ListFormat.RPZ, state.withContent(null, null, serial, null), how, copy, refresh);
    }

    private static void addRecord(Set<String> records, Record r, Name zone) {
        if (r.getType() != Type.NS) {
            records.add(text(r, zone));
        }
    }

    /** One record as zone-file text with the owner relative to the zone: the zone copy's line format. */
    static String text(Record r, Name zone) {
        String owner = r.getName().relativize(zone).toString().toLowerCase(Locale.ROOT);
        return owner + " " + Type.string(r.getType()) + " " + r.rdataToString().toLowerCase(Locale.ROOT);
    }

    private static Set<String> readZoneCopy(byte @Nullable [] copy) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        if (copy == null) {
            return out;
        }
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(copy))) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isEmpty()) {
                    out.add(line);
                }
            }
        }
        return out;
    }

    /** Writes the records as a zone file for the parser; returns them gzipped, as the zone copy. */
    private static byte[] writeZone(Set<String> records, Path file) throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gz);
                var w = Files.newBufferedWriter(file)) {
            for (String r : records) {
                byte[] line = (r + "\n").getBytes(StandardCharsets.UTF_8);
                out.write(line);
                w.write(r);
                w.newLine();
            }
        }
        return gz.toByteArray();
    }
}
