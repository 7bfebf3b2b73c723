package org.safenet.dns.bench.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Real names for benchmarks, from ../shared/data (never copied into the repository). */
public final class BenchData {
    private BenchData() {}

    /** The first {@code n} names of shared/data/derived/top-domains.txt. */
    public static List<String> topDomains(int n) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path f = dir.resolve("shared/data/derived/top-domains.txt");
            if (Files.isRegularFile(f)) {
                try (var lines = Files.lines(f)) {
                    return lines.filter(l -> !l.isBlank() && !l.startsWith("#"))
                            .limit(n)
                            .toList();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("shared/data/derived/top-domains.txt not found above "
                + Path.of("").toAbsolutePath());
    }

    /** Every name of shared/data/derived/blocked-domains-1m.txt.gz (1.46M real listed names). */
    public static List<String> blockedList() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("shared/data"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(
                    "shared/data not found above " + Path.of("").toAbsolutePath());
        }
        List<String> out = new ArrayList<>();
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
                new java.util.zip.GZIPInputStream(
                        Files.newInputStream(dir.resolve("shared/data/derived/blocked-domains-1m.txt.gz"))),
                java.nio.charset.StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    out.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** A wire-format query (RD set, optional EDNS OPT) for {@code name}/{@code type}, ID {@code id}. */
    public static byte[] query(int id, String name, int type, boolean edns) {
        List<Byte> out = new ArrayList<>();
        int[] header = {id >>> 8, id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0};
        for (int b : header) {
            out.add((byte) b);
        }
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            out.add((byte) label.length());
            for (char c : label.toCharArray()) {
                out.add((byte) c);
            }
        }
        out.add((byte) 0);
        out.add((byte) (type >>> 8));
        out.add((byte) type);
        out.add((byte) 0);
        out.add((byte) 1);
        if (edns) {
            int[] opt = {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0};
            for (int b : opt) {
                out.add((byte) b);
            }
        }
        byte[] bytes = new byte[out.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = out.get(i);
        }
        return bytes;
    }
}
