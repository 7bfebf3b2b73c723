package org.safenet.dns.appliance.policy;

import java.net.InetSocketAddress;
import java.time.DayOfWeek;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.appliance.config.PolicyConfig;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.policy.ClientGroups;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.policy.Profile;
import org.safenet.dns.resolver.policy.ProfileSlots;
import org.safenet.dns.resolver.policy.SafeSearch;
import org.safenet.dns.resolver.policy.Schedule;

/**
 * Turns the configured profiles and client groups (the config file's, with those made through
 * the admin API over them) into the resolver's {@link ClientGroups}, and says which categories
 * the blocklist index must hold: every category some profile or schedule enforces.
 */
public final class ProfileCompiler {
    static {
        PolicyCategories.register(Categories.KNOWN); // slots before any profile names a category
    }

    private final ServiceCatalog catalog;

    public ProfileCompiler(ServiceCatalog catalog) {
        this.catalog = catalog;
    }

    /**
     * What a configuration compiles to.
     *
     * @param groups the resolver's client groups and profiles
     * @param indexActions category -> the action its entries get in the index ("off": not indexed)
     */
    public record Compiled(ClientGroups groups, Map<String, String> indexActions) {
        /** The index's action for {@code category}, or null if no profile enforces it. */
        public @Nullable PolicyAction indexAction(String category) {
            String a = indexActions.get(category);
            return a == null || a.equals("off") ? null : PolicyAction.valueOf(a);
        }
    }

    /**
     * @param global the global category actions (config and admin API): the default profile's
     * @throws IllegalArgumentException naming the profile or group and what is wrong
     */
    public Compiled compile(
            Categories global,
            List<PolicyConfig.Profile> profiles,
            List<PolicyConfig.Client> clients,
            PolicyConfig.Settings settings) {
        Map<String, PolicyConfig.Profile> byName = new LinkedHashMap<>();
        for (PolicyConfig.Profile p : profiles) {
            if (byName.put(p.name(), p) != null) {
                throw new IllegalArgumentException("profiles: " + p.name() + " is defined twice");
            }
        }
        List<Profile> built = new ArrayList<>();
        int[] enforced = new int[1];
        built.add(build("default", global, byName.get("default"), enforced));
        for (PolicyConfig.Profile p : byName.values()) {
            if (!p.name().equals("default")) {
                built.add(build(p.name(), global, p, enforced));
            }
        }
        Map<String, Profile> profileByName = new LinkedHashMap<>();
        for (Profile p : built) {
            profileByName.put(p.name(), p);
        }
        List<ClientGroups.Group> groups = new ArrayList<>();
        Set<String> groupNames = new HashSet<>();
        for (PolicyConfig.Client c : clients) {
            if (!groupNames.add(c.name())) {
                throw new IllegalArgumentException("clients: " + c.name() + " is defined twice");
            }
            Profile p = profileByName.get(c.profile());
            if (p == null) {
                throw new IllegalArgumentException("clients: " + c.name() + " names profile '" + c.profile()
                        + "', which does not exist (profiles: " + String.join(", ", profileByName.keySet()) + ")");
            }
            List<InetSocketAddress> listen = new ArrayList<>();
            for (HostPort hp : c.listen()) {
                listen.add(hp.toSocketAddress());
            }
            groups.add(new ClientGroups.Group(c.name(), c.match(), listen, p));
        }
        Map<String, String> indexActions = new LinkedHashMap<>();
        List<String> slots = PolicyCategories.names();
        for (String category : Categories.KNOWN) {
            PolicyAction action = global.actionFor(category);
            int slot = slots.indexOf(category);
            boolean someone = slot >= 0 && (enforced[0] >>> slot & 1) != 0;
            indexActions.put(category, action != null ? action.name() : someone ? PolicyAction.SINKHOLE.name() : "off");
        }
        return new Compiled(new ClientGroups(built, groups, settings.trustedForwarders()), indexActions);
    }

    private Profile build(String name, Categories global, PolicyConfig.@Nullable Profile config, int[] enforced) {
        String where = "profiles: " + name + ": ";
        try {
            Profile.Builder b = Profile.builder(name);
            for (String category : Categories.KNOWN) {
                PolicyAction action = global.actionFor(category);
                if (config != null) {
                    for (Map.Entry<String, String> e : config.categories().entrySet()) {
                        if (e.getKey().toLowerCase(Locale.ROOT).equals(category)) {
                            action = Categories.of(Map.of(category, e.getValue()))
                                    .actionFor(category);
                        }
                    }
                }
                b.category(category, action);
            }
            if (config != null) {
                Categories.of(config.categories()); // unknown category names and actions
                for (String service : config.blockedServices()) {
                    b.service(service, domains(service), true);
                }
                for (PolicyConfig.Schedule s : config.schedules()) {
                    b.schedule(schedule(b, s));
                }
                SafeSearch.YouTube youtube = config.youtube().isEmpty()
                        ? (config.safeSearch() ? SafeSearch.YouTube.STRICT : SafeSearch.YouTube.OFF)
                        : SafeSearch.YouTube.parse(config.youtube());
                SafeSearch.apply(b, config.safeSearch(), youtube);
                if (config.blockDohBypass()) {
                    List<String> names = new ArrayList<>(catalog.canaries());
                    if (config.blockDohResolvers()) {
                        names.addAll(catalog.dohResolvers());
                    }
                    b.blockDohBypass(names);
                }
                for (String d : config.allow()) {
                    b.allow(d);
                }
                for (String d : config.block()) {
                    b.block(d);
                }
            }
            Profile p = b.build(ProfileSlots.slotOf(name));
            int mask = p.categoryMask();
            for (Schedule s : p.schedules()) {
                mask |= s.categoryMask();
            }
            enforced[0] |= mask;
            return p;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    private List<String> domains(String service) {
        ServiceCatalog.Service s = catalog.service(service.toLowerCase(Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("unknown service '" + service + "' (known: "
                    + String.join(", ", catalog.services().keySet()) + ")");
        }
        return s.domains();
    }

    private Schedule schedule(Profile.Builder b, PolicyConfig.Schedule s) {
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String d : s.days()) {
            days.addAll(days(d));
        }
        long services = 0;
        int categories = 0;
        List<String> slots = PolicyCategories.names();
        for (String item : s.block()) {
            String t = item.trim().toLowerCase(Locale.ROOT);
            if (catalog.service(t) != null) {
                services |= b.service(t, domains(t), false);
            } else if (Categories.KNOWN.contains(t)) {
                categories |= 1 << slots.indexOf(t);
            } else {
                throw new IllegalArgumentException("schedule " + s.name() + ": '" + item
                        + "' is neither a service ("
                        + String.join(", ", catalog.services().keySet())
                        + ") nor a category (" + String.join(", ", Categories.KNOWN) + ")");
            }
        }
        if (days.isEmpty()) {
            throw new IllegalArgumentException(
                    "schedule " + s.name() + ": no days (mon, tue, wed, thu, fri, sat, sun)");
        }
        return new Schedule(
                s.name(),
                Schedule.daysMask(days),
                Schedule.minuteOfDay(s.from()),
                Schedule.minuteOfDay(s.to()),
                services,
                categories);
    }

    private static Set<DayOfWeek> days(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "mon", "monday" -> EnumSet.of(DayOfWeek.MONDAY);
            case "tue", "tuesday" -> EnumSet.of(DayOfWeek.TUESDAY);
            case "wed", "wednesday" -> EnumSet.of(DayOfWeek.WEDNESDAY);
            case "thu", "thursday" -> EnumSet.of(DayOfWeek.THURSDAY);
            case "fri", "friday" -> EnumSet.of(DayOfWeek.FRIDAY);
            case "sat", "saturday" -> EnumSet.of(DayOfWeek.SATURDAY);
            case "sun", "sunday" -> EnumSet.of(DayOfWeek.SUNDAY);
            case "weekdays" -> EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY);
            case "weekend" -> EnumSet.of(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY);
            case "all", "every day", "everyday" -> EnumSet.allOf(DayOfWeek.class);
            default ->
                throw new IllegalArgumentException(
                        "'" + text + "' is not a day (mon, tue, wed, thu, fri, sat, sun, weekdays, weekend, all)");
        };
    }
}
