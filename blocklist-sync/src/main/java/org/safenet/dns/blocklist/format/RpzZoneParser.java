package org.safenet.dns.blocklist.format;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TTL;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Reads a response policy zone (draft-vixie-dnsop-dns-rpz, as BIND, Knot and Unbound read it)
 * written in master-file syntax ({@link ZoneFileReader}): {@code $ORIGIN}, {@code $TTL}, owners
 * relative or absolute or {@code @} or left blank, TTL and class in either order, records over
 * several lines in parentheses, comments anywhere. Each policy record becomes one {@link
 * ListEntry}; the zone's own apex records (SOA, NS) and its DNSSEC records are skipped; anything
 * the appliance cannot honour as written is reported with its line and the reason, never changed
 * into something else.
 *
 * <p>Triggers: QNAME ({@code name}, {@code *.name}), response IP ({@code <prefix>.rpz-ip}) and
 * client IP ({@code <prefix>.rpz-client-ip}). RPZ-NSDNAME and RPZ-NSIP need the answer's name
 * servers, which a forwarding resolver does not see: refused. Actions: {@code CNAME .}
 * (NXDOMAIN), {@code CNAME *.} (NODATA), {@code CNAME rpz-passthru.} (or, the older form, a CNAME
 * to the trigger itself), {@code CNAME rpz-drop.}, {@code CNAME rpz-tcp-only.}, a CNAME to any
 * other name (a rewrite), and local data of any other type.
 */
final class RpzZoneParser {
    private RpzZoneParser() {}

    private static final Name PASSTHRU = Name.fromConstantString("rpz-passthru.");
    private static final Name DROP = Name.fromConstantString("rpz-drop.");
    private static final Name TCP_ONLY = Name.fromConstantString("rpz-tcp-only.");
    private static final Name NODATA = Name.fromConstantString("*.");

    static void parse(BufferedReader in, ParseReport report, Consumer<ListEntry> out) throws IOException {
        new RpzZoneParser.Zone(report, out).read(new ZoneFileReader(in, report::countLine));
    }

    /** What a zone file carries from record to record. */
    private static final class Zone {
        private final ParseReport report;
        private final Consumer<ListEntry> out;
        private Name origin = Name.root;
        /** The policy zone's name: its SOA's owner, else the first $ORIGIN; triggers are relative to it. */
        private @Nullable Name apex;

        private boolean apexFromSoa;
        private @Nullable Name lastOwner;
        /** $TTL: the TTL of records that give none; -1 before any (the sinkhole's TTL then). */
        private long defaultTtl = -1;

        Zone(ParseReport report, Consumer<ListEntry> out) {
            this.report = report;
            this.out = out;
        }

        void read(ZoneFileReader reader) throws IOException {
            for (ZoneFileReader.Record r = reader.next(); r != null; r = reader.next()) {
                if (r.error() != null) {
                    report.countInvalid(r.line(), r.text(), r.error());
                } else if (r.tokens().isEmpty()) {
                    report.countIgnored();
                } else if (!r.ownerBlank() && r.tokens().get(0).startsWith("$")) {
                    directive(r);
                } else {
                    String reason = record(r);
                    if (reason != null) {
                        report.countInvalid(r.line(), r.text(), reason);
                    }
                }
            }
        }

        private void directive(ZoneFileReader.Record r) {
            List<String> t = r.tokens();
            String name = t.get(0).toUpperCase(Locale.ROOT);
            switch (name) {
                case "$ORIGIN" -> {
                    if (t.size() != 2) {
                        report.countInvalid(r.line(), r.text(), "$ORIGIN takes one name");
                        return;
                    }
                    try {
                        origin = Name.fromString(t.get(1), origin);
                    } catch (TextParseException e) {
                        report.countInvalid(r.line(), r.text(), "$ORIGIN: " + e.getMessage());
                        return;
                    }
                    if (apex == null) {
                        apex = origin;
                    }
                    report.countIgnored();
                }
                case "$TTL" -> {
                    if (t.size() != 2 || !isTtl(t.get(1))) {
                        report.countInvalid(r.line(), r.text(), "$TTL takes one TTL");
                        return;
                    }
                    defaultTtl = TTL.parseTTL(t.get(1));
                    report.countIgnored();
                }
                case "$INCLUDE" ->
                    report.countInvalid(
                            r.line(),
                            r.text(),
                            "$INCLUDE is not followed: a policy zone must come as one file (as in a zone transfer)");
                case "$GENERATE" -> report.countInvalid(r.line(), r.text(), "$GENERATE is not supported");
                default -> report.countInvalid(r.line(), r.text(), "unknown directive " + t.get(0));
            }
        }

        /** Reads one record; returns why it is invalid, or null (counted as an entry or ignored). */
        private @Nullable String record(ZoneFileReader.Record r) {
            List<String> t = r.tokens();
            int i = 0;
            Name owner;
            if (r.ownerBlank()) {
                owner = lastOwner;
                if (owner == null) {
                    return "no owner: the first record starts with a blank";
                }
            } else {
                String token = t.get(i++);
                try {
                    owner = token.equals("@") ? origin : Name.fromString(token, origin);
                } catch (TextParseException e) {
                    return "bad owner name: " + e.getMessage();
                }
                lastOwner = owner;
            }
            boolean ttlSeen = false;
            boolean classSeen = false;
            long ttl = defaultTtl;
            while (i < t.size()) {
                String token = t.get(i);
                if (!ttlSeen && isTtl(token)) {
                    ttlSeen = true;
                    ttl = TTL.parseTTL(token);
                } else if (!classSeen && DClass.value(token) >= 0) {
                    classSeen = true;
                    if (DClass.value(token) != DClass.IN) {
                        return "class " + token.toUpperCase(Locale.ROOT) + ": a policy zone is class IN";
                    }
                } else {
                    break;
                }
                i++;
            }
            if (i >= t.size()) {
                return "no record type";
            }
            int type = Type.value(t.get(i).toUpperCase(Locale.ROOT));
            if (type < 0) {
                return "unknown record type " + t.get(i);
            }
            String rdata = String.join(" ", t.subList(i + 1, t.size()));
            if (type == Type.SOA && !apexFromSoa) {
                apex = owner;
                apexFromSoa = true;
            }
            if (owner.equals(apex) || LocalData.isDnssec(type)) {
                report.countIgnored(); // the zone's own SOA, NS (and anything else at its apex), its signatures
                return null;
            }
            String trigger = trigger(owner);
            if (trigger.isEmpty()) {
                return "no trigger: the owner is the root";
            }
            String described = RpzMeta.suffixOf(trigger);
            if (described != null) {
                return meta(described, type, t.subList(i + 1, t.size()), r);
            }
            int dot = trigger.lastIndexOf('.');
            String kind = trigger.substring(dot + 1);
            String rest = dot < 0 ? "" : trigger.substring(0, dot);
            Policy p;
            try {
                p = policy(type, rdata, owner, trigger, origin, ttl);
            } catch (Refused e) {
                return e.getMessage();
            }
            return switch (kind) {
                case "rpz-ip" -> ip(rest, false, p, r);
                case "rpz-client-ip" -> ip(rest, true, p, r);
                case "rpz-nsdname", "rpz-nsip" ->
                    kind.toUpperCase(Locale.ROOT)
                            + " triggers need the name servers behind an answer, which a forwarding resolver does not"
                            + " see (they come with recursion)";
                default -> kind.startsWith("rpz-") ? "unknown RPZ trigger type " + kind : qname(trigger, p, r);
            };
        }

        /** The owner relative to the policy zone, lowercase, without the final dot. */
        private String trigger(Name owner) {
            Name relative = apex != null && owner.subdomain(apex) ? owner.relativize(apex) : owner;
            return relative.toString(true).toLowerCase(Locale.ROOT);
        }

        private @Nullable String qname(String trigger, Policy p, ZoneFileReader.Record r) {
            Match match = Match.EXACT;
            String name = trigger;
            if (trigger.startsWith("*.")) {
                match = Match.DESCENDANTS;
                name = trigger.substring(2);
            }
            byte[] wire;
            try {
                wire = ListParser.name(name, true);
            } catch (ListParser.BadName e) {
                return e.getMessage();
            }
            out.accept(new ListEntry(wire, null, match, p.action, p.data, r.line()));
            report.countEntry();
            return null;
        }

        /** A SafeNet DNS metadata record ({@link RpzMeta}) for the trigger {@code described}. */
        private @Nullable String meta(String described, int type, List<String> strings, ZoneFileReader.Record r) {
            if (type != Type.TXT) {
                return "SafeNet DNS metadata (" + RpzMeta.LABEL + ") must be a TXT record";
            }
            RpzMeta meta;
            try {
                meta = RpzMeta.parse(strings);
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
            int dot = described.lastIndexOf('.');
            String kind = described.substring(dot + 1);
            if (kind.equals("rpz-ip") || kind.equals("rpz-client-ip")) {
                CidrPrefix prefix = prefix(dot < 0 ? "" : described.substring(0, dot));
                if (prefix == null) {
                    return "SafeNet DNS metadata for a bad IP trigger";
                }
                out.accept(new ListEntry(
                        null, prefix, Match.EXACT, Action.BLOCK, null, r.line(), kind.equals("rpz-client-ip"), meta));
            } else {
                Match match = described.startsWith("*.") ? Match.DESCENDANTS : Match.EXACT;
                try {
                    byte[] wire =
                            ListParser.name(match == Match.DESCENDANTS ? described.substring(2) : described, true);
                    out.accept(new ListEntry(wire, null, match, Action.BLOCK, null, r.line(), false, meta));
                } catch (ListParser.BadName e) {
                    return e.getMessage();
                }
            }
            report.countIgnored(); // metadata, not an entry of its own
            return null;
        }

        /**
         * {@code <prefix length>.<address reversed>}: IPv4 as {@code 32.4.3.2.1} for 1.2.3.4/32,
         * IPv6 as {@code 128.<groups reversed, "zz" for "::">} (ISC's RPZ draft, §4.2).
         */
        private @Nullable String ip(String reversed, boolean client, Policy p, ZoneFileReader.Record r) {
            CidrPrefix prefix = prefix(reversed);
            if (prefix == null) {
                return "bad " + (client ? "rpz-client-ip" : "rpz-ip")
                        + " trigger: not <prefix length>.<address reversed>";
            }
            out.accept(new ListEntry(null, prefix, Match.EXACT, p.action, p.data, r.line(), client));
            report.countEntry();
            return null;
        }
    }

    /** An action and its data. */
    private record Policy(Action action, @Nullable String data) {}

    /** Why a record cannot be honoured. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    private static Policy policy(int type, String rdata, Name owner, String trigger, Name origin, long ttl)
            throws Refused {
        if (type == Type.CNAME) {
            Name target;
            try {
                target = Name.fromString(rdata.trim(), origin);
            } catch (TextParseException e) {
                throw new Refused("bad CNAME target: " + e.getMessage());
            }
            if (rdata.isBlank()) {
                throw new Refused("CNAME without a target");
            }
            if (target.equals(Name.root)) {
                return new Policy(Action.NXDOMAIN, null);
            }
            if (target.equals(NODATA)) {
                return new Policy(Action.NODATA, null);
            }
            if (target.equals(PASSTHRU) || target.equals(owner)) {
                return new Policy(Action.PASSTHRU, null);
            }
            if (target.equals(DROP)) {
                return new Policy(Action.DROP, null);
            }
            if (target.equals(TCP_ONLY)) {
                return new Policy(Action.TCP_ONLY, null);
            }
            if (target.isWild()) {
                throw new Refused("a CNAME to *." + target.toString().substring(2)
                        + " (the query name under another name) is not supported");
            }
            String text = target.toString().toLowerCase(Locale.ROOT);
            if (text.equals(trigger + ".")) {
                return new Policy(Action.PASSTHRU, null); // the older passthru: a CNAME to the trigger itself
            }
            return new Policy(Action.CNAME, text);
        }
        String refusal = LocalData.refusal(type);
        if (refusal != null) {
            throw new Refused(refusal);
        }
        try {
            return new Policy(Action.LOCAL_DATA, LocalData.line(type, rdata, origin, ttl));
        } catch (IOException e) {
            // dnsjava's tokenizer names its own input "<none>:1"; the line number is ours to give.
            String why = String.valueOf(e.getMessage()).replaceFirst("^<none>:\\d+: ", "");
            throw new Refused("local data " + Type.string(type) + " is not valid: " + why);
        }
    }

    private static boolean isTtl(String token) {
        if (token.isEmpty() || !Character.isDigit(token.charAt(0))) {
            return false;
        }
        try {
            TTL.parseTTL(token);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static @Nullable CidrPrefix prefix(String reversed) {
        String[] parts = reversed.split("\\.");
        if (parts.length < 2) {
            return null;
        }
        try {
            int length = Integer.parseInt(parts[0]);
            StringBuilder address = new StringBuilder();
            boolean ipv4 = parts.length == 5 && length <= 32;
            for (int k = 1; ipv4 && k < parts.length; k++) {
                ipv4 = !parts[k].isEmpty() && parts[k].chars().allMatch(Character::isDigit);
            }
            if (ipv4) {
                for (int k = 4; k >= 1; k--) {
                    address.append(parts[k]).append(k > 1 ? "." : "");
                }
            } else {
                for (int k = parts.length - 1; k >= 1; k--) {
                    address.append(parts[k].equals("zz") ? "" : parts[k]).append(k > 1 ? ":" : "");
                }
            }
            String addr = address.toString();
            if (addr.startsWith(":") && !addr.startsWith("::")) {
                addr = ":" + addr;
            }
            if (addr.endsWith(":") && !addr.endsWith("::")) {
                addr = addr + ":";
            }
            CidrPrefix p = CidrPrefix.parse(addr + "/" + length);
            return p;
        } catch (RuntimeException e) {
            return null;
        }
    }
}
