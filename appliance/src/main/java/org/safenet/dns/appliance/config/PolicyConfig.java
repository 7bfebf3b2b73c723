package org.safenet.dns.appliance.config;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.CidrPrefix;

/**
 * The per-client policy sections: {@code profiles}, {@code clients} and {@code policy}. Fields
 * missing from a profile, a schedule or a client take the defaults documented here (items of a
 * list get nothing from {@code default-config.yaml}).
 */
public final class PolicyConfig {
    private PolicyConfig() {}

    /**
     * A profile (a named policy) as configured.
     *
     * @param name lowercase letters, digits, '-' and '_'; {@code default} adjusts the built-in one
     * @param categories category -> action, over the global {@code blocklist.categories}
     * @param safeSearch SafeSearch for Google, Bing and DuckDuckGo (and YouTube strict unless
     *     {@code youtube} says otherwise); default false
     * @param youtube strict, moderate or off; empty (the default): strict with safeSearch, else off
     * @param blockedServices services blocked at all times
     * @param schedules weekly windows that block more
     * @param blockDohBypass NXDOMAIN for Firefox's canary and iCloud Private Relay; default false
     * @param blockDohResolvers with blockDohBypass, NXDOMAIN for public DoH/DoT resolvers' names too; default true
     * @param allow names this profile lets through (and everything below them), whatever the lists say
     * @param block names this profile blocks (and everything below them)
     */
    public record Profile(
            String name,
            Map<String, String> categories,
            Boolean safeSearch,
            String youtube,
            List<String> blockedServices,
            List<Schedule> schedules,
            Boolean blockDohBypass,
            Boolean blockDohResolvers,
            List<String> allow,
            List<String> block) {
        @SuppressWarnings("ConstantConditions") // Jackson passes null for what the YAML leaves out
        public Profile {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a profile needs a name");
            }
            categories = categories == null ? Map.of() : Map.copyOf(categories);
            safeSearch = safeSearch != null && safeSearch;
            youtube = youtube == null ? "" : youtube;
            blockedServices = blockedServices == null ? List.of() : List.copyOf(blockedServices);
            schedules = schedules == null ? List.of() : List.copyOf(schedules);
            blockDohBypass = blockDohBypass != null && blockDohBypass;
            blockDohResolvers = blockDohResolvers == null || blockDohResolvers;
            allow = allow == null ? List.of() : List.copyOf(allow);
            block = block == null ? List.of() : List.copyOf(block);
        }
    }

    /**
     * A weekly window of a profile.
     *
     * @param name what explain and the EDE text call it (default: the days and times)
     * @param days mon, tue, wed, thu, fri, sat, sun
     * @param from HH:MM, local time ({@code policy.timeZone})
     * @param to HH:MM (24:00 allowed); not after {@code from}: the window runs across midnight
     * @param block services and categories blocked inside the window
     */
    public record Schedule(String name, List<String> days, String from, String to, List<String> block) {
        @SuppressWarnings("ConstantConditions")
        public Schedule {
            days = days == null ? List.of() : List.copyOf(days);
            block = block == null ? List.of() : List.copyOf(block);
            if (from == null || to == null) {
                throw new IllegalArgumentException("a schedule needs from and to (HH:MM)");
            }
            if (name == null || name.isBlank()) {
                name = String.join(",", days) + " " + from + "-" + to;
            }
        }
    }

    /**
     * A client group.
     *
     * @param name what statistics and explain call it
     * @param match source prefixes (IPv4/IPv6 CIDR)
     * @param listen addresses the query must have come in on (a listener bound to that address)
     * @param profile the profile its clients get
     */
    public record Client(String name, List<CidrPrefix> match, List<HostPort> listen, String profile) {
        @SuppressWarnings("ConstantConditions")
        public Client {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a client group needs a name");
            }
            match = match == null ? List.of() : List.copyOf(match);
            listen = listen == null ? List.of() : List.copyOf(listen);
            if (profile == null || profile.isBlank()) {
                throw new IllegalArgumentException("client group " + name + " needs a profile");
            }
            if (match.isEmpty() && listen.isEmpty()) {
                throw new IllegalArgumentException("client group " + name + " matches nothing: give match or listen");
            }
        }
    }

    /**
     * The {@code policy} section.
     *
     * @param timeZone the zone schedules are read in ("system": the machine's), e.g. Asia/Ho_Chi_Minh
     * @param trustedForwarders downstream forwarders whose EDNS Client Subnet option names the
     *     client for matching client groups; ECS from anyone else is ignored
     */
    public record Settings(String timeZone, List<CidrPrefix> trustedForwarders) {
        public Settings {
            trustedForwarders = List.copyOf(trustedForwarders);
            PolicyConfig.zone("policy.timeZone", timeZone);
        }

        public ZoneId zone() {
            return PolicyConfig.zone("policy.timeZone", timeZone);
        }
    }

    /**
     * A time zone as the config writes it: a zone name, or {@code system} for the machine's.
     *
     * @throws IllegalArgumentException naming {@code key}
     */
    static ZoneId zone(String key, String text) {
        if (text.equals("system")) {
            return ZoneId.systemDefault();
        }
        try {
            return ZoneId.of(text);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(
                    key + ": '" + text + "' is not a time zone (e.g. Asia/Ho_Chi_Minh, UTC, system)", e);
        }
    }
}
