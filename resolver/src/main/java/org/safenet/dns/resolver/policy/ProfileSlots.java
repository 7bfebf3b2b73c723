package org.safenet.dns.resolver.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Small integer slots for profile names, stable for the life of the process: blocked queries
 * are counted per profile in a plain array on each event loop, and a cached answer's check memo
 * has one bit per slot below 32. A profile removed by a reload keeps its slot (its counts stay
 * readable); a name beyond {@link #SLOTS} shares the last slot.
 */
public final class ProfileSlots {
    private ProfileSlots() {}

    public static final int SLOTS = 64;

    private static final List<String> names = new ArrayList<>(List.of("default"));

    /** The slot of {@code profile}, registering it if new. */
    public static synchronized int slotOf(String profile) {
        int i = names.indexOf(profile);
        if (i >= 0) {
            return i;
        }
        if (names.size() < SLOTS - 1) {
            names.add(profile);
            return names.size() - 1;
        }
        return SLOTS - 1;
    }

    /** Registered names by slot. */
    public static synchronized List<String> names() {
        return List.copyOf(names);
    }
}
