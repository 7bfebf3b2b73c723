package org.safenet.dns.blocklist.format;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.IDN;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * Reads a list in one of the {@link ListFormat}s, line by line, handing each valid entry to a
 * consumer and recording every other line in a {@link ParseReport}. Never throws for content;
 * only for I/O.
 */
public final class ListParser {
    private ListParser() {}

    /** Hosts-file lines that name the machine itself, in nearly every published hosts list. */
    private static final Set<String> HOSTS_BOILERPLATE = Set.of(
            "localhost",
            "localhost.localdomain",
            "local",
            "broadcasthost",
            "ip6-localhost",
            "ip6-loopback",
            "ip6-localnet",
            "ip6-mcastprefix",
            "ip6-allnodes",
            "ip6-allrouters",
            "ip6-allhosts",
            "0.0.0.0");

    /** Why a token is not a name a list may hold; the message is the reason, for people. */
    public static final class BadName extends Exception {
        private static final long serialVersionUID = 1L;

        BadName(String reason) {
            super(reason, null, false, false);
        }
    }

    public static ParseReport parse(ListFormat format, BufferedReader in, String source, Consumer<ListEntry> out)
            throws IOException {
        ParseReport report = new ParseReport(source);
        if (format == ListFormat.RPZ) {
            RpzZoneParser.parse(in, report, out);
            return report;
        }
        String line;
        int n = 0;
        while ((line = in.readLine()) != null) {
            n++;
            report.countLine();
            if (n == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                line = line.substring(1); // byte order mark
            }
            switch (format) {
                case DOMAINS -> domainsLine(line, n, report, out);
                case HOSTS -> hostsLine(line, n, report, out);
                case ADBLOCK -> adblockLine(line, n, report, out);
                case RPZ -> throw new IllegalStateException("read by RpzZoneParser");
            }
        }
        return report;
    }

    /**
     * Normalises one name token: trailing dot dropped, lowercased, an IDN turned into its A-label
     * (punycode) form; returns lowercase wire form. The rules every new entry obeys, from a list
     * file or the admin API: no URLs or IP addresses, no single labels (a TLD or a host name).
     */
    public static byte[] name(String token) throws BadName {
        return name(token, false);
    }

    /**
     * As {@link #name(String)}; {@code singleLabel} lets a single label through (an RPZ trigger on
     * a TLD, which the importer's public-suffix rail then refuses unless the source allows it).
     */
    static byte[] name(String token, boolean singleLabel) throws BadName {
        String t = token.trim();
        if (t.endsWith(".")) {
            t = t.substring(0, t.length() - 1);
        }
        if (t.isEmpty()) {
            throw new BadName("empty name");
        }
        if (t.indexOf('/') >= 0 || t.indexOf(':') >= 0 || t.indexOf('?') >= 0) {
            throw new BadName("a URL or address, not a domain name");
        }
        if (!t.chars().allMatch(c -> c < 0x80)) {
            try {
                t = IDN.toASCII(t, IDN.ALLOW_UNASSIGNED);
            } catch (IllegalArgumentException e) {
                throw new BadName("not a valid internationalised name");
            }
        }
        t = t.toLowerCase(Locale.ROOT);
        if (t.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
            throw new BadName("an IP address, not a domain name");
        }
        if (t.indexOf('.') < 0 && !singleLabel) {
            throw new BadName("a single-label name (a TLD or host name)");
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
                throw new BadName("character '" + c + "' is not allowed in a domain name");
            }
        }
        try {
            return DnsNames.toWire(t);
        } catch (IllegalArgumentException e) {
            throw new BadName(e.getMessage());
        }
    }

    private static String stripComment(String line, char marker) {
        int hash = line.indexOf(marker);
        return (hash >= 0 ? line.substring(0, hash) : line).trim();
    }

    private static void domainsLine(String raw, int n, ParseReport report, Consumer<ListEntry> out) {
        String line = stripComment(raw, '#');
        if (line.isEmpty() || line.startsWith("!")) {
            report.countIgnored();
            return;
        }
        String[] tokens = line.split("\\s+");
        if (tokens.length != 1) {
            report.countInvalid(n, raw, "more than one name on a line");
            return;
        }
        String token = tokens[0].startsWith("*.") ? tokens[0].substring(2) : tokens[0];
        emit(token, Match.SUBTREE, Action.BLOCK, null, n, raw, report, out);
    }

    private static void hostsLine(String raw, int n, ParseReport report, Consumer<ListEntry> out) {
        String line = stripComment(raw, '#');
        if (line.isEmpty()) {
            report.countIgnored();
            return;
        }
        String[] tokens = line.split("\\s+");
        if (tokens.length < 2) {
            report.countInvalid(n, raw, "no address and name pair");
            return;
        }
        if (!tokens[0].chars().allMatch(c -> c == '.' || c == ':' || Character.digit(c, 16) >= 0)) {
            report.countInvalid(n, raw, "the first field is not an address");
            return;
        }
        boolean any = false;
        for (int i = 1; i < tokens.length; i++) {
            if (HOSTS_BOILERPLATE.contains(tokens[i].toLowerCase(Locale.ROOT))) {
                continue;
            }
            any = true;
            emit(tokens[i], Match.EXACT, Action.BLOCK, null, n, raw, report, out);
        }
        if (!any) {
            report.countIgnored();
        }
    }

    private static void adblockLine(String raw, int n, ParseReport report, Consumer<ListEntry> out) {
        String line = raw.trim();
        if (line.isEmpty() || line.startsWith("!") || line.startsWith("[") || line.startsWith("#")) {
            report.countIgnored();
            return;
        }
        Action action = Action.BLOCK;
        if (line.startsWith("@@")) {
            action = Action.ALLOW;
            line = line.substring(2);
        }
        int dollar = line.indexOf('$');
        if (dollar >= 0) {
            String modifiers = line.substring(dollar + 1);
            // $important only raises priority among adblock rules; anything else narrows the rule
            // to clients, types or pages a DNS server cannot see.
            if (!modifiers.equals("important")) {
                report.countInvalid(n, raw, "modifiers other than $important are not DNS rules");
                return;
            }
            line = line.substring(0, dollar);
        }
        if (!line.startsWith("||") || !line.endsWith("^") || line.length() < 4) {
            report.countInvalid(n, raw, "not a ||domain^ rule");
            return;
        }
        String token = line.substring(2, line.length() - 1);
        if (token.indexOf('*') >= 0) {
            report.countInvalid(n, raw, "wildcards inside a rule are not DNS rules");
            return;
        }
        emit(token, Match.SUBTREE, action, null, n, raw, report, out);
    }

    private static void emit(
            String token,
            Match match,
            Action action,
            @Nullable String data,
            int n,
            String raw,
            ParseReport report,
            Consumer<ListEntry> out) {
        try {
            out.accept(new ListEntry(name(token), null, match, action, data, n));
            report.countEntry();
        } catch (BadName e) {
            report.countInvalid(n, raw, e.getMessage());
        }
    }
}
