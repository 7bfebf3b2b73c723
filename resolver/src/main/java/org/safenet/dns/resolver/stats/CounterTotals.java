package org.safenet.dns.resolver.stats;

import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyCategories;

/**
 * The resolver's cumulative counters at one moment, summed over the event loops. The
 * statistics recorder keeps the previous one and stores the difference per minute.
 *
 * @param limited UDP queries over a client's or network's rate limit
 * @param answersByRcode indexed by rcode ({@code RCODE_SLOTS} entries, the last one "other")
 * @param policyByAction indexed by {@link PolicyAction#ordinal()}
 * @param blockedByCategory indexed by {@link PolicyCategories} slot
 * @param blockedByProfile indexed by {@link org.safenet.dns.resolver.policy.ProfileSlots} slot
 */
public record CounterTotals(
        long queries,
        long cacheHits,
        long aclRefused,
        long upstreamFailures,
        long limited,
        long[] answersByRcode,
        long[] policyByAction,
        long[] blockedByCategory,
        long[] blockedByProfile) {

    /** Queries blocked: every policy decision but passthru. */
    public long blocked() {
        long sum = 0;
        for (long b : blockedByCategory) {
            sum += b;
        }
        return sum;
    }
}
