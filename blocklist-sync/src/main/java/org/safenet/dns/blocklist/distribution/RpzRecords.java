package org.safenet.dns.blocklist.distribution;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListEntry;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.RpzMeta;
import org.safenet.dns.blocklist.importer.ListImporter;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.acl.CidrPrefix;

/**
 * The RPZ records (draft-vixie-dnsop-dns-rpz) that say what one list entry says, as zone-file
 * text relative to the zone's origin: {@code www.example.com CNAME .}. A subtree entry is two
 * records ({@code name} and {@code *.name}), which the importer reads back as one subtree entry.
 * BLOCK entries are exported as NXDOMAIN ({@code CNAME .}), RPZ's plain "blocked": a downstream
 * SafeNet DNS reads them with its source's {@code action: block} and answers with its own
 * category's action. RPZ-IP triggers are exported too ({@link #ofIp}).
 *
 * <p>Each block entry's owners also get a SafeNet DNS metadata record ({@link RpzMeta}: category,
 * source, whether the action is the category's), first, so a SafeNet DNS follower keeps what the
 * primary knows; to other readers it is an inert trigger under {@code _safenet-meta}.
 */
public final class RpzRecords {
    private RpzRecords() {}

    /** Records of an enforced entry ({@code allowSide}: from the allow family, exported as passthru). */
    public static List<String> of(StoredEntry e, boolean allowSide) {
        String name = ListImporter.dotted(e.reversedName());
        name = name.substring(0, name.length() - 1);
        List<String> owners = switch (e.match()) {
            case EXACT -> List.of(name);
            case SUBTREE -> List.of(name, "*." + name);
            case DESCENDANTS -> List.of("*." + name);
        };
        List<String> rdata = allowSide ? List.of("CNAME rpz-passthru.") : rdata(e.action(), e.data());
        List<String> out = new ArrayList<>(owners.size() * (rdata.size() + 1));
        if (!allowSide) {
            out.add(meta(owners.getFirst(), e)); // a subtree's *.name takes its name's (see ListImporter)
        }
        for (String owner : owners) {
            for (String r : rdata) {
                out.add(owner + " " + r);
            }
        }
        return out;
    }

    /**
     * Records of an RPZ-IP trigger ({@link StoredEntry#reversedName()} holds the prefix text):
     * owner {@code <length>.<address reversed>.rpz-ip}, IPv6 groups reversed with {@code zz} for
     * the longest run of zero groups (ISC's RPZ draft, §4.2).
     */
    public static List<String> ofIp(StoredEntry e) {
        String key = e.reversedName();
        String owner = ipOwner(ListEntry.ipKeyPrefix(key), ListEntry.isClientIpKey(key) ? "rpz-client-ip" : "rpz-ip");
        List<String> out = new ArrayList<>();
        out.add(meta(owner, e));
        for (String r : rdata(e.action(), e.data())) {
            out.add(owner + " " + r);
        }
        return out;
    }

    /** The metadata record of {@code owner}: {@code OWNER._safenet-meta TXT "category=..." "source=..."}. */
    private static String meta(String owner, StoredEntry e) {
        RpzMeta m = new RpzMeta(e.category(), e.shownSource(), e.action() == Action.BLOCK);
        return owner + "." + RpzMeta.LABEL + " TXT " + m.rdata();
    }

    static String ipOwner(CidrPrefix p) {
        return ipOwner(p, "rpz-ip");
    }

    static String ipOwner(CidrPrefix p, String kind) {
        byte[] a = p.network();
        StringBuilder sb = new StringBuilder().append(p.length());
        if (a.length == 4) {
            for (int i = 3; i >= 0; i--) {
                sb.append('.').append(a[i] & 0xFF);
            }
            return sb.append('.').append(kind).toString();
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((a[2 * i] & 0xFF) << 8) | (a[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is written as 0, as in "::" notation
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        for (int i = 7; i >= 0; i--) {
            if (bestStart >= 0 && i >= bestStart && i < bestStart + bestLength) {
                if (i == bestStart) {
                    sb.append(".zz");
                }
                continue;
            }
            sb.append('.').append(Integer.toHexString(groups[i]));
        }
        return sb.append('.').append(kind).toString();
    }

    private static List<String> rdata(Action action, @Nullable String data) {
        return switch (action) {
            case BLOCK, NXDOMAIN -> List.of("CNAME .");
            case NODATA -> List.of("CNAME *.");
            case ALLOW, PASSTHRU -> List.of("CNAME rpz-passthru.");
            case DROP -> List.of("CNAME rpz-drop.");
            case TCP_ONLY -> List.of("CNAME rpz-tcp-only.");
            case CNAME -> List.of("CNAME " + dotted(String.valueOf(data)));
            case LOCAL_A, LOCAL_AAAA -> addresses(String.valueOf(data));
            case LOCAL_DATA -> List.of(String.valueOf(data).split("\n"));
        };
    }

    private static String dotted(String name) {
        return name.endsWith(".") ? name : name + ".";
    }

    private static List<String> addresses(String data) {
        List<String> out = new ArrayList<>();
        for (String a : data.split(",")) {
            String t = a.trim();
            if (!t.isEmpty()) {
                out.add((t.indexOf(':') >= 0 ? "AAAA " : "A ") + t);
            }
        }
        return out;
    }
}
