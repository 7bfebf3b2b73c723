package org.safenet.dns.resolver.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Small integer slots for category names, so the hot path can count blocked queries per
 * category in a plain array. The blocklist registers its categories before the resolver starts;
 * a verdict for a name not registered counts under {@link #OTHER}.
 */
public final class PolicyCategories {
    private PolicyCategories() {}

    /** Slots available; the last one is "other". */
    public static final int SLOTS = 32;

    public static final String OTHER = "other";

    private static final List<String> names = new ArrayList<>();

    /** Registers {@code categories} (idempotent); call before verdicts and the resolver are built. */
    public static synchronized void register(List<String> categories) {
        for (String c : categories) {
            if (!names.contains(c) && names.size() < SLOTS - 1) {
                names.add(c);
            }
        }
    }

    /** The slot of {@code category}, or the last slot for one not registered. */
    static synchronized int slotOf(String category) {
        int i = names.indexOf(category);
        return i >= 0 ? i : SLOTS - 1;
    }

    /** Registered names by slot, with "other" last. */
    public static synchronized List<String> names() {
        List<String> out = new ArrayList<>(names);
        out.add(OTHER);
        return out;
    }
}
