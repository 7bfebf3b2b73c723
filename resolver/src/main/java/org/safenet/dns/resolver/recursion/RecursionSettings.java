package org.safenet.dns.resolver.recursion;

import java.time.Duration;

/**
 * How the iterative resolver works and what bounds it.
 *
 * @param hints the root servers to prime from
 * @param timeout the longest wait for one authoritative server (less once its round trip is known)
 * @param maxQueries upstream queries one client question may cause, nested lookups of name server
 *     addresses included (Unbound's {@code max-sent-count} is 32)
 * @param maxTime how long one client question may take to resolve
 * @param qnameMinimisation ask each server only for the next label (RFC 9156, relaxed: a server that
 *     answers a minimised question with an error is asked the full name)
 * @param caseRandomisation randomise the letter case of outgoing names and require it echoed (0x20)
 * @param cookies send DNS cookies (RFC 7873, 9018) and check the echoed client cookie
 * @param infrastructureEntries bound on cached delegations, name-server states and infrastructure
 *     answers (name-server addresses, DNSKEY and DS sets), each
 */
public record RecursionSettings(
        RootHints hints,
        Duration timeout,
        int maxQueries,
        Duration maxTime,
        boolean qnameMinimisation,
        boolean caseRandomisation,
        boolean cookies,
        int infrastructureEntries) {

    /** Defaults: built-in hints unless given, and the limits the decision record names. */
    public static RecursionSettings defaults(RootHints hints, Duration timeout) {
        return new RecursionSettings(hints, timeout, 48, Duration.ofSeconds(10), true, true, true, 20_000);
    }

    public RecursionSettings {
        if (maxQueries < 1) {
            throw new IllegalArgumentException("maxQueries must be at least 1");
        }
        if (timeout.isZero() || timeout.isNegative() || maxTime.isZero() || maxTime.isNegative()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        if (infrastructureEntries < 16) {
            throw new IllegalArgumentException("infrastructureEntries must be at least 16");
        }
    }
}
