package org.safenet.dns.resolver.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * A policy decision, shared and immutable: an index hands out the same few hundred instances (one
 * per action, category and source combination), never one per query or per entry.
 *
 * @see Policy
 */
public final class Verdict {
    /** RFC 8914 §5.2: blocked by the operator's policy (the national list, the operator's entries). */
    public static final int EDE_BLOCKED = 15;
    /** RFC 8914 §5.2: filtered at the client's request (a per-network opt-in category). */
    public static final int EDE_FILTERED = 17;

    private final PolicyAction action;
    private final String category;
    private final String source;
    private final int edeInfoCode;
    private final byte[] edeText;
    private final byte @Nullable [] cnameTarget;
    private final int categorySlot;
    private final byte[][] localIpv4;
    private final byte[][] localIpv6;
    /**
     * For a verdict that takes its action from its category (a plain list entry, not an RPZ
     * action): the same verdict with each action, by {@link PolicyAction#ordinal()}, shared by the
     * siblings so that a profile can change the action without allocating. Null otherwise.
     */
    private Verdict @Nullable [] byAction;

    private final boolean counted;
    /** The source names a profile already (a profile's own decision): the EDE text needs no note. */
    private final boolean namesProfile;

    /**
     * @param action what to answer
     * @param category the list category, e.g. {@code scam}, named in the EDE text
     * @param source where the entry came from, e.g. {@code national}
     * @param edeInfoCode {@link #EDE_BLOCKED} or {@link #EDE_FILTERED}
     * @param cnameTarget the target name for {@link PolicyAction#CNAME}, else null
     */
    public Verdict(PolicyAction action, String category, String source, int edeInfoCode, @Nullable String cnameTarget) {
        this(action, category, source, edeInfoCode, cnameTarget, List.of());
    }

    /**
     * A verdict with RPZ local data: a SINKHOLE answered with {@code localAddresses} (IPv4 ones
     * for A, IPv6 ones for AAAA) instead of the block page.
     */
    public Verdict(
            PolicyAction action,
            String category,
            String source,
            int edeInfoCode,
            @Nullable String cnameTarget,
            List<InetAddress> localAddresses) {
        this.action = action;
        this.category = category;
        this.source = source;
        this.edeInfoCode = edeInfoCode;
        // The EDE text is what `dig` shows the person debugging: say what blocked it and where from.
        this.edeText = ("SafeNet DNS: " + category + " (" + source + ")").getBytes(StandardCharsets.UTF_8);
        if (action == PolicyAction.CNAME && cnameTarget == null) {
            throw new IllegalArgumentException("a CNAME verdict needs a target");
        }
        this.cnameTarget = cnameTarget == null ? null : DnsNames.toWire(cnameTarget);
        this.categorySlot = PolicyCategories.slotOf(category);
        this.counted = action != PolicyAction.PASSTHRU && !category.equals(Profile.CATEGORY_SAFESEARCH);
        this.namesProfile = source.startsWith("profile ");
        this.localIpv4 = PolicyAnswers.addresses(localAddresses, 4);
        this.localIpv6 = PolicyAnswers.addresses(localAddresses, 16);
    }

    /**
     * A verdict whose action is its category's (a plain list entry): {@link #withAction} then
     * gives the same decision with another action, as a profile's category settings ask.
     */
    public static Verdict ofCategory(PolicyAction action, String category, String source, int edeInfoCode) {
        Verdict[] siblings = new Verdict[PolicyAction.values().length];
        for (PolicyAction a : PolicyAction.values()) {
            if (a != PolicyAction.CNAME) {
                Verdict v = new Verdict(a, category, source, edeInfoCode, null);
                v.byAction = siblings;
                siblings[a.ordinal()] = v;
            }
        }
        return siblings[action.ordinal()];
    }

    /** Whether the action comes from the category (see {@link #ofCategory}); RPZ actions do not. */
    public boolean fromCategory() {
        return byAction != null;
    }

    /**
     * This decision with {@code other} as its action if it comes from its category, else this
     * verdict unchanged (an RPZ zone's explicit action is the zone's to choose). Allocates nothing.
     */
    public Verdict withAction(PolicyAction other) {
        Verdict[] siblings = byAction;
        if (siblings == null || other == PolicyAction.CNAME) {
            return this;
        }
        return siblings[other.ordinal()];
    }

    /** RPZ local-data IPv4 addresses (empty: use the block page's); do not modify. */
    byte[][] localIpv4() {
        return localIpv4;
    }

    /** RPZ local-data IPv6 addresses (empty: use the block page's); do not modify. */
    byte[][] localIpv6() {
        return localIpv6;
    }

    /**
     * Whether statistics count this as a block: every action but PASSTHRU and the SafeSearch
     * redirects (a safe answer, not a blocked one).
     */
    public boolean counted() {
        return counted;
    }

    /** Whether the source already names the profile that decided. */
    boolean namesProfile() {
        return namesProfile;
    }

    /** The category's counter slot ({@link PolicyCategories}). */
    public int categorySlot() {
        return categorySlot;
    }

    public PolicyAction action() {
        return action;
    }

    public String category() {
        return category;
    }

    public String source() {
        return source;
    }

    public int edeInfoCode() {
        return edeInfoCode;
    }

    /** UTF-8 EXTRA-TEXT of the Extended DNS Error option; do not modify. */
    byte[] edeText() {
        return edeText;
    }

    /** The CNAME target in presentation form (for {@link PolicyAction#CNAME}), or null. */
    public @Nullable String cnameTargetText() {
        return cnameTarget == null ? null : DnsNames.toText(cnameTarget, 0, cnameTarget.length);
    }

    /** The RPZ local-data addresses, IPv4 then IPv6 (empty: the block page's). */
    public List<InetAddress> localAddresses() {
        List<InetAddress> out = new ArrayList<>();
        for (byte[][] family : new byte[][][] {localIpv4, localIpv6}) {
            for (byte[] a : family) {
                try {
                    out.add(InetAddress.getByAddress(a));
                } catch (UnknownHostException impossible) {
                    throw new IllegalStateException(impossible);
                }
            }
        }
        return out;
    }

    /** Uncompressed wire form of the CNAME target, or null; do not modify. */
    public byte @Nullable [] cnameTarget() {
        return cnameTarget;
    }

    @Override
    public String toString() {
        return action + " " + category + " (" + source + ")"
                + (cnameTarget == null ? "" : " -> " + DnsNames.toText(cnameTarget, 0, cnameTarget.length));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Verdict v
                && v.action == action
                && v.fromCategory() == fromCategory()
                && v.category.equals(category)
                && v.source.equals(source)
                && v.edeInfoCode == edeInfoCode
                && Arrays.equals(v.cnameTarget, cnameTarget)
                && Arrays.deepEquals(v.localIpv4, localIpv4)
                && Arrays.deepEquals(v.localIpv6, localIpv6);
    }

    @Override
    public int hashCode() {
        return ((action.hashCode() * 31 + category.hashCode()) * 31 + source.hashCode()) * 31 + edeInfoCode;
    }
}
