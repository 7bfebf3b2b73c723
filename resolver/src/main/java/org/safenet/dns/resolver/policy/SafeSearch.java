package org.safenet.dns.resolver.policy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SafeSearch and YouTube's restricted mode the way the search engines document enforcing them
 * on a network: the search host answered with a CNAME to the engine's enforcement name, which
 * the resolver then resolves like any other name.
 *
 * <ul>
 *   <li>Google: {@code www.google.*} and {@code google.*} for every Google search domain to
 *       {@code forcesafesearch.google.com} (support.google.com/websearch/answer/186669);
 *   <li>Bing: {@code www.bing.com} and {@code bing.com} to {@code strict.bing.com};
 *   <li>DuckDuckGo: {@code duckduckgo.com}, {@code www.duckduckgo.com}, {@code
 *       start.duckduckgo.com} to {@code safe.duckduckgo.com};
 *   <li>YouTube: {@code www.youtube.com}, {@code m.youtube.com}, {@code youtubei.googleapis.com},
 *       {@code youtube.googleapis.com}, {@code www.youtube-nocookie.com} to {@code
 *       restrict.youtube.com} (strict) or {@code restrictmoderate.youtube.com} (moderate)
 *       (support.google.com/a/answer/6214622).
 * </ul>
 */
public final class SafeSearch {
    private SafeSearch() {}

    public static final String GOOGLE_TARGET = "forcesafesearch.google.com";
    public static final String BING_TARGET = "strict.bing.com";
    public static final String DUCKDUCKGO_TARGET = "safe.duckduckgo.com";
    public static final String YOUTUBE_STRICT = "restrict.youtube.com";
    public static final String YOUTUBE_MODERATE = "restrictmoderate.youtube.com";

    /** YouTube's restricted mode levels. */
    public enum YouTube {
        STRICT,
        MODERATE,
        OFF;

        /** {@code strict}, {@code moderate} or {@code off} (YAML's unquoted off reads as false). */
        public static YouTube parse(String text) {
            String t = text.trim().toLowerCase(Locale.ROOT);
            if (t.equals("false")) {
                return OFF;
            }
            for (YouTube y : values()) {
                if (y.name().toLowerCase(Locale.ROOT).equals(t)) {
                    return y;
                }
            }
            throw new IllegalArgumentException("youtube: '" + text + "' is not one of strict, moderate, off");
        }
    }

    static final List<String> YOUTUBE_NAMES = List.of(
            "www.youtube.com",
            "m.youtube.com",
            "youtubei.googleapis.com",
            "youtube.googleapis.com",
            "www.youtube-nocookie.com");

    private static final List<String> GOOGLE_DOMAINS = readList("google-search-domains.txt");

    /** Adds the rewrites: search engines if {@code engines}, YouTube at {@code youtube}. */
    public static void apply(Profile.Builder profile, boolean engines, YouTube youtube) {
        if (engines) {
            for (String d : GOOGLE_DOMAINS) {
                profile.rewrite(d, GOOGLE_TARGET);
                profile.rewrite("www." + d, GOOGLE_TARGET);
            }
            profile.rewrite("bing.com", BING_TARGET);
            profile.rewrite("www.bing.com", BING_TARGET);
            for (String d : List.of("duckduckgo.com", "www.duckduckgo.com", "start.duckduckgo.com")) {
                profile.rewrite(d, DUCKDUCKGO_TARGET);
            }
        }
        if (youtube != YouTube.OFF) {
            String target = youtube == YouTube.STRICT ? YOUTUBE_STRICT : YOUTUBE_MODERATE;
            for (String d : YOUTUBE_NAMES) {
                profile.rewrite(d, target);
            }
        }
    }

    /** Google's search domains (google.com, google.com.vn, ...). */
    public static List<String> googleDomains() {
        return GOOGLE_DOMAINS;
    }

    private static List<String> readList(String resource) {
        try (InputStream in = SafeSearch.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            List<String> out = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                String t = line.trim();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    out.add(t);
                }
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
