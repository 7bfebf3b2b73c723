package org.safenet.dns.blocklist.importer;

import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListEntry;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListParser;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * What a source's entries become, whatever the list said: a source's {@code action}, with the
 * names of BIND's {@code policy} and Unbound's {@code rpz-action-override}:
 *
 * <ul>
 *   <li>{@code list} (or RPZ's {@code given}): the list's own meaning: plain lines take the
 *       category's action, RPZ records their own policy;
 *   <li>{@code block}: every trigger but a passthru takes the category's action (a downstream
 *       appliance reading another's RPZ export);
 *   <li>{@code nxdomain}, {@code nodata}, {@code passthru}, {@code drop}, {@code tcp-only}: every
 *       entry gets that action;
 *   <li>{@code cname NAME}: every entry answers with a CNAME to NAME (a walled garden);
 *   <li>{@code disabled}: the list is fetched and read, its lines checked and counted, and none of
 *       its entries is applied (BIND's "disabled" also logs what would have matched; we do not).
 * </ul>
 *
 * @param kind which of them
 * @param cnameTarget the target of {@code cname NAME} (absolute, lowercase), else null
 */
public record SourceAction(Kind kind, @Nullable String cnameTarget) {
    /** The overrides. */
    public enum Kind {
        LIST,
        BLOCK,
        NXDOMAIN,
        NODATA,
        DROP,
        PASSTHRU,
        TCP_ONLY,
        CNAME,
        DISABLED
    }

    public static final SourceAction LIST = new SourceAction(Kind.LIST, null);
    public static final SourceAction BLOCK = new SourceAction(Kind.BLOCK, null);
    public static final SourceAction NXDOMAIN = new SourceAction(Kind.NXDOMAIN, null);
    public static final SourceAction NODATA = new SourceAction(Kind.NODATA, null);
    public static final SourceAction DROP = new SourceAction(Kind.DROP, null);
    public static final SourceAction PASSTHRU = new SourceAction(Kind.PASSTHRU, null);
    public static final SourceAction TCP_ONLY = new SourceAction(Kind.TCP_ONLY, null);
    public static final SourceAction DISABLED = new SourceAction(Kind.DISABLED, null);

    /** What the configuration may say, for error messages. */
    public static final String ALLOWED =
            "list (or given), block, nxdomain, nodata, passthru, drop, tcp-only, disabled, cname NAME";

    public SourceAction {
        if ((kind == Kind.CNAME) != (cnameTarget != null)) {
            throw new IllegalArgumentException("a cname action needs its target, and only it");
        }
    }

    /** {@code cname NAME}: every entry a CNAME to {@code target}. */
    public static SourceAction cname(String target) {
        try {
            byte[] wire = ListParser.name(target);
            return new SourceAction(Kind.CNAME, DnsNames.toText(wire, 0, wire.length));
        } catch (ListParser.BadName e) {
            throw new IllegalArgumentException("cname target '" + target + "': " + e.getMessage(), e);
        }
    }

    /**
     * Reads a configured action: one of {@link #ALLOWED}, any case.
     *
     * @throws IllegalArgumentException with what is wrong
     */
    public static SourceAction parse(String text) {
        String t = text.trim();
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.startsWith("cname ") || lower.startsWith("cname\t")) {
            return cname(t.substring(6).trim());
        }
        return switch (lower) {
            case "list", "given" -> LIST;
            case "block" -> BLOCK;
            case "nxdomain" -> NXDOMAIN;
            case "nodata" -> NODATA;
            case "drop" -> DROP;
            case "passthru" -> PASSTHRU;
            case "tcp-only", "tcp_only" -> TCP_ONLY;
            case "disabled" -> DISABLED;
            case "cname" -> throw new IllegalArgumentException("cname needs a target: cname NAME");
            default -> throw new IllegalArgumentException("'" + text + "' (one of " + ALLOWED + ")");
        };
    }

    /** The entry as this action makes it, or null when nothing of the source is applied ({@code disabled}). */
    @Nullable
    ListEntry apply(ListEntry e) {
        Action listed = e.action();
        Action action = switch (kind) {
            case LIST -> listed;
            case BLOCK -> listed == Action.ALLOW || listed == Action.PASSTHRU ? listed : Action.BLOCK;
            case NXDOMAIN -> Action.NXDOMAIN;
            case NODATA -> Action.NODATA;
            case DROP -> Action.DROP;
            case PASSTHRU -> Action.PASSTHRU;
            case TCP_ONLY -> Action.TCP_ONLY;
            case CNAME -> Action.CNAME;
            case DISABLED -> null;
        };
        if (action == null) {
            return null;
        }
        if (kind == Kind.CNAME) {
            return new ListEntry(e.name(), e.ipTrigger(), e.match(), action, cnameTarget, e.line(), e.clientIp());
        }
        if (action == listed) {
            return e;
        }
        return new ListEntry(e.name(), e.ipTrigger(), e.match(), action, null, e.line(), e.clientIp());
    }

    /** As the configuration writes it: {@code nxdomain}, {@code cname garden.example.}. */
    @Override
    public String toString() {
        String k = kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
        return kind == Kind.CNAME ? k + " " + cnameTarget : k;
    }
}
