package org.safenet.dns.resolver.wire;

/**
 * What the header and question checks decided, in the spirit of Unbound's
 * {@code worker_check_request}: parsing never throws per packet, it returns one of these.
 */
public enum ParseResult {
    /** A well-formed standard query: answer it. */
    OK,
    /** Not worth a reply: too short for a header, or a response (QR set), which must never be answered. */
    DROP,
    /** Malformed: answer FORMERR, echoing the question only when it was read whole. */
    FORMERR,
    /** An opcode we do not implement (anything but QUERY): answer NOTIMP (RFC 1035 §4.1.1). */
    NOTIMP,
    /** EDNS version above 0: answer BADVERS (RFC 6891 §6.1.3). */
    BADVERS
}
