package org.safenet.dns.blocklist.format;

import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.acl.CidrPrefix;

/**
 * One valid line's meaning.
 *
 * @param name trigger name in lowercase wire form (A-labels for IDNs), or null for an IP trigger
 * @param ipTrigger the answer-address prefix of an RPZ {@code rpz-ip} trigger, else null
 * @param match which names the entry covers
 * @param action what to do with them
 * @param data the action's data: the CNAME target, or the A/AAAA address of RPZ local data
 * @param line the line it came from (1-based)
 */
public record ListEntry(
        byte @Nullable [] name,
        @Nullable CidrPrefix ipTrigger,
        Match match,
        Action action,
        @Nullable String data,
        int line) {

    /** Which names an entry covers. */
    public enum Match {
        /** Only the name itself (hosts lines, RPZ owner names). */
        EXACT,
        /** The name and every name below it (domain lists, adblock {@code ||name^}). */
        SUBTREE,
        /** Only the names below it, not the name (RPZ {@code *.name}). */
        DESCENDANTS
    }

    /** What an entry does. BLOCK takes the category's configured action; the rest are RPZ's. */
    public enum Action {
        BLOCK,
        ALLOW,
        NXDOMAIN,
        NODATA,
        PASSTHRU,
        DROP,
        TCP_ONLY,
        CNAME,
        LOCAL_A,
        LOCAL_AAAA
    }
}
