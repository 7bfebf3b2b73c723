package org.safenet.dns.resolver.dnssec;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;
import org.xbill.DNS.dnssec.ValidatingResolver;

/**
 * The keys validation starts from: IANA's root anchors built in, plus what {@code
 * dnssec.trustAnchors} adds (files or DS/DNSKEY lines in zone-file syntax). An anchor configured
 * for the root replaces the built-in one (a test hierarchy, a private root).
 */
public final class TrustAnchors {
    private final String text;
    private final int count;
    private final boolean builtInRoot;

    private TrustAnchors(String text, int count, boolean builtInRoot) {
        this.text = text;
        this.count = count;
        this.builtInRoot = builtInRoot;
    }

    /** DS and DNSKEY records in effect. */
    public int count() {
        return count;
    }

    /** Whether IANA's root anchors are among them. */
    public boolean builtInRoot() {
        return builtInRoot;
    }

    /**
     * Reads {@code entries}: each a file (an absolute path, or one that exists) of DS/DNSKEY records
     * in zone-file syntax, or one such record.
     *
     * @throws IllegalArgumentException naming the entry that cannot be read or holds something else
     */
    public static TrustAnchors of(List<String> entries) {
        StringBuilder configured = new StringBuilder();
        List<Record> records = new ArrayList<>();
        for (String entry : entries) {
            String text = entry.strip();
            if (text.isEmpty()) {
                continue;
            }
            Path file = Path.of(text.split("\\s")[0]);
            boolean isFile = !text.contains(" ") && (text.startsWith("/") || Files.exists(file));
            if (isFile) {
                try {
                    text = Files.readString(file, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new IllegalArgumentException("dnssec.trustAnchors: " + entry + " cannot be read: " + e, e);
                }
            }
            List<Record> read = parse(text, entry);
            if (read.isEmpty()) {
                throw new IllegalArgumentException("dnssec.trustAnchors: " + entry + " holds no DS or DNSKEY record");
            }
            records.addAll(read);
            configured.append(text).append('\n');
        }
        boolean ownRoot = records.stream().anyMatch(r -> r.getName().equals(Name.root));
        String all = (ownRoot ? "" : builtIn()) + "\n" + configured;
        int count = records.size()
                + (ownRoot ? 0 : parse(builtIn(), "built-in root anchors").size());
        return new TrustAnchors(all, count, !ownRoot);
    }

    private static List<Record> parse(String text, String what) {
        List<Record> out = new ArrayList<>();
        try (Master master =
                new Master(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), Name.root, 3600)) {
            Record r;
            while ((r = master.nextRecord()) != null) {
                if (r.getType() != Type.DS && r.getType() != Type.DNSKEY) {
                    throw new IllegalArgumentException("dnssec.trustAnchors: " + what + ": " + r.getName() + " "
                            + Type.string(r.getType()) + " is not a DS or DNSKEY record");
                }
                out.add(r);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("dnssec.trustAnchors: " + what + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static String builtIn() {
        try (InputStream in = TrustAnchors.class.getResourceAsStream("root.ds")) {
            if (in == null) {
                throw new IllegalStateException("root.ds is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loads these anchors into {@code validator}. */
    public void loadInto(ValidatingResolver validator) {
        try {
            validator.loadTrustAnchors(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IllegalStateException("trust anchors checked at load did not load", e);
        }
    }
}
