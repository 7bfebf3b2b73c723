package org.safenet.dns.resolver.policy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * A named policy that a group of clients gets: which list categories are enforced and how, its
 * own allow and block entries, blocked services, schedules, SafeSearch, and the DoH-bypass
 * controls. The built-in {@code default} profile is the global settings. Immutable; a reload
 * builds new ones.
 *
 * <p>{@link #decide} runs on the event loops for every query and allocates nothing. Its order,
 * first match wins:
 *
 * <ol>
 *   <li>the profile's allow entries (the operator's word for this group beats every list);
 *   <li>the DoH-bypass canaries and resolvers, when {@code blockDohBypass} is on;
 *   <li>the profile's own block entries;
 *   <li>blocked services, always or inside an open schedule;
 *   <li>the lists, seeing only the categories this profile enforces (plus those an open
 *       schedule adds), with the profile's action for each;
 *   <li>SafeSearch: the search engine's enforcement name as a CNAME;
 *   <li>the lists' allow entries (resolve normally) or nothing.
 * </ol>
 */
public final class Profile {
    /** Category names for decisions a profile makes itself (statistics count them like list categories). */
    public static final String CATEGORY_SERVICES = "services";

    public static final String CATEGORY_SCHEDULE = "schedule";
    public static final String CATEGORY_DOH_BYPASS = "doh-bypass";
    public static final String CATEGORY_SAFESEARCH = "safesearch";
    /** A profile's own block and allow names count as the operator's own entries do. */
    public static final String CATEGORY_PROFILE = "custom";

    static {
        PolicyCategories.register(List.of(
                CATEGORY_SERVICES, CATEGORY_SCHEDULE, CATEGORY_DOH_BYPASS, CATEGORY_SAFESEARCH, CATEGORY_PROFILE));
    }

    /** Services a profile can name, at most: one bit each in a {@code long}. */
    public static final int MAX_SERVICES = 64;

    private final String name;
    private final int slot;
    private final int categoryMask;
    private final @Nullable PolicyAction[] categoryActions;
    /**
     * Every domain the profile itself names (allow, own blocks, DoH names, service domains,
     * SafeSearch hosts), once: one hash per suffix of a query finds them all. A value indexes the
     * four tables below, each -1 (or false) where the domain is not of that kind.
     */
    private final DomainSet names;

    private final boolean[] allowAt;
    private final int[] ownAt;
    private final int[] serviceAt;
    /** SafeSearch hosts match their exact name only. */
    private final int[] rewriteAt;

    private final Verdict[] ownVerdicts;
    private final Verdict allowed;
    /** By a {@link #serviceAt} value: the services that domain belongs to, as bits. */
    private final long[] serviceBits;

    private final String[] serviceNames;
    private final long alwaysBlocked;
    private final Verdict[] serviceVerdicts;
    private final Schedule[] schedules;
    /** By schedule, then service bit: the verdict naming both. */
    private final Verdict[][] scheduleVerdicts;

    private final Verdict[] scheduleCategoryVerdicts;
    private final Verdict[] rewrites;
    private final byte[] ede;

    private Profile(Builder b, int slot) {
        this.name = b.name;
        this.slot = slot;
        this.categoryActions = b.categoryActions.clone();
        int mask = 0;
        for (int i = 0; i < categoryActions.length; i++) {
            if (categoryActions[i] != null) {
                mask |= 1 << i;
            }
        }
        this.categoryMask = b.allCategories ? -1 : mask;
        String source = "profile " + name;
        this.allowed = new Verdict(PolicyAction.PASSTHRU, CATEGORY_PROFILE, source, 0, null);
        // name -> {allow, own, service, rewrite}, -1 where not of that kind
        Map<String, int[]> kinds = new LinkedHashMap<>();
        Function<String, int[]> kind =
                d -> kinds.computeIfAbsent(DomainSet.canonical(d), k -> new int[] {-1, -1, -1, -1});
        for (String d : b.allow) {
            kind.apply(d)[0] = 1;
        }
        List<Verdict> own = new ArrayList<>();
        Verdict profileBlock = new Verdict(PolicyAction.SINKHOLE, CATEGORY_PROFILE, source, Verdict.EDE_FILTERED, null);
        own.add(profileBlock);
        if (b.blockDohBypass) {
            Verdict canary =
                    new Verdict(PolicyAction.NXDOMAIN, CATEGORY_DOH_BYPASS, source, Verdict.EDE_FILTERED, null);
            own.add(canary);
            for (String d : b.dohNames) {
                kind.apply(d)[1] = own.size() - 1;
            }
        }
        for (String d : b.block) {
            kind.apply(d)[1] = 0; // the operator's own block wins over a DoH name's NXDOMAIN
        }
        this.ownVerdicts = own.toArray(new Verdict[0]);

        this.serviceNames = b.serviceNames.toArray(new String[0]);
        List<Long> bitsList = new ArrayList<>();
        Map<String, Long> domainBits = new LinkedHashMap<>();
        for (int i = 0; i < serviceNames.length; i++) {
            for (String d : b.serviceDomains.get(i)) {
                domainBits.merge(DomainSet.canonical(d), 1L << i, (x, y) -> x | y);
            }
        }
        Map<Long, Integer> bitIds = new HashMap<>();
        for (Map.Entry<String, Long> e : domainBits.entrySet()) {
            Integer id = bitIds.get(e.getValue());
            if (id == null) {
                id = bitsList.size();
                bitsList.add(e.getValue());
                bitIds.put(e.getValue(), id);
            }
            kind.apply(e.getKey())[2] = id;
        }
        this.serviceBits = new long[bitsList.size()];
        for (int i = 0; i < serviceBits.length; i++) {
            serviceBits[i] = bitsList.get(i);
        }
        this.alwaysBlocked = b.alwaysBlocked;
        this.serviceVerdicts = new Verdict[serviceNames.length];
        for (int i = 0; i < serviceNames.length; i++) {
            serviceVerdicts[i] = new Verdict(
                    PolicyAction.SINKHOLE,
                    CATEGORY_SERVICES,
                    source + ", service " + serviceNames[i],
                    Verdict.EDE_FILTERED,
                    null);
        }
        this.schedules = b.schedules.toArray(new Schedule[0]);
        this.scheduleVerdicts = new Verdict[schedules.length][serviceNames.length];
        this.scheduleCategoryVerdicts = new Verdict[schedules.length];
        for (int s = 0; s < schedules.length; s++) {
            for (int i = 0; i < serviceNames.length; i++) {
                scheduleVerdicts[s][i] = new Verdict(
                        PolicyAction.SINKHOLE,
                        CATEGORY_SCHEDULE,
                        source + ", schedule " + schedules[s].name() + ", service " + serviceNames[i],
                        Verdict.EDE_FILTERED,
                        null);
            }
            scheduleCategoryVerdicts[s] = new Verdict(
                    PolicyAction.SINKHOLE,
                    CATEGORY_SCHEDULE,
                    source + ", schedule " + schedules[s].name(),
                    Verdict.EDE_FILTERED,
                    null);
        }
        List<Verdict> rw = new ArrayList<>();
        Map<String, Integer> targetIds = new HashMap<>();
        for (Map.Entry<String, String> e : b.rewrites.entrySet()) {
            String target = e.getValue();
            Integer id = targetIds.get(target);
            if (id == null) {
                id = rw.size();
                rw.add(new Verdict(PolicyAction.CNAME, CATEGORY_SAFESEARCH, source, Verdict.EDE_FILTERED, target));
                targetIds.put(target, id);
            }
            kind.apply(e.getKey())[3] = id;
        }
        this.rewrites = rw.toArray(new Verdict[0]);
        DomainSet.Builder all = new DomainSet.Builder();
        int n = kinds.size();
        this.allowAt = new boolean[n];
        this.ownAt = new int[n];
        this.serviceAt = new int[n];
        this.rewriteAt = new int[n];
        int v = 0;
        for (Map.Entry<String, int[]> e : kinds.entrySet()) {
            all.add(e.getKey(), v);
            allowAt[v] = e.getValue()[0] >= 0;
            ownAt[v] = e.getValue()[1];
            serviceAt[v] = e.getValue()[2];
            rewriteAt[v] = e.getValue()[3];
            v++;
        }
        this.names = all.build();
        this.ede = (" [profile " + name + "]").getBytes(StandardCharsets.UTF_8);
    }

    /** Starts a profile called {@code name} with no category enforced. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** What a profile is made of; validated when built. */
    public static final class Builder {
        private final String name;
        private final @Nullable PolicyAction[] categoryActions = new PolicyAction[PolicyCategories.SLOTS];
        private final List<String> allow = new ArrayList<>();
        private final List<String> block = new ArrayList<>();
        private final List<String> serviceNames = new ArrayList<>();
        private final List<List<String>> serviceDomains = new ArrayList<>();
        private long alwaysBlocked;
        private final List<Schedule> schedules = new ArrayList<>();
        private final Map<String, String> rewrites = new LinkedHashMap<>();
        private boolean blockDohBypass;
        private boolean allCategories;
        private final List<String> dohNames = new ArrayList<>();

        private Builder(String name) {
            if (!name.matches("[a-z0-9][a-z0-9_-]{0,62}")) {
                throw new IllegalArgumentException("profile name '" + name
                        + "': lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 63");
            }
            this.name = name;
        }

        /** Enforces {@code category} with {@code action}; null: not enforced. */
        public Builder category(String category, @Nullable PolicyAction action) {
            int slot = PolicyCategories.slotOf(category);
            if (slot == PolicyCategories.SLOTS - 1) {
                throw new IllegalArgumentException("unknown category '" + category + "'");
            }
            categoryActions[slot] = action;
            return this;
        }

        /**
         * Enforces every category with the action the list's verdict carries (categories given
         * an action here still get it): the profile of a resolver whose policy decides alone.
         */
        public Builder allCategories() {
            allCategories = true;
            return this;
        }

        public Builder allow(String domain) {
            DomainSet.canonical(domain);
            allow.add(domain);
            return this;
        }

        public Builder block(String domain) {
            DnsNames.toWire(domain);
            block.add(domain);
            return this;
        }

        /**
         * Makes {@code service} known to this profile (for its schedules) with its domains, blocked
         * at all times if {@code always}. Returns the service's bit for {@link Schedule#services()}.
         */
        public long service(String service, List<String> domains, boolean always) {
            int i = serviceNames.indexOf(service);
            if (i < 0) {
                if (serviceNames.size() == MAX_SERVICES) {
                    throw new IllegalArgumentException("a profile can name at most " + MAX_SERVICES + " services");
                }
                serviceNames.add(service);
                serviceDomains.add(List.copyOf(domains));
                i = serviceNames.size() - 1;
            }
            if (always) {
                alwaysBlocked |= 1L << i;
            }
            return 1L << i;
        }

        public Builder schedule(Schedule s) {
            schedules.add(s);
            return this;
        }

        /** Answers {@code name} (that exact name) with a CNAME to {@code target} and the target's records. */
        public Builder rewrite(String name, String target) {
            DnsNames.toWire(target);
            rewrites.put(name, target);
            return this;
        }

        /** NXDOMAIN for {@code names} (and below): the DoH canaries, Private Relay, public DoH resolvers. */
        public Builder blockDohBypass(List<String> names) {
            blockDohBypass = true;
            dohNames.addAll(names);
            return this;
        }

        public Profile build(int slot) {
            return new Profile(this, slot);
        }
    }

    public String name() {
        return name;
    }

    /** The profile's statistics slot ({@link ProfileSlots}) and its bit in a cache entry's check memo. */
    public int slot() {
        return slot;
    }

    /** Category slots this profile enforces at all times. */
    public int categoryMask() {
        return categoryMask;
    }

    /** The action for a category slot, or null if this profile does not enforce it. */
    public @Nullable PolicyAction actionFor(int categorySlot) {
        return categoryActions[categorySlot];
    }

    /** UTF-8 text the EDE option carries after the verdict's: " [profile NAME]". Do not modify. */
    byte[] edeNote() {
        return ede;
    }

    /** Category slots this profile enforces at {@code minuteOfWeek}: its own and those of open schedules. */
    public int categoryMaskAt(int minuteOfWeek) {
        int mask = categoryMask;
        for (Schedule s : schedules) {
            if (s.categoryMask() != 0 && s.activeAt(minuteOfWeek)) {
                mask |= s.categoryMask();
            }
        }
        return mask;
    }

    /**
     * The decision for {@code q} under this profile at {@code minuteOfWeek}, or null to resolve
     * normally. Allocates nothing.
     */
    public @Nullable Verdict decide(ParsedQuery q, Policy lists, int minuteOfWeek) {
        long found = scan(q);
        if (found == ALLOWED) {
            return allowed;
        }
        Verdict own = ownOrService(found, minuteOfWeek);
        if (own != null) {
            return own;
        }
        Verdict listed = lists.decide(q, categoryMaskAt(minuteOfWeek));
        if (listed != null && listed.action() != PolicyAction.PASSTHRU) {
            return applyCategory(listed, minuteOfWeek);
        }
        int rewrite = (int) (found >>> 32 & 0xFFFF) - 1;
        if (rewrite >= 0) {
            return rewrites[rewrite];
        }
        return listed;
    }

    /**
     * The decision for a name an answer leads to (a CNAME target) or an address in it, as this
     * profile sees the lists: blocks only, the profile's own blocks and services included.
     */
    public @Nullable Verdict decideTarget(ParsedQuery target, Policy lists, int minuteOfWeek) {
        long found = scan(target);
        if (found == ALLOWED) {
            return null;
        }
        Verdict own = ownOrService(found, minuteOfWeek);
        if (own != null) {
            return own;
        }
        return blocking(lists.decide(target, categoryMaskAt(minuteOfWeek)), minuteOfWeek);
    }

    /** {@link #scan}'s answer when an allow name covers the query. */
    private static final long ALLOWED = -1;

    /**
     * Every name of this profile that covers {@code q}, most specific first, in one walk: {@link
     * #ALLOWED} if one is an allow name, else the most specific own block, service and (exact)
     * SafeSearch host, each + 1 (0: none) in bits 0-15, 16-31 and 32-47.
     */
    private long scan(ParsedQuery q) {
        int own = -1;
        int service = -1;
        int rewrite = -1;
        for (long m = names.match(q, 0); m != -1; m = names.match(q, (int) (m >>> 32) + 1)) {
            int v = (int) m;
            if (allowAt[v]) {
                return ALLOWED; // at any level: the operator's word for this group beats every block
            }
            own = own < 0 ? ownAt[v] : own;
            service = service < 0 ? serviceAt[v] : service;
            if (m >>> 32 == 0) {
                rewrite = rewriteAt[v];
            }
        }
        return (long) (rewrite + 1) << 32 | (long) (service + 1) << 16 | (own + 1);
    }

    /** The profile's own block, else a blocked service's verdict, from {@link #scan}'s answer; or null. */
    private @Nullable Verdict ownOrService(long found, int minuteOfWeek) {
        int own = (int) (found & 0xFFFF) - 1;
        if (own >= 0) {
            return ownVerdicts[own];
        }
        int service = (int) (found >>> 16 & 0xFFFF) - 1;
        return service >= 0 ? serviceVerdict(serviceBits[service], minuteOfWeek) : null;
    }

    /**
     * The lists' decision for every query of the client at {@code address} (RPZ client-IP
     * triggers) as this profile sees them, or null. A passthru is returned: it exempts the client.
     */
    public @Nullable Verdict decideClient(byte[] address, Policy lists, int minuteOfWeek) {
        Verdict listed = lists.decideClient(address, categoryMaskAt(minuteOfWeek));
        return listed == null ? null : applyCategory(listed, minuteOfWeek);
    }

    /** As {@link #decideTarget} for an answer address (RPZ-IP triggers). */
    public @Nullable Verdict decideAddress(byte[] address, Policy lists, int minuteOfWeek) {
        return blocking(lists.decideAddress(address, categoryMaskAt(minuteOfWeek)), minuteOfWeek);
    }

    private @Nullable Verdict blocking(@Nullable Verdict listed, int minuteOfWeek) {
        if (listed == null) {
            return null;
        }
        Verdict v = applyCategory(listed, minuteOfWeek);
        // tcp-only stays: the caller knows the transport (over TCP the answer stands).
        return v.action() == PolicyAction.PASSTHRU ? null : v;
    }

    private @Nullable Verdict serviceVerdict(long bits, int minuteOfWeek) {
        long always = bits & alwaysBlocked;
        if (always != 0) {
            return serviceVerdicts[Long.numberOfTrailingZeros(always)];
        }
        for (int i = 0; i < schedules.length; i++) {
            long hit = bits & schedules[i].services();
            if (hit != 0 && schedules[i].activeAt(minuteOfWeek)) {
                return scheduleVerdicts[i][Long.numberOfTrailingZeros(hit)];
            }
        }
        return null;
    }

    /** A list verdict with this profile's action for its category (a schedule's block if only a schedule enforces it). */
    private Verdict applyCategory(Verdict listed, int minuteOfWeek) {
        if (!listed.fromCategory()) {
            return listed;
        }
        PolicyAction action = categoryActions[listed.categorySlot()];
        if (action != null) {
            return listed.withAction(action);
        }
        if ((categoryMask >>> listed.categorySlot() & 1) != 0) {
            return listed; // enforced with the action the list gave it
        }
        for (int i = 0; i < schedules.length; i++) {
            if ((schedules[i].categoryMask() >>> listed.categorySlot() & 1) != 0
                    && schedules[i].activeAt(minuteOfWeek)) {
                return scheduleCategoryVerdicts[i];
            }
        }
        return listed;
    }

    /** The names of the services this profile knows, by bit. */
    public List<String> serviceNames() {
        return List.of(serviceNames);
    }

    public List<Schedule> schedules() {
        return List.of(schedules);
    }

    @Override
    public String toString() {
        return "Profile[" + name + "]";
    }
}
