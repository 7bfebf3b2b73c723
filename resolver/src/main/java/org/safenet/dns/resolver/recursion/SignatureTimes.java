package org.safenet.dns.resolver.recursion;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Tells a bogus answer whose signatures expired (EDE 7) or are not yet valid (EDE 8) from other
 * bogus answers (EDE 6). dnsjava's validator reports a DNSKEY set whose signatures all expired as
 * "not secured by a DNSKEY that matches the DS" (EDE 6) and drops the reason; a helpdesk needs to
 * know that the domain's operator let its signatures lapse. Only asked after the validator said
 * bogus: the answer and its signers' DNSKEY sets are fetched again, unvalidated, and their
 * signature times read. What it found is kept a minute per question, so repeated queries for a
 * broken name cost no more lookups.
 */
final class SignatureTimes {
    private record Found(int code, long untilMillis) {}

    private final Resolver fetching;
    private final LongSupplier clockMillis;
    private final Bounded<String, Found> recent = new Bounded<>(1024);

    SignatureTimes(Resolver fetching, LongSupplier clockMillis) {
        this.fetching = fetching;
        this.clockMillis = clockMillis;
    }

    /** EDE 7, 8, or 6 (DNSSEC Bogus) for {@code name}/{@code type}, whose answer the validator found bogus. */
    int refine(Name name, int type) {
        long now = clockMillis.getAsLong();
        String key = name.toString().toLowerCase() + '/' + type;
        Found f = recent.get(key);
        if (f != null && f.untilMillis() > now) {
            return f.code();
        }
        int code = ExtendedErrorCodeOption.DNSSEC_BOGUS;
        try {
            List<RRSIGRecord> sigs = new ArrayList<>();
            Message data = fetch(name, type);
            Set<Name> signers = new LinkedHashSet<>();
            for (int section : new int[] {Section.ANSWER, Section.AUTHORITY}) {
                for (Record r : data.getSection(section)) {
                    if (r instanceof RRSIGRecord sig) {
                        sigs.add(sig);
                        signers.add(sig.getSigner());
                    }
                }
            }
            for (Name signer : signers) {
                for (Record r : fetch(signer, Type.DNSKEY).getSection(Section.ANSWER)) {
                    if (r instanceof RRSIGRecord sig) {
                        sigs.add(sig);
                    }
                }
            }
            code = classify(sigs, Instant.ofEpochMilli(now));
        } catch (Exception e) {
            // Could not look again: the validator's verdict stands.
        }
        recent.put(key, new Found(code, now + 60_000));
        return code;
    }

    /**
     * 7 when the signatures of some RRset all expired, 8 when they are all not yet valid, else 6.
     */
    static int classify(List<RRSIGRecord> sigs, Instant now) {
        Map<String, List<RRSIGRecord>> bySet = new HashMap<>();
        for (RRSIGRecord s : sigs) {
            bySet.computeIfAbsent(
                            s.getName().toString().toLowerCase() + '/' + s.getTypeCovered(), k -> new ArrayList<>())
                    .add(s);
        }
        boolean notYet = false;
        for (List<RRSIGRecord> set : bySet.values()) {
            if (set.stream().allMatch(s -> s.getExpire().isBefore(now))) {
                return ExtendedErrorCodeOption.SIGNATURE_EXPIRED;
            }
            if (set.stream().allMatch(s -> s.getTimeSigned().isAfter(now))) {
                notYet = true;
            }
        }
        return notYet ? ExtendedErrorCodeOption.SIGNATURE_NOT_YET_VALID : ExtendedErrorCodeOption.DNSSEC_BOGUS;
    }

    private Message fetch(Name name, int type) throws Exception {
        Message q = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        q.getHeader().setFlag(Flags.CD);
        q.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        return fetching.sendAsync(q).toCompletableFuture().get();
    }
}
