package org.safenet.dns.resolver.wire;

/** Numbers from the DNS RFCs that the hot path needs, as plain ints (no enum lookups per query). */
public final class DnsConstants {
    private DnsConstants() {}

    public static final int HEADER_LENGTH = 12;
    public static final int MAX_NAME_LENGTH = 255;
    public static final int MAX_LABEL_LENGTH = 63;
    /** RFC 1035 §4.2.1: without EDNS a UDP answer may carry at most 512 octets. */
    public static final int CLASSIC_UDP_SIZE = 512;

    // Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD/CD).
    public static final int FLAG_QR = 0x8000;
    public static final int FLAG_AA = 0x0400;
    public static final int FLAG_TC = 0x0200;
    public static final int FLAG_RD = 0x0100;
    public static final int FLAG_RA = 0x0080;
    public static final int FLAG_AD = 0x0020;
    public static final int FLAG_CD = 0x0010;
    public static final int OPCODE_MASK = 0x7800;
    public static final int RCODE_MASK = 0x000F;

    public static final int OPCODE_QUERY = 0;
    public static final int OPCODE_NOTIFY = 4;

    // RCODEs (RFC 1035, RFC 6891 for BADVERS which needs the OPT extended bits).
    public static final int RCODE_NOERROR = 0;
    public static final int RCODE_FORMERR = 1;
    public static final int RCODE_SERVFAIL = 2;
    public static final int RCODE_NXDOMAIN = 3;
    public static final int RCODE_NOTIMP = 4;
    public static final int RCODE_REFUSED = 5;
    public static final int RCODE_NOTAUTH = 9;
    public static final int RCODE_BADVERS = 16;
    /** TSIG error (RFC 8945 §3): the key is not known. */
    public static final int TSIG_BADKEY = 17;
    /** Counters keep one slot per RCODE up to this value (the 12-bit extended space is folded). */
    public static final int RCODE_SLOTS = 24;

    // Types and classes.
    public static final int TYPE_A = 1;
    public static final int TYPE_NS = 2;
    public static final int TYPE_CNAME = 5;
    public static final int TYPE_PTR = 12;
    public static final int TYPE_MX = 15;
    public static final int TYPE_SOA = 6;
    public static final int TYPE_HINFO = 13;
    public static final int TYPE_TXT = 16;
    public static final int TYPE_AAAA = 28;
    public static final int TYPE_DNAME = 39;
    public static final int TYPE_OPT = 41;
    public static final int TYPE_TKEY = 249;
    public static final int TYPE_TSIG = 250;
    public static final int TYPE_MAILB = 253;
    public static final int TYPE_MAILA = 254;
    public static final int TYPE_IXFR = 251;
    public static final int TYPE_AXFR = 252;
    public static final int TYPE_ANY = 255;
    public static final int CLASS_IN = 1;
    public static final int CLASS_ANY = 255;

    /** The DO bit inside the OPT record's TTL field (RFC 3225). */
    public static final int EDNS_DO = 0x8000;
    /** The Extended DNS Error option's code (RFC 8914). */
    public static final int EDNS_OPTION_EDE = 15;
}
