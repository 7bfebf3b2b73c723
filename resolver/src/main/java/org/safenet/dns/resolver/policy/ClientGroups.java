package org.safenet.dns.resolver.policy;

import static org.safenet.dns.resolver.acl.AddressBits.*;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * Which profile a query gets: client groups matched by source prefix and by the address the
 * query came in on, and the profiles they name. Immutable; a reload builds a new one.
 *
 * <p>A group matches a query when the client is inside one of its prefixes (if it lists any) and
 * the query arrived on one of its listen addresses (if it lists any). Of the matching groups,
 * the one with the longest matching prefix wins, so {@code 10.1.2.0/24} beats {@code
 * 10.1.0.0/16}; a group that matches by listen address alone loses to any prefix match (a
 * student who points at the staff resolver's address stays a student); on a tie the group
 * listed first wins. Clients no group matches get {@code default}.
 *
 * <p>The client is the packet's source address, or, for a query from a trusted downstream
 * forwarder that carries an EDNS Client Subnet option (RFC 7871), the subnet in that option. ECS
 * from anyone else is ignored for policy, or any client could pick its own profile.
 *
 * <p>Matching scans the prefixes longest first, an int compare per IPv4 prefix and two long
 * compares per IPv6 prefix; fine for the hundreds an ISP configures, and allocation-free for
 * IPv4 (an IPv6 address is copied out of {@link Inet6Address}, as the access list does).
 */
public final class ClientGroups {
    /** A group as configured: what it matches and the profile it gets. */
    public record Group(String name, List<CidrPrefix> match, List<InetSocketAddress> listen, Profile profile) {
        public Group {
            match = List.copyOf(match);
            listen = List.copyOf(listen);
            if (match.isEmpty() && listen.isEmpty()) {
                throw new IllegalArgumentException("client group " + name + " matches nothing: give match or listen");
            }
        }
    }

    /** The decision of {@link #match}: the group (null: none) and its profile. */
    public record Match(@Nullable Group group, Profile profile) {}

    private final Profile defaultProfile;
    private final Group[] groups;
    private final List<Profile> profiles;
    private final ClientAccessList ecsTrusted;
    /** Whether any profile has a schedule: then a decision can change with the minute. */
    private final boolean scheduled;

    private final int[] v4Networks;
    private final int[] v4Masks;
    private final int[] v4Groups;
    private final long[] v6High;
    private final long[] v6Low;
    private final long[] v6MaskHigh;
    private final long[] v6MaskLow;
    private final int[] v6Groups;
    private final int[] listenOnly;

    /**
     * @param profiles every profile, {@code default} among them
     * @param ecsTrusted forwarders whose EDNS Client Subnet option names the client
     */
    public ClientGroups(List<Profile> profiles, List<Group> groups, List<CidrPrefix> ecsTrusted) {
        Profile def = null;
        for (Profile p : profiles) {
            if (p.name().equals("default")) {
                def = p;
            }
        }
        if (def == null) {
            throw new IllegalArgumentException("the default profile is missing");
        }
        this.defaultProfile = def;
        this.profiles = List.copyOf(profiles);
        boolean scheduled = false;
        for (Profile p : profiles) {
            scheduled |= !p.schedules().isEmpty();
        }
        this.scheduled = scheduled;
        this.groups = groups.toArray(new Group[0]);
        this.ecsTrusted = new ClientAccessList(ecsTrusted);
        record Entry(CidrPrefix prefix, int group) {}
        List<Entry> v4 = new ArrayList<>();
        List<Entry> v6 = new ArrayList<>();
        List<Integer> listenOnlyGroups = new ArrayList<>();
        for (int g = 0; g < this.groups.length; g++) {
            Group group = this.groups[g];
            if (group.match().isEmpty()) {
                listenOnlyGroups.add(g);
            }
            for (CidrPrefix p : group.match()) {
                (p.isIpv4() ? v4 : v6).add(new Entry(p, g));
            }
        }
        // Longest first; a group with listen addresses before one without at the same length; then config order.
        Comparator<Entry> order = Comparator.<Entry>comparingInt(
                        e -> -e.prefix().length())
                .thenComparingInt(e -> this.groups[e.group()].listen().isEmpty() ? 1 : 0)
                .thenComparingInt(Entry::group);
        v4.sort(order);
        v6.sort(order);
        v4Networks = new int[v4.size()];
        v4Masks = new int[v4.size()];
        v4Groups = new int[v4.size()];
        for (int i = 0; i < v4.size(); i++) {
            CidrPrefix p = v4.get(i).prefix();
            v4Networks[i] = readInt(p.network(), 0);
            v4Masks[i] = mask32(p.length());
            v4Groups[i] = v4.get(i).group();
        }
        v6High = new long[v6.size()];
        v6Low = new long[v6.size()];
        v6MaskHigh = new long[v6.size()];
        v6MaskLow = new long[v6.size()];
        v6Groups = new int[v6.size()];
        for (int i = 0; i < v6.size(); i++) {
            CidrPrefix p = v6.get(i).prefix();
            v6High[i] = readLong(p.network(), 0);
            v6Low[i] = readLong(p.network(), 8);
            v6MaskHigh[i] = mask64(p.length());
            v6MaskLow[i] = mask64(p.length() - 64);
            v6Groups[i] = v6.get(i).group();
        }
        listenOnly = new int[listenOnlyGroups.size()];
        for (int i = 0; i < listenOnly.length; i++) {
            listenOnly[i] = listenOnlyGroups.get(i);
        }
    }

    /** Only the default profile: what the resolver has without any profile configured. */
    public static ClientGroups only(Profile defaultProfile) {
        return new ClientGroups(List.of(defaultProfile), List.of(), List.of());
    }

    /** Whether any profile has a schedule, so that the same name may be decided differently a minute later. */
    public boolean scheduled() {
        return scheduled;
    }

    public Profile defaultProfile() {
        return defaultProfile;
    }

    public List<Profile> profiles() {
        return profiles;
    }

    public List<Group> groups() {
        return List.of(groups);
    }

    /** The profile for a query from {@code client} that came in on {@code local}. Allocation-free for IPv4. */
    public Profile profileFor(InetAddress client, @Nullable InetSocketAddress local, ParsedQuery q) {
        int g = groupIndex(client, local, q);
        return g < 0 ? defaultProfile : groups[g].profile();
    }

    /** As {@link #profileFor}, with the group (cold path: explain, tests). */
    public Match match(InetAddress client, @Nullable InetSocketAddress local, ParsedQuery q) {
        int g = groupIndex(client, local, q);
        return g < 0 ? new Match(null, defaultProfile) : new Match(groups[g], groups[g].profile());
    }

    private int groupIndex(InetAddress client, @Nullable InetSocketAddress local, ParsedQuery q) {
        if (groups.length == 0) {
            return -1;
        }
        int family = 0;
        long high = 0;
        long low = 0;
        int v4 = 0;
        if (q.ecsFamily() != 0 && ecsTrusted.allows(client)) {
            byte[] a = q.ecsAddress();
            if (q.ecsFamily() == 1) {
                family = 4;
                v4 = readInt(a, 0);
            } else {
                family = 6;
                high = readLong(a, 0);
                low = readLong(a, 8);
            }
        } else if (client instanceof Inet4Address a4) {
            family = 4;
            v4 = a4.hashCode(); // the address as an int, without copying it out
        } else if (client instanceof Inet6Address a6) {
            byte[] b = a6.getAddress();
            high = readLong(b, 0);
            low = readLong(b, 8);
            if (high == 0 && (low >>> 32) == 0xFFFFL) {
                family = 4;
                v4 = (int) low;
            } else {
                family = 6;
            }
        }
        if (family == 4) {
            for (int i = 0; i < v4Networks.length; i++) {
                if ((v4 & v4Masks[i]) == v4Networks[i] && listens(v4Groups[i], local)) {
                    return v4Groups[i];
                }
            }
        } else if (family == 6) {
            for (int i = 0; i < v6High.length; i++) {
                if ((high & v6MaskHigh[i]) == v6High[i]
                        && (low & v6MaskLow[i]) == v6Low[i]
                        && listens(v6Groups[i], local)) {
                    return v6Groups[i];
                }
            }
        }
        for (int g : listenOnly) {
            if (listens(g, local)) {
                return g;
            }
        }
        return -1;
    }

    private boolean listens(int group, @Nullable InetSocketAddress local) {
        List<InetSocketAddress> listen = groups[group].listen();
        if (listen.isEmpty()) {
            return true;
        }
        if (local == null) {
            return false;
        }
        for (int i = 0, n = listen.size(); i < n; i++) {
            if (listen.get(i).equals(local)) {
                return true;
            }
        }
        return false;
    }
}
