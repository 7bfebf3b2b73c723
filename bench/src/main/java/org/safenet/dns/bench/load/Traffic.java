package org.safenet.dns.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.safenet.dns.bench.load.PreparedQuery.Kind;
import org.xbill.DNS.Type;

/** The queries a run sends, in order; the run cycles through them. Deterministic for a seed. */
public final class Traffic {
    private final List<PreparedQuery> queries;
    private final String description;

    private Traffic(List<PreparedQuery> queries, String description) {
        if (queries.isEmpty()) {
            throw new IllegalArgumentException("the traffic has no queries: " + description);
        }
        this.queries = List.copyOf(queries);
        this.description = description;
    }

    public List<PreparedQuery> queries() {
        return queries;
    }

    /** One line for reports: where the names came from and in what shares. */
    public String description() {
        return description;
    }

    public static Traffic of(List<PreparedQuery> queries, String description) {
        return new Traffic(queries, description);
    }

    /**
     * A dnsperf query file ({@code name TYPE} per line, {@code #} comments; gzip if it ends in
     * {@code .gz}). A bad line is an error naming the file and line: a typo must not silently
     * shrink the traffic.
     */
    public static Traffic fromQueryFile(Path file, boolean edns) throws IOException {
        List<PreparedQuery> out = new ArrayList<>();
        try (BufferedReader r = reader(file)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                String[] parts = t.split("\\s+");
                if (parts.length > 2) {
                    throw new IllegalArgumentException(file + ":" + lineNo + ": expected 'name TYPE', got '" + t + "'");
                }
                int type = parts.length == 2 ? typeOf(parts[1], file + ":" + lineNo) : Type.A;
                try {
                    out.add(PreparedQuery.of(parts[0], type, Kind.FILE, edns));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ":" + lineNo + ": " + e.getMessage(), e);
                }
            }
        }
        return new Traffic(out, "query file " + file + " (" + out.size() + " queries)");
    }

    /** What a generated mix is made of. Shares are percentages of all queries. */
    public record MixSpec(
            Path popularFile,
            int popularLimit,
            double zipfExponent,
            Path blockedFile,
            int blockedLimit,
            double blockedPercent,
            double blockedSubdomainPercent,
            double uniquePercent,
            String uniqueZone,
            Map<Integer, Double> typeWeights,
            long seed,
            int length,
            boolean edns) {
        public MixSpec {
            if (blockedPercent < 0 || uniquePercent < 0 || blockedPercent + uniquePercent > 100) {
                throw new IllegalArgumentException(
                        "blocked% + unique% must be between 0 and 100, got " + blockedPercent + " + " + uniquePercent);
            }
            if (zipfExponent < 0) {
                throw new IllegalArgumentException("the Zipf exponent must be >= 0, got " + zipfExponent);
            }
            if (length <= 0) {
                throw new IllegalArgumentException("the mix length must be positive, got " + length);
            }
            if (typeWeights.isEmpty()) {
                throw new IllegalArgumentException("the type mix is empty");
            }
        }
    }

    private static final String[] SUBDOMAIN_LABELS = {"www", "m", "login", "secure", "api", "cdn", "app", "id"};

    /**
     * Popular names drawn with probability proportional to 1/rank^s (Zipf), blocked names drawn
     * uniformly from the first names of a list (some as subdomains, which a subtree block must
     * also catch), never-seen names under a zone; types drawn from the weights.
     */
    public static Traffic generate(MixSpec spec) throws IOException {
        SplittableRandom random = new SplittableRandom(spec.seed());
        double popularPercent = 100 - spec.blockedPercent() - spec.uniquePercent();
        List<String> popular = popularPercent > 0 ? readNames(spec.popularFile(), spec.popularLimit()) : List.of();
        List<String> blocked =
                spec.blockedPercent() > 0 ? readNames(spec.blockedFile(), spec.blockedLimit()) : List.of();
        double[] zipfCdf = zipfCdf(popular.size(), spec.zipfExponent());
        int[] types =
                spec.typeWeights().keySet().stream().mapToInt(Integer::intValue).toArray();
        double[] typeCdf = cdf(spec.typeWeights().values().stream()
                .mapToDouble(Double::doubleValue)
                .toArray());

        List<PreparedQuery> out = new ArrayList<>(spec.length());
        for (int i = 0; i < spec.length(); i++) {
            int type = types[pick(typeCdf, random.nextDouble())];
            double roll = random.nextDouble() * 100;
            if (roll < spec.blockedPercent()) {
                String name = blocked.get(random.nextInt(blocked.size()));
                if (random.nextDouble() * 100 < spec.blockedSubdomainPercent()) {
                    String sub = SUBDOMAIN_LABELS[random.nextInt(SUBDOMAIN_LABELS.length)] + "." + name;
                    name = sub.length() < 250 ? sub : name; // a long listed name stays as it is
                }
                out.add(PreparedQuery.of(name, type, Kind.BLOCKED, spec.edns()));
            } else if (roll < spec.blockedPercent() + spec.uniquePercent()) {
                out.add(PreparedQuery.unique(spec.uniqueZone(), type, spec.edns()));
            } else {
                String name = popular.get(pick(zipfCdf, random.nextDouble()));
                out.add(PreparedQuery.of(name, type, Kind.POPULAR, spec.edns()));
            }
        }
        String description = String.format(
                Locale.ROOT,
                "generated mix (seed %d, %d queries cycled): %.1f%% popular (Zipf s=%.2f over %d names of %s), "
                        + "%.1f%% blocked (%d names of %s, %.0f%% of them as subdomains), %.1f%% unique under %s; types %s",
                spec.seed(),
                spec.length(),
                popularPercent,
                spec.zipfExponent(),
                popular.size(),
                fileName(spec.popularFile(), popularPercent),
                spec.blockedPercent(),
                blocked.size(),
                fileName(spec.blockedFile(), spec.blockedPercent()),
                spec.blockedSubdomainPercent(),
                spec.uniquePercent(),
                spec.uniqueZone(),
                describeTypes(spec.typeWeights()));
        return new Traffic(out, description);
    }

    private static String fileName(Path file, double share) {
        return share > 0 ? String.valueOf(file.getFileName()) : "-";
    }

    /** Parses {@code A:70,AAAA:25,HTTPS:5} (weights need not add up to 100). */
    public static Map<Integer, Double> parseTypeWeights(String text) {
        Map<Integer, Double> weights = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            String[] kv = part.strip().split(":");
            if (kv.length != 2) {
                throw new IllegalArgumentException(
                        "type mix '" + text + "': expected TYPE:WEIGHT pairs like A:70,AAAA:30");
            }
            double w;
            try {
                w = Double.parseDouble(kv[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("type mix '" + text + "': weight '" + kv[1] + "' is not a number");
            }
            if (w < 0) {
                throw new IllegalArgumentException("type mix '" + text + "': weight must be >= 0");
            }
            weights.merge(typeOf(kv[0], "type mix '" + text + "'"), w, Double::sum);
        }
        if (weights.values().stream().mapToDouble(Double::doubleValue).sum() <= 0) {
            throw new IllegalArgumentException("type mix '" + text + "': all weights are zero");
        }
        return weights;
    }

    private static String describeTypes(Map<Integer, Double> weights) {
        double total =
                weights.values().stream().mapToDouble(Double::doubleValue).sum();
        List<String> parts = new ArrayList<>();
        weights.forEach((t, w) -> parts.add(String.format(Locale.ROOT, "%s %.0f%%", Type.string(t), 100 * w / total)));
        return String.join(", ", parts);
    }

    private static int typeOf(String text, String where) {
        int type = Type.value(text.toUpperCase(Locale.ROOT));
        if (type < 0) {
            throw new IllegalArgumentException(where + ": unknown query type '" + text + "'");
        }
        return type;
    }

    /** The first {@code limit} names of a list file: one per line, or hosts-style "0.0.0.0 name". */
    static List<String> readNames(Path file, int limit) throws IOException {
        List<String> names = new ArrayList<>();
        try (BufferedReader r = reader(file)) {
            String line;
            while (names.size() < limit && (line = r.readLine()) != null) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#") || t.startsWith("!")) {
                    continue;
                }
                String[] parts = t.split("\\s+");
                String name = parts.length >= 2 ? parts[1] : parts[0];
                try {
                    org.safenet.dns.resolver.wire.DnsNames.toWire(name);
                    names.add(name);
                } catch (IllegalArgumentException skipped) {
                    // a name our own parser refuses is not useful traffic
                }
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no names in " + file);
        }
        return names;
    }

    private static BufferedReader reader(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such file: " + file);
        }
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new GZIPInputStream(in, 1 << 16);
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    }

    private static double[] zipfCdf(int n, double s) {
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = 1.0 / Math.pow(i + 1, s);
        }
        return cdf(w);
    }

    private static double[] cdf(double[] weights) {
        double[] c = new double[weights.length];
        double sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            c[i] = sum;
        }
        for (int i = 0; i < c.length; i++) {
            c[i] /= sum;
        }
        return c;
    }

    private static int pick(double[] cdf, double u) {
        int i = Arrays.binarySearch(cdf, u);
        int idx = i >= 0 ? i : -i - 1;
        return Math.min(idx, cdf.length - 1);
    }
}
