package org.safenet.dns.resolver.policy;

import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * The blocklist hook on the hot path: the resolver asks it about every query's name before the
 * cache, so a list change is live at once and the cache never holds a blocked answer. The
 * blocklist module implements it; the resolver only defines it, so the dependency points
 * {@code blocklist-sync -> resolver}.
 *
 * <p>Implementations are called on event-loop threads for every query: they must not allocate,
 * block or throw, and must return shared {@link Verdict} instances.
 */
@FunctionalInterface
public interface Policy {
    /** Lets everything through: the resolver without a blocklist. */
    Policy NONE = q -> null;

    /**
     * The decision for {@code q}'s name (lowercased wire form in {@link ParsedQuery#name()}), or
     * null to resolve normally. A {@link PolicyAction#PASSTHRU} verdict also resolves normally; it
     * exists so that the caller can count and explain exceptions.
     */
    @Nullable
    Verdict decide(ParsedQuery q);

    /**
     * The decision for {@code q}'s name as a client's profile sees it: entries whose category slot
     * ({@link Verdict#categorySlot()}) is not set in {@code categoryMask} do not exist for it, so
     * a less specific entry of an enforced category may decide instead. The default ignores the
     * mask (a policy without categories).
     */
    default @Nullable Verdict decide(ParsedQuery q, int categoryMask) {
        return decide(q);
    }

    /**
     * The decision for an address in an upstream answer (RPZ {@code rpz-ip} triggers), or null.
     * {@code address} is 4 or 16 octets.
     */
    default @Nullable Verdict decideAddress(byte[] address) {
        return null;
    }

    /** {@link #decideAddress(byte[])} as a profile sees it (see {@link #decide(ParsedQuery, int)}). */
    default @Nullable Verdict decideAddress(byte[] address, int categoryMask) {
        return decideAddress(address);
    }

    /**
     * Whether any address rule may exist: without one, answer addresses need no check. The
     * default is the safe answer; an implementation that knows it has none says so.
     */
    default boolean hasAddressRules() {
        return true;
    }

    /**
     * The decision for every query from {@code address} (RPZ {@code rpz-client-ip} triggers) as a
     * profile sees it, or null. {@code address} is 4 or 16 octets. Asked before the query's name,
     * as RPZ orders its triggers within a zone.
     */
    default @Nullable Verdict decideClient(byte[] address, int categoryMask) {
        return null;
    }

    /** Whether any client-IP rule may exist: without one, the client's address needs no check. */
    default boolean hasClientRules() {
        return false;
    }

    /**
     * Changes whenever a decision may have changed (a new list version, an edit): a cached answer
     * checked under another value is checked again before it is served.
     */
    default long version() {
        return 0;
    }
}
