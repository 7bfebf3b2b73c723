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
 * @param data the action's data: the CNAME target, or RPZ local data ({@link Action#LOCAL_DATA})
 * @param line the line it came from (1-based)
 * @param clientIp whether {@code ipTrigger} is an RPZ client-IP trigger ({@code rpz-client-ip}: the
 *     address of the client asking) rather than a response-IP one ({@code rpz-ip}: an address in
 *     the answer)
 * @param meta for a SafeNet DNS metadata record of an RPZ zone ({@link RpzMeta}): what it says of
 *     the trigger this entry names; such an entry is no policy of its own. Null for every policy entry
 */
public record ListEntry(
        byte @Nullable [] name,
        @Nullable CidrPrefix ipTrigger,
        Match match,
        Action action,
        @Nullable String data,
        int line,
        boolean clientIp,
        @Nullable RpzMeta meta) {

    /** A policy entry: a name, response-IP or client-IP trigger. */
    public ListEntry(
            byte @Nullable [] name,
            @Nullable CidrPrefix ipTrigger,
            Match match,
            Action action,
            @Nullable String data,
            int line,
            boolean clientIp) {
        this(name, ipTrigger, match, action, data, line, clientIp, null);
    }

    /** A name trigger, or a response-IP trigger. */
    public ListEntry(
            byte @Nullable [] name,
            @Nullable CidrPrefix ipTrigger,
            Match match,
            Action action,
            @Nullable String data,
            int line) {
        this(name, ipTrigger, match, action, data, line, false);
    }

    /** The store's text for a client-IP trigger's prefix starts with this; a response-IP one's is the prefix alone. */
    private static final String CLIENT_IP = "client:";

    /** The store's key text of an IP trigger: {@code 192.0.2.0/24}, or {@code client:192.0.2.0/24}. */
    public static String ipKey(CidrPrefix prefix, boolean client) {
        return client ? CLIENT_IP + prefix : prefix.toString();
    }

    /** Whether a stored IP trigger's key text is a client-IP trigger's. */
    public static boolean isClientIpKey(String key) {
        return key.startsWith(CLIENT_IP);
    }

    /** The prefix of a stored IP trigger's key text. */
    public static CidrPrefix ipKeyPrefix(String key) {
        return CidrPrefix.parse(isClientIpKey(key) ? key.substring(CLIENT_IP.length()) : key);
    }

    /** Which names an entry covers. */
    public enum Match {
        /** Only the name itself (hosts lines, RPZ owner names). */
        EXACT,
        /** The name and every name below it (domain lists, adblock {@code ||name^}). */
        SUBTREE,
        /** Only the names below it, not the name (RPZ {@code *.name}). */
        DESCENDANTS
    }

    /**
     * What an entry does. BLOCK takes the category's configured action; the rest are RPZ's. The
     * store keeps the ordinal: new actions go at the end.
     */
    public enum Action {
        BLOCK,
        ALLOW,
        NXDOMAIN,
        NODATA,
        PASSTHRU,
        DROP,
        TCP_ONLY,
        CNAME,
        /** Local data of an older store: comma-separated addresses (read, no longer written). */
        LOCAL_A,
        /** As {@link #LOCAL_A}. */
        LOCAL_AAAA,
        /**
         * RPZ local data of any type: one record a line, {@code TYPE rdata} in presentation form
         * ({@link LocalData}); the query types it has no record for get NODATA.
         */
        LOCAL_DATA
    }
}
