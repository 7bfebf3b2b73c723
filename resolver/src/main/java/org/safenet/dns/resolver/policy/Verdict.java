package org.safenet.dns.resolver.policy;

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
    /** dnstap's Policy.rule: {@code source/category}. */
    private final byte[] tapRule;

    private final byte @Nullable [] cnameTarget;
    private final int categorySlot;
    /** RPZ local data: the records' types and RDATA (uncompressed wire form), side by side. */
    private final int[] localTypes;

    private final byte[][] localRdata;

    private final int[] localTtls;
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
        this(action, category, source, edeInfoCode, cnameTarget, List.<LocalRecord>of());
    }

    /**
     * A verdict with RPZ local data of any type: a SINKHOLE answered with the records of the
     * query's type, NODATA for a type it has none of (the RPZ specification's rule), instead of
     * the block page.
     */
    public static Verdict withLocalData(
            PolicyAction action, String category, String source, int edeInfoCode, List<LocalRecord> local) {
        return new Verdict(action, category, source, edeInfoCode, null, local);
    }

    private Verdict(
            PolicyAction action,
            String category,
            String source,
            int edeInfoCode,
            @Nullable String cnameTarget,
            List<LocalRecord> local) {
        this.action = action;
        this.category = category;
        this.source = source;
        this.edeInfoCode = edeInfoCode;
        // The EDE text is what `dig` shows the person debugging: say what blocked it and where from.
        this.edeText = ("SafeNet DNS: " + category + " (" + source + ")").getBytes(StandardCharsets.UTF_8);
        // The source's name without the list version the index appends for the EDE text ("NAME, list vN").
        int comma = source.indexOf(", ");
        this.tapRule =
                ((comma < 0 ? source : source.substring(0, comma)) + "/" + category).getBytes(StandardCharsets.UTF_8);
        if (action == PolicyAction.CNAME && cnameTarget == null) {
            throw new IllegalArgumentException("a CNAME verdict needs a target");
        }
        this.cnameTarget = cnameTarget == null ? null : DnsNames.toWire(cnameTarget);
        this.categorySlot = PolicyCategories.slotOf(category);
        this.counted = action != PolicyAction.PASSTHRU && !category.equals(Profile.CATEGORY_SAFESEARCH);
        this.namesProfile = source.startsWith("profile ");
        this.localTypes = new int[local.size()];
        this.localRdata = new byte[local.size()][];
        this.localTtls = new int[local.size()];
        for (int i = 0; i < local.size(); i++) {
            localTypes[i] = local.get(i).type();
            localRdata[i] = local.get(i).rdata();
            localTtls[i] = local.get(i).ttl();
        }
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

    /** Whether this verdict answers with RPZ local data rather than the block page. */
    boolean hasLocalData() {
        return localTypes.length > 0;
    }

    /** Local data record types, parallel to {@link #localRdata()}; do not modify. */
    int[] localTypes() {
        return localTypes;
    }

    /** Local data RDATA, uncompressed wire form; do not modify. */
    byte[][] localRdata() {
        return localRdata;
    }

    /** Local data TTLs ({@link LocalRecord#DEFAULT_TTL}: the sinkhole's); do not modify. */
    int[] localTtls() {
        return localTtls;
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

    /** What dnstap's Policy.rule says of this verdict: {@code source/category}, UTF-8. Do not modify. */
    public byte[] tapRule() {
        return tapRule;
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

    /** The RPZ local data, in the order given (empty: the block page's addresses). */
    public List<LocalRecord> localData() {
        List<LocalRecord> out = new ArrayList<>(localTypes.length);
        for (int i = 0; i < localTypes.length; i++) {
            out.add(new LocalRecord(localTypes[i], localRdata[i], localTtls[i]));
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
                && Arrays.equals(v.localTypes, localTypes)
                && Arrays.equals(v.localTtls, localTtls)
                && Arrays.deepEquals(v.localRdata, localRdata);
    }

    @Override
    public int hashCode() {
        return ((action.hashCode() * 31 + category.hashCode()) * 31 + source.hashCode()) * 31 + edeInfoCode;
    }
}
