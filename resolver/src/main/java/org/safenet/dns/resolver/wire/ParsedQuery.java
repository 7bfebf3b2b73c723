package org.safenet.dns.resolver.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One query's header, question and EDNS facts, filled in place by {@link QueryParser}.
 *
 * <p>Mutable and reused: each event loop owns one instance, so parsing allocates nothing. The
 * name is held twice in uncompressed wire form: lowercased (for the cache key and policy) and as
 * the client wrote it (so an answer echoes the client's letter case, which 0x20-randomising
 * clients check).
 */
public final class ParsedQuery {
    int id;
    int flags;
    final byte[] name;
    final byte[] nameAsSent;
    int nameLength;
    int labelCount;
    /** Offset in {@link #name} of each label's length octet, left to right (at most 127 labels). */
    final int[] labelOffsets;

    int type;
    int qclass;
    /** True once the whole question was read, so an error answer can echo it. */
    boolean questionRead;

    boolean hasEdns;
    int ednsVersion;
    int udpSize;
    boolean dnssecOk;

    /**
     * Where the TSIG record (RFC 8945) starts in the buffer the query was parsed from, or -1:
     * the pipeline answers a signed query it cannot verify with BADKEY, copying from there.
     */
    int tsigAt = -1;

    /** EDNS Client Subnet (RFC 7871): 0 if absent, else its FAMILY (1 IPv4, 2 IPv6). */
    int ecsFamily;

    int ecsSourcePrefix;
    /** The ECS address, zero-padded to 16 octets (4 used for IPv4). */
    final byte[] ecsAddress = new byte[16];

    void reset() {
        id = 0;
        flags = 0;
        nameLength = 0;
        labelCount = 0;
        type = 0;
        qclass = 0;
        questionRead = false;
        hasEdns = false;
        ednsVersion = 0;
        udpSize = DnsConstants.CLASSIC_UDP_SIZE;
        dnssecOk = false;
        ecsFamily = 0;
        ecsSourcePrefix = 0;
        tsigAt = -1;
    }

    /** Whether the query carries a TSIG record (always the last one, or it was refused as FORMERR). */
    public boolean hasTsig() {
        return tsigAt >= 0;
    }

    /** The reader index of the TSIG record in the buffer this query was parsed from. */
    public int tsigAt() {
        return tsigAt;
    }

    /** The EDNS Client Subnet option's family: 0 none, 1 IPv4, 2 IPv6. */
    public int ecsFamily() {
        return ecsFamily;
    }

    /** The ECS option's SOURCE PREFIX-LENGTH. */
    public int ecsSourcePrefix() {
        return ecsSourcePrefix;
    }

    /** The ECS address, zero-padded to 16 octets; meaningful when {@link #ecsFamily()} is not 0. Do not modify. */
    public byte[] ecsAddress() {
        return ecsAddress;
    }

    public int id() {
        return id;
    }

    public int flags() {
        return flags;
    }

    public int opcode() {
        return (flags & DnsConstants.OPCODE_MASK) >>> 11;
    }

    public boolean recursionDesired() {
        return (flags & DnsConstants.FLAG_RD) != 0;
    }

    public boolean checkingDisabled() {
        return (flags & DnsConstants.FLAG_CD) != 0;
    }

    /** Lowercased wire-form name, valid in {@code [0, nameLength())}, ending with the root label. */
    public byte[] name() {
        return name;
    }

    /** The name as the client sent it (same length as {@link #name()}), for echoing its letter case. */
    public byte[] nameAsSent() {
        return nameAsSent;
    }

    public int nameLength() {
        return nameLength;
    }

    public int labelCount() {
        return labelCount;
    }

    /**
     * Offset in {@link #name()} of label {@code i}'s length octet, counting from the left; the
     * suffix starting there is itself a wire-form name (the policy walks suffixes right to left).
     */
    public int labelOffset(int i) {
        return labelOffsets[i];
    }

    public int type() {
        return type;
    }

    public int qclass() {
        return qclass;
    }

    public boolean questionRead() {
        return questionRead;
    }

    public boolean hasEdns() {
        return hasEdns;
    }

    public int ednsVersion() {
        return ednsVersion;
    }

    /** The UDP payload size the client can take: 512 without EDNS, at least 512 with it. */
    public int udpSize() {
        return udpSize;
    }

    public boolean dnssecOk() {
        return dnssecOk;
    }

    /**
     * A query for {@code wire} (lowercase uncompressed wire form), type A: what the policy is
     * asked about for a CNAME target in an upstream answer. Cold path.
     */
    /** A reusable instance that {@link QueryParser#parse} fills, with room for any name. */
    public ParsedQuery() {
        this(new byte[DnsConstants.MAX_NAME_LENGTH], new byte[DnsConstants.MAX_NAME_LENGTH], new int[128]);
    }

    private ParsedQuery(byte[] name, byte[] nameAsSent, int[] labelOffsets) {
        this.name = name;
        this.nameAsSent = nameAsSent;
        this.labelOffsets = labelOffsets;
    }

    public static ParsedQuery forName(byte[] wire) {
        ParsedQuery q = new ParsedQuery();
        int pos = 0;
        int labels = 0;
        while (pos < wire.length && wire[pos] != 0 && labels < q.labelOffsets.length) {
            q.labelOffsets[labels++] = pos;
            pos += (wire[pos] & 0xFF) + 1;
        }
        System.arraycopy(wire, 0, q.name, 0, Math.min(wire.length, q.name.length));
        System.arraycopy(wire, 0, q.nameAsSent, 0, Math.min(wire.length, q.nameAsSent.length));
        q.nameLength = Math.min(wire.length, DnsConstants.MAX_NAME_LENGTH);
        q.labelCount = labels;
        q.type = DnsConstants.TYPE_A;
        q.qclass = DnsConstants.CLASS_IN;
        q.questionRead = true;
        return q;
    }

    /**
     * Makes this reusable instance a type-A query for {@code length} octets of uncompressed wire
     * name in {@code wire} (lowercased here): how the policy is asked about a name an answer
     * leads to without allocating. False if the name is not well formed.
     */
    public boolean loadName(byte[] wire, int length, int type) {
        reset();
        if (length < 1 || length > DnsConstants.MAX_NAME_LENGTH || length > name.length) {
            return false;
        }
        int pos = 0;
        int labels = 0;
        while (pos < length && wire[pos] != 0) {
            if (labels == labelOffsets.length || pos + (wire[pos] & 0xFF) + 1 >= length) {
                return false;
            }
            labelOffsets[labels++] = pos;
            pos += (wire[pos] & 0xFF) + 1;
        }
        if (pos != length - 1) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            nameAsSent[i] = wire[i];
            name[i] = DnsNames.lower(wire[i]);
        }
        nameLength = length;
        labelCount = labels;
        this.type = type;
        qclass = DnsConstants.CLASS_IN;
        questionRead = true;
        return true;
    }

    /**
     * Makes this reusable instance {@code from}'s query with {@code target} (uncompressed,
     * lowercase wire form) as its name: same ID, flags, type, class and EDNS facts. What a
     * redirect (SafeSearch, RPZ CNAME) looks up and forwards. False if the name is malformed.
     */
    public boolean loadRedirect(ParsedQuery from, byte[] target) {
        if (!loadName(target, target.length, from.type)) {
            return false;
        }
        id = from.id;
        flags = from.flags;
        qclass = from.qclass;
        hasEdns = from.hasEdns;
        ednsVersion = from.ednsVersion;
        udpSize = from.udpSize;
        dnssecOk = from.dnssecOk;
        return true;
    }

    /**
     * A detached copy, for the miss path where the query outlives the event loop's reused
     * instance. Its arrays are only as long as this name (a miss keeps 60 bytes, not 1 KiB), so it
     * is read-only: never parse into it.
     */
    public ParsedQuery copy() {
        ParsedQuery c = new ParsedQuery(
                Arrays.copyOf(name, nameLength),
                Arrays.copyOf(nameAsSent, nameLength),
                Arrays.copyOf(labelOffsets, labelCount));
        c.id = id;
        c.flags = flags;
        c.nameLength = nameLength;
        c.labelCount = labelCount;
        c.type = type;
        c.qclass = qclass;
        c.questionRead = questionRead;
        c.hasEdns = hasEdns;
        c.ednsVersion = ednsVersion;
        c.udpSize = udpSize;
        c.dnssecOk = dnssecOk;
        return c;
    }

    /**
     * The question as one string (lowercase name in wire form, type, class, DO and CD): identical
     * questions in flight share one resolution. Miss path only (it allocates).
     */
    public String questionKey() {
        return new String(name, 0, nameLength, StandardCharsets.ISO_8859_1)
                + '/'
                + type
                + '/'
                + qclass
                + '/'
                + (dnssecOk ? 'D' : '-')
                + (checkingDisabled() ? 'C' : '-');
    }

    /** The name in presentation form (cold path: logs, tests). */
    public String nameText() {
        return DnsNames.toText(name, 0, nameLength);
    }

    @Override
    public String toString() {
        return "ParsedQuery{id=" + id + ", name=" + DnsNames.toText(nameAsSent, 0, nameLength) + ", type=" + type
                + ", class=" + qclass + ", edns=" + hasEdns + ", udpSize=" + udpSize + ", do=" + dnssecOk + "}";
    }

    /** Test helper: the lowercased name bytes. */
    byte[] nameBytes() {
        return Arrays.copyOf(name, nameLength);
    }
}
