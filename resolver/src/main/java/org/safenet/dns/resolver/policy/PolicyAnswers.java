package org.safenet.dns.resolver.policy;

import static org.safenet.dns.resolver.wire.DnsConstants.*;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.safenet.dns.resolver.wire.AnswerWriter;
import org.safenet.dns.resolver.wire.DnsConstants;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * Writes the answer a {@link Verdict} calls for, on the wire, from the query alone: no upstream,
 * no cache, no allocation. Negative answers carry a synthesised SOA (so clients cache them for
 * {@link SinkholeSettings#negativeTtl()}, RFC 2308 §3), and when the client speaks EDNS every
 * answer carries an Extended DNS Error (RFC 8914) whose text names the category and source.
 */
public final class PolicyAnswers {
    private final int ourUdpSize;
    private final byte[][] ipv4;
    private final byte[][] ipv6;
    private final int ttl;
    private final int negativeTtl;

    /** MNAME and RNAME of the synthesised SOA; ".invalid" (RFC 6761) can never collide with a real zone. */
    private static final byte[] SOA_MNAME = {
        7, 's', 'a', 'f', 'e', 'n', 'e', 't', 7, 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0
    };

    private static final byte[] SOA_RNAME = {6, 'n', 'o', 'b', 'o', 'd', 'y', 7, 'i', 'n', 'v', 'a', 'l', 'i', 'd', 0};

    private static final int EDE_OPTION = 15;

    private static final byte[][] NONE = new byte[0][];

    public PolicyAnswers(SinkholeSettings settings, int ourUdpSize) {
        this.ourUdpSize = ourUdpSize;
        this.ipv4 = addresses(settings.blockPageAddresses(), 4);
        this.ipv6 = addresses(settings.blockPageAddresses(), 16);
        this.ttl = (int) settings.ttl().toSeconds();
        this.negativeTtl = (int) settings.negativeTtl().toSeconds();
    }

    /** TTL of sinkhole answers, also the CNAME's in a redirect (SafeSearch, RPZ CNAME). */
    public int ttl() {
        return ttl;
    }

    static byte[][] addresses(List<InetAddress> all, int length) {
        List<byte[]> out = new ArrayList<>();
        for (InetAddress a : all) {
            if (a.getAddress().length == length) {
                out.add(a.getAddress());
            }
        }
        return out.toArray(new byte[0][]);
    }

    /**
     * Writes the answer for {@code verdict} to {@code out}. Returns false for {@link
     * PolicyAction#DROP} (nothing written, send nothing) and {@link PolicyAction#PASSTHRU} (resolve
     * normally); true when an answer was written.
     */
    public boolean write(ByteBuf out, ParsedQuery q, Verdict verdict) {
        return write(out, q, verdict, NO_NOTE, udpLimit(q), FLAG_AA);
    }

    private static final byte[] NO_NOTE = new byte[0];

    /**
     * As {@link #write(ByteBuf, ParsedQuery, Verdict)} for a client of {@code profile}: the EDE
     * text also names the profile, unless it is {@code default} or the verdict is the profile's
     * own (its source names it already).
     */
    public boolean write(ByteBuf out, ParsedQuery q, Verdict verdict, Profile profile) {
        return write(out, q, verdict, profile, udpLimit(q));
    }

    /**
     * As {@link #write(ByteBuf, ParsedQuery, Verdict, Profile)} with the largest answer the
     * client's transport takes ({@code maxSize}: its UDP size, or 65,535 over TCP): local data that
     * does not fit is answered with TC.
     */
    public boolean write(ByteBuf out, ParsedQuery q, Verdict verdict, Profile profile, int maxSize) {
        boolean named = profile.slot() == 0 || verdict.namesProfile();
        return write(out, q, verdict, named ? NO_NOTE : profile.edeNote(), maxSize, FLAG_AA);
    }

    /**
     * As {@link #write(ByteBuf, ParsedQuery, Verdict, Profile, int)} for a verdict on where an
     * upstream answer leads (an RPZ-IP trigger on one of its addresses, a listed CNAME target): the
     * rewritten answer does not claim authority (AA clear), as Unbound answers it; an answer
     * decided by the query's own name or client is the appliance's own data and has AA set.
     */
    public boolean writeForAnswer(ByteBuf out, ParsedQuery q, Verdict verdict, Profile profile, int maxSize) {
        boolean named = profile.slot() == 0 || verdict.namesProfile();
        return write(out, q, verdict, named ? NO_NOTE : profile.edeNote(), maxSize, 0);
    }

    private int udpLimit(ParsedQuery q) {
        return q.hasEdns() ? Math.min(q.udpSize(), ourUdpSize) : DnsConstants.CLASSIC_UDP_SIZE;
    }

    private boolean write(ByteBuf out, ParsedQuery q, Verdict verdict, byte[] note, int maxSize, int aa) {
        switch (verdict.action()) {
            case DROP, PASSTHRU -> {
                return false;
            }
            case TCP_ONLY -> {
                // Reached only over UDP (the pipeline resolves TCP queries normally): an empty
                // truncated answer sends the client to TCP, where spoofing is impractical.
                header(out, q, RCODE_NOERROR, 0, 0, DnsConstants.FLAG_TC | aa);
                AnswerWriter.writeQuestion(out, q);
                opt(out, q, verdict, RCODE_NOERROR, note);
            }
            case REFUSED -> {
                header(out, q, RCODE_REFUSED, 0, 0, 0);
                AnswerWriter.writeQuestion(out, q);
                opt(out, q, verdict, RCODE_REFUSED, note);
            }
            case NXDOMAIN -> negative(out, q, verdict, RCODE_NXDOMAIN, note, aa);
            case NODATA -> negative(out, q, verdict, RCODE_NOERROR, note, aa);
            case CNAME -> {
                byte[] target = verdict.cnameTarget();
                if (target == null) {
                    negative(out, q, verdict, RCODE_NXDOMAIN, note, aa);
                    return true;
                }
                header(out, q, RCODE_NOERROR, 1, 0, aa);
                AnswerWriter.writeQuestion(out, q);
                recordHeader(out, TYPE_CNAME, ttl, target.length);
                out.writeBytes(target);
                opt(out, q, verdict, RCODE_NOERROR, note);
            }
            case SINKHOLE -> sinkhole(out, q, verdict, note, maxSize, aa);
        }
        return true;
    }

    /** The rcode the answer for {@code action} carries (for counting answers by rcode). */
    public static int rcodeOf(PolicyAction action) {
        return switch (action) {
            case NXDOMAIN -> RCODE_NXDOMAIN;
            case REFUSED -> RCODE_REFUSED;
            default -> RCODE_NOERROR;
        };
    }

    private void sinkhole(ByteBuf out, ParsedQuery q, Verdict verdict, byte[] note, int maxSize, int aa) {
        if (verdict.hasLocalData()) {
            localData(out, q, verdict, note, maxSize, aa);
            return;
        }
        byte[][] addresses = q.type() == TYPE_A ? ipv4 : q.type() == TYPE_AAAA ? ipv6 : NONE;
        if (addresses.length == 0) {
            // Other types (MX, TXT, HTTPS...) of a blocked name exist no more than its addresses do.
            negative(out, q, verdict, RCODE_NOERROR, note, aa);
            return;
        }
        header(out, q, RCODE_NOERROR, addresses.length, 0, aa);
        AnswerWriter.writeQuestion(out, q);
        for (byte[] address : addresses) {
            recordHeader(out, q.type(), ttl, address.length);
            out.writeBytes(address);
        }
        opt(out, q, verdict, RCODE_NOERROR, note);
    }

    /**
     * RPZ local data: the records of the query's type (all of them, in the zone's order), NODATA
     * when there are none. Too many for the client's UDP size: an empty TC answer, so that it asks
     * again over TCP (RFC 1035 §4.2.1; RFC 7766).
     */
    private void localData(ByteBuf out, ParsedQuery q, Verdict verdict, byte[] note, int maxSize, int aa) {
        int[] types = verdict.localTypes();
        byte[][] rdata = verdict.localRdata();
        int[] ttls = verdict.localTtls();
        int count = 0;
        int size = 0;
        for (int i = 0; i < types.length; i++) {
            if (types[i] == q.type()) {
                count++;
                size += 12 + rdata[i].length;
            }
        }
        if (count == 0) {
            negative(out, q, verdict, RCODE_NOERROR, note, aa);
            return;
        }
        int start = out.writerIndex();
        header(out, q, RCODE_NOERROR, count, 0, aa);
        AnswerWriter.writeQuestion(out, q);
        int optSize = q.hasEdns() ? 11 + 6 + verdict.edeText().length + note.length : 0;
        if (out.writerIndex() - start + size + optSize > maxSize) {
            out.writerIndex(start);
            header(out, q, RCODE_NOERROR, 0, 0, DnsConstants.FLAG_TC | aa);
            AnswerWriter.writeQuestion(out, q);
            opt(out, q, verdict, RCODE_NOERROR, note);
            return;
        }
        for (int i = 0; i < types.length; i++) {
            if (types[i] == q.type()) {
                recordHeader(out, types[i], ttls[i] == LocalRecord.DEFAULT_TTL ? ttl : ttls[i], rdata[i].length);
                out.writeBytes(rdata[i]);
            }
        }
        opt(out, q, verdict, RCODE_NOERROR, note);
    }

    private void negative(ByteBuf out, ParsedQuery q, Verdict verdict, int rcode, byte[] note, int aa) {
        header(out, q, rcode, 0, 1, aa);
        AnswerWriter.writeQuestion(out, q);
        // SOA owned by the queried name: the answer is about that name only.
        int rdataLengthAt = recordHeader(out, TYPE_SOA, negativeTtl, 0);
        int rdataStart = out.writerIndex();
        out.writeBytes(SOA_MNAME);
        out.writeBytes(SOA_RNAME);
        out.writeInt(1); // serial
        out.writeInt(3600); // refresh
        out.writeInt(600); // retry
        out.writeInt(86400); // expire
        out.writeInt(negativeTtl); // minimum: the negative-caching TTL
        out.setShort(rdataLengthAt, out.writerIndex() - rdataStart);
        opt(out, q, verdict, rcode, note);
    }

    private void header(ByteBuf out, ParsedQuery q, int rcode, int answers, int authority, int extraFlags) {
        AnswerWriter.writeHeader(
                out,
                q.id(),
                AnswerWriter.responseFlags(q, extraFlags, rcode),
                1,
                answers,
                authority,
                q.hasEdns() ? 1 : 0);
    }

    /** Owner (pointer to the question name), type, class IN, TTL, RDLENGTH; returns RDLENGTH's offset. */
    private static int recordHeader(ByteBuf out, int type, int ttl, int rdlength) {
        out.writeShort(0xC000 | HEADER_LENGTH);
        out.writeShort(type);
        out.writeShort(CLASS_IN);
        out.writeInt(ttl);
        int at = out.writerIndex();
        out.writeShort(rdlength);
        return at;
    }

    /** Our OPT, with an EDE option naming category and source (RFC 8914), if the client sent EDNS. */
    private void opt(ByteBuf out, ParsedQuery q, Verdict verdict, int rcode, byte[] note) {
        if (!q.hasEdns()) {
            return;
        }
        byte[] text = verdict.edeText();
        out.writeByte(0);
        out.writeShort(TYPE_OPT);
        out.writeShort(ourUdpSize);
        out.writeByte(rcode >>> 4);
        out.writeByte(0);
        out.writeShort(q.dnssecOk() ? EDNS_DO : 0);
        out.writeShort(4 + 2 + text.length + note.length);
        out.writeShort(EDE_OPTION);
        out.writeShort(2 + text.length + note.length);
        out.writeShort(verdict.edeInfoCode());
        out.writeBytes(text);
        out.writeBytes(note);
    }
}
