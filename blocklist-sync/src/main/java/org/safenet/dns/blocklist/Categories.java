package org.safenet.dns.blocklist;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.policy.PolicyAction;

/**
 * The list categories and the action each one gets. A category set to {@code off} is kept in
 * the store but not enforced, so turning it on later needs no re-import.
 */
public final class Categories {
    /** Every category an entry may carry (DESIGN.md §4, issue 3). */
    public static final List<String> KNOWN =
            List.of("scam", "phishing", "malware", "botnet", "illegal", "adult", "gambling", "ads", "custom");

    /** Actions a category can be given in the config. */
    static final List<String> ACTIONS = List.of("sinkhole", "nxdomain", "nodata", "refused", "drop", "off");

    private final Map<String, @Nullable PolicyAction> actions;

    private Categories(Map<String, @Nullable PolicyAction> actions) {
        this.actions = actions;
    }

    /**
     * Reads {@code category -> action} as written in the config; every known category missing
     * from {@code configured} is off.
     *
     * @throws IllegalArgumentException naming the unknown category or action
     */
    public static Categories of(Map<String, String> configured) {
        Map<String, @Nullable PolicyAction> out = new LinkedHashMap<>();
        for (String c : KNOWN) {
            out.put(c, null);
        }
        for (Map.Entry<String, String> e : configured.entrySet()) {
            String category = e.getKey().toLowerCase(Locale.ROOT);
            if (!KNOWN.contains(category)) {
                throw new IllegalArgumentException(
                        "unknown category '" + e.getKey() + "' (known: " + String.join(", ", KNOWN) + ")");
            }
            String action = e.getValue().trim().toLowerCase(Locale.ROOT);
            if (action.equals("false")) {
                action = "off"; // YAML 1.1 reads an unquoted `off` as the boolean false
            }
            if (!ACTIONS.contains(action)) {
                throw new IllegalArgumentException("category " + category + ": unknown action '" + e.getValue()
                        + "' (one of " + String.join(", ", ACTIONS) + ")");
            }
            out.put(category, action.equals("off") ? null : PolicyAction.valueOf(action.toUpperCase(Locale.ROOT)));
        }
        return new Categories(out);
    }

    /** The action for entries of {@code category}, or null if it is not enforced (or unknown). */
    public @Nullable PolicyAction actionFor(String category) {
        return actions.get(category);
    }

    public static void requireKnown(String category) {
        if (!KNOWN.contains(category)) {
            throw new IllegalArgumentException(
                    "unknown category '" + category + "' (known: " + String.join(", ", KNOWN) + ")");
        }
    }

    @Override
    public String toString() {
        return actions.toString();
    }
}
