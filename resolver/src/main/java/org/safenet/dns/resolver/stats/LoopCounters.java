package org.safenet.dns.resolver.stats;

import org.safenet.dns.resolver.wire.DnsConstants;

/**
 * Counters owned by one event-loop thread: plain fields, written by that thread only, summed by
 * {@link ResolverMetrics} on read. No locks, no CAS, no allocation on the hot path (pdns "per-thread
 * counters"). A reader may see a value a few increments old; counters are monotonic, so that is fine.
 */
public final class LoopCounters {
    long queries;
    long dropped;
    long aclRefused;
    long cacheHits;
    long cacheMisses;
    long staleServed;
    long truncated;
    long coalesced;
    long tcpRejected;
    final long[] answersByRcode = new long[DnsConstants.RCODE_SLOTS];
    final long[] policyByAction = new long[org.safenet.dns.resolver.policy.PolicyAction.values().length];
    final long[] blockedByCategory = new long[org.safenet.dns.resolver.policy.PolicyCategories.SLOTS];

    public void query() {
        queries++;
    }

    public void dropped() {
        dropped++;
    }

    public void aclRefused() {
        aclRefused++;
    }

    public void cacheHit() {
        cacheHits++;
    }

    public void cacheMiss() {
        cacheMisses++;
    }

    public void staleServed() {
        staleServed++;
    }

    public void truncated() {
        truncated++;
    }

    public void coalesced() {
        coalesced++;
    }

    public void tcpRejected() {
        tcpRejected++;
    }

    /** A query the policy decided (any action but passthru), by action ordinal. */
    public void policyHit(org.safenet.dns.resolver.policy.Verdict verdict) {
        policyByAction[verdict.action().ordinal()]++;
        if (verdict.action() != org.safenet.dns.resolver.policy.PolicyAction.PASSTHRU) {
            blockedByCategory[verdict.categorySlot()]++;
        }
    }

    public void answered(int rcode) {
        answersByRcode[Math.min(rcode, DnsConstants.RCODE_SLOTS - 1)]++;
    }
}
