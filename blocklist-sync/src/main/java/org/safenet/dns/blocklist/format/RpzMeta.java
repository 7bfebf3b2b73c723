package org.safenet.dns.blocklist.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * What a SafeNet DNS primary says of one RPZ trigger beyond RPZ's own policy: the entry's category,
 * the source it came from, and whether its action is the category's ({@code block}) rather than
 * the NXDOMAIN its {@code CNAME .} says to any other reader.
 *
 * <p>The convention: beside the trigger's records, one TXT record at the trigger's owner with the
 * label {@value #LABEL} appended, e.g. {@code www.bad.example._safenet-meta TXT "category=scam"
 * "source=national" "action=block"}. To BIND, Knot or Unbound reading the zone as plain RPZ this is
 * one more QNAME trigger, for a name under a top-level label that cannot exist (it starts with an
 * underscore), with local data: loaded, never matched by a real query. A SafeNet DNS follower reads
 * it and gives the entry the same category, source and action as on the primary.
 *
 * @param category the entry's category on the primary
 * @param source the source the entry came from on the primary (its origin, when the primary itself follows another)
 * @param byCategory the entry takes its category's action ({@code block}); false: the RPZ action as written
 */
public record RpzMeta(String category, String source, boolean byCategory) {
    /** The label appended to a trigger's owner. */
    public static final String LABEL = "_safenet-meta";

    /** The TXT record's RDATA in zone-file text. */
    public String rdata() {
        return "\"category=" + category + "\" \"source=" + source + "\"" + (byCategory ? " \"action=block\"" : "");
    }

    /**
     * Reads the TXT record's strings (zone-file tokens, quoted or not).
     *
     * @throws IllegalArgumentException with the reason, for the parse report
     */
    public static RpzMeta parse(List<String> tokens) {
        String category = null;
        String source = null;
        boolean byCategory = false;
        for (String token : strings(tokens)) {
            int eq = token.indexOf('=');
            String key = eq < 0 ? token : token.substring(0, eq);
            String value = eq < 0 ? "" : token.substring(eq + 1);
            switch (key.toLowerCase(Locale.ROOT)) {
                case "category" -> category = value.toLowerCase(Locale.ROOT);
                case "source" -> source = value;
                case "action" -> byCategory = value.equalsIgnoreCase("block");
                default -> {} // keys a later version adds are ignored
            }
        }
        if (category == null || category.isEmpty() || source == null || source.isEmpty()) {
            throw new IllegalArgumentException("SafeNet DNS metadata needs \"category=NAME\" and \"source=NAME\"");
        }
        if (!category.matches("[a-z0-9][a-z0-9-]{0,62}") || !source.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("SafeNet DNS metadata with a bad category or source name");
        }
        return new RpzMeta(category, source, byCategory);
    }

    private static List<String> strings(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        for (String t : tokens) {
            out.add(t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t);
        }
        return out;
    }

    /** For a name or IP trigger read elsewhere in the zone: which entry this metadata is for. */
    public static @Nullable String suffixOf(String trigger) {
        String tail = "." + LABEL;
        return trigger.endsWith(tail) ? trigger.substring(0, trigger.length() - tail.length()) : null;
    }
}
