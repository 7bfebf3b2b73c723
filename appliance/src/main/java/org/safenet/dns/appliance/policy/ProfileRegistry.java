package org.safenet.dns.appliance.policy;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.api.PolicyAdmin;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigLoader;
import org.safenet.dns.appliance.config.PolicyConfig;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.Records;
import org.safenet.dns.resolver.Resolver;
import org.safenet.dns.resolver.policy.ClientGroups;
import org.safenet.dns.resolver.policy.Policy;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Profile;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The profiles and client groups in force: the config file's, with those made through the admin
 * API (kept in the store's {@code meta} family as {@code profile/NAME} and {@code client/NAME},
 * JSON in the config file's shape) over them by name. A change through the API is compiled with
 * everything else first, so a profile that names an unknown service or a group that names a
 * missing profile changes nothing; then it is stored, then made live.
 */
public final class ProfileRegistry implements PolicyAdmin {
    private static final Logger log = LoggerFactory.getLogger(ProfileRegistry.class);

    /** Compiles and applies a whole set of profiles and groups (the appliance's). */
    @FunctionalInterface
    public interface Applier {
        void apply(List<PolicyConfig.Profile> profiles, List<PolicyConfig.Client> clients) throws Exception;
    }

    /** Compiles profiles and groups without applying them. */
    @FunctionalInterface
    public interface Checker {
        /** Null if they compile, else what is wrong. */
        @Nullable
        String problem(List<PolicyConfig.Profile> profiles, List<PolicyConfig.Client> clients);
    }

    private final BlocklistStore store;
    private final Supplier<ApplianceConfig> config;
    private final Checker check;
    private final Applier applier;
    private final Resolver resolver;
    private final Supplier<Policy> lists;
    private final ObjectMapper json = ConfigLoader.bindingMapper();

    public ProfileRegistry(
            BlocklistStore store,
            Supplier<ApplianceConfig> config,
            Checker check,
            Applier applier,
            Resolver resolver,
            Supplier<Policy> lists) {
        this.store = store;
        this.config = config;
        this.check = check;
        this.applier = applier;
        this.resolver = resolver;
        this.lists = lists;
    }

    private Records profileRecords() {
        return store.metaRecords("profile/");
    }

    private Records clientRecords() {
        return store.metaRecords("client/");
    }

    /** The config's profiles with the API's over them by name (API-only ones after, by name). */
    public List<PolicyConfig.Profile> profiles(ApplianceConfig c) {
        return merge(c.profiles(), stored(profileRecords(), PolicyConfig.Profile.class), PolicyConfig.Profile::name);
    }

    /** The config's client groups with the API's over them by name (API-only ones after, by name). */
    public List<PolicyConfig.Client> clients(ApplianceConfig c) {
        return merge(c.clients(), stored(clientRecords(), PolicyConfig.Client.class), PolicyConfig.Client::name);
    }

    private static <T> List<T> merge(List<T> configured, Map<String, T> stored, Function<T, String> name) {
        List<T> out = new ArrayList<>();
        Map<String, T> rest = new TreeMap<>(stored);
        for (T t : configured) {
            T over = rest.remove(name.apply(t));
            out.add(over != null ? over : t);
        }
        out.addAll(rest.values());
        return out;
    }

    private <T> Map<String, T> stored(Records records, Class<T> type) {
        Map<String, T> out = new TreeMap<>();
        records.scan(new byte[0], null, false, (k, v) -> {
            String name = new String(k, StandardCharsets.UTF_8);
            try {
                out.put(name, json.readValue(v, type));
            } catch (IOException | IllegalArgumentException e) {
                // Written by an older version, or hand-edited: skip it, say so, keep the rest.
                log.warn("stored {} {} is unreadable and ignored: {}", type.getSimpleName(), name, e.getMessage());
            }
            return true;
        });
        return out;
    }

    @Override
    public List<Map<String, Object>> profiles() {
        List<Map<String, Object>> out = new ArrayList<>();
        ApplianceConfig c = config.get();
        boolean defaultListed = false;
        for (PolicyConfig.Profile p : profiles(c)) {
            defaultListed |= p.name().equals("default");
            out.add(profileView(p, c));
        }
        if (!defaultListed) {
            out.add(0, builtInDefault());
        }
        return out;
    }

    @Override
    public @Nullable Map<String, Object> profile(String name) {
        for (Map<String, Object> p : profiles()) {
            if (p.get("name").equals(name)) {
                return p;
            }
        }
        return null;
    }

    private Map<String, Object> builtInDefault() {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", "default");
        view.put("origin", "built-in");
        view.put("note", "the global settings (blocklist.categories); PUT /api/v1/profiles/default adjusts it");
        view.put("blocked", blocked("default"));
        return view;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> profileView(PolicyConfig.Profile p, ApplianceConfig c) {
        Map<String, Object> view = new LinkedHashMap<>(json.convertValue(p, Map.class));
        boolean inConfig = c.profiles().stream().anyMatch(x -> x.name().equals(p.name()));
        boolean inStore = has(profileRecords(), p.name());
        view.put("origin", inStore ? "api" : inConfig ? "config" : "api");
        view.put("blocked", blocked(p.name()));
        return view;
    }

    private long blocked(String profile) {
        for (Profile p : resolver.clientGroups().profiles()) {
            if (p.name().equals(profile)) {
                return resolver.metrics().blockedByProfile()[p.slot()];
            }
        }
        return 0;
    }

    @Override
    public Map<String, Object> putProfile(String name, Map<String, Object> body) throws Exception {
        Map<String, Object> withName = new LinkedHashMap<>(body);
        withName.put("name", name);
        PolicyConfig.Profile p = bind(withName, PolicyConfig.Profile.class);
        ApplianceConfig c = config.get();
        List<PolicyConfig.Profile> next = replace(profiles(c), p, PolicyConfig.Profile::name);
        List<PolicyConfig.Client> clients = clients(c);
        String problem = check.problem(next, clients);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        profileRecords().put(key(name), json.writeValueAsBytes(p));
        applier.apply(next, clients);
        return profileView(p, c);
    }

    @Override
    public boolean deleteProfile(String name) throws Exception {
        if (profileRecords().get(key(name)) == null) {
            if (config.get().profiles().stream().anyMatch(p -> p.name().equals(name))) {
                throw new IllegalStateException(
                        "profile " + name + " is defined in the config file; remove it there and reload");
            }
            return false;
        }
        ApplianceConfig c = config.get();
        List<PolicyConfig.Profile> next = new ArrayList<>();
        for (PolicyConfig.Profile p : profiles(c)) {
            if (!p.name().equals(name)) {
                next.add(p);
            }
        }
        for (PolicyConfig.Profile p : c.profiles()) {
            if (p.name().equals(name)) {
                next.add(p); // the config file's comes back
            }
        }
        List<PolicyConfig.Client> clients = clients(c);
        String problem = check.problem(next, clients);
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        profileRecords().delete(key(name));
        applier.apply(next, clients);
        return true;
    }

    @Override
    public List<Map<String, Object>> clients() {
        List<Map<String, Object>> out = new ArrayList<>();
        ApplianceConfig c = config.get();
        for (PolicyConfig.Client g : clients(c)) {
            out.add(clientView(g));
        }
        return out;
    }

    @Override
    public @Nullable Map<String, Object> client(String name) {
        for (Map<String, Object> g : clients()) {
            if (g.get("name").equals(name)) {
                return g;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> clientView(PolicyConfig.Client g) {
        Map<String, Object> view = new LinkedHashMap<>(json.convertValue(g, Map.class));
        view.put("origin", has(clientRecords(), g.name()) ? "api" : "config");
        return view;
    }

    @Override
    public Map<String, Object> putClient(String name, Map<String, Object> body) throws Exception {
        Map<String, Object> withName = new LinkedHashMap<>(body);
        withName.put("name", name);
        PolicyConfig.Client g = bind(withName, PolicyConfig.Client.class);
        ApplianceConfig c = config.get();
        List<PolicyConfig.Profile> profiles = profiles(c);
        List<PolicyConfig.Client> next = replace(clients(c), g, PolicyConfig.Client::name);
        String problem = check.problem(profiles, next);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        clientRecords().put(key(name), json.writeValueAsBytes(g));
        applier.apply(profiles, next);
        return clientView(g);
    }

    @Override
    public boolean deleteClient(String name) throws Exception {
        if (clientRecords().get(key(name)) == null) {
            if (config.get().clients().stream().anyMatch(g -> g.name().equals(name))) {
                throw new IllegalStateException(
                        "client group " + name + " is defined in the config file; remove it there and reload");
            }
            return false;
        }
        clientRecords().delete(key(name));
        ApplianceConfig c = config.get();
        applier.apply(profiles(c), clients(c));
        return true;
    }

    @Override
    public List<Map<String, Object>> services() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ServiceCatalog.Service s : ServiceCatalog.builtIn().services().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("title", s.title());
            m.put("domains", s.domains());
            out.add(m);
        }
        return out;
    }

    @Override
    public Map<String, Object> explain(String name, InetAddress client, @Nullable InetSocketAddress listen) {
        ParsedQuery q = ParsedQuery.forName(DnsNames.toWire(name));
        ClientGroups groups = resolver.clientGroups();
        ClientGroups.Match m = groups.match(client, listen, q);
        Verdict v = m.profile().decide(q, lists.get(), resolver.minuteOfWeek());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("client", client.getHostAddress());
        out.put("listen", listen == null ? null : listen.getAddress().getHostAddress() + ":" + listen.getPort());
        out.put("group", m.group() == null ? null : m.group().name());
        out.put("profile", m.profile().name());
        boolean redirect = v != null && v.action() == PolicyAction.CNAME && !v.counted();
        boolean blocked = v != null && v.counted();
        out.put("decision", blocked ? "blocked" : redirect ? "redirected" : v != null ? "allowed" : "not_listed");
        out.put("action", v == null ? null : v.action().name().toLowerCase(Locale.ROOT));
        out.put("category", v == null ? null : v.category());
        // The source names the profile, and the service or schedule that decided, if one did.
        out.put("source", v == null ? null : v.source());
        out.put("redirect", v == null ? null : v.cnameTargetText());
        return out;
    }

    private <T> T bind(Map<String, Object> body, Class<T> type) {
        try {
            return json.convertValue(body, type);
        } catch (IllegalArgumentException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String message = cause instanceof JsonMappingException jm ? jm.getOriginalMessage() : cause.getMessage();
            throw new IllegalArgumentException(
                    String.valueOf(message).lines().findFirst().orElse(""), e);
        }
    }

    private static <T> List<T> replace(List<T> all, T item, Function<T, String> name) {
        List<T> out = new ArrayList<>();
        boolean replaced = false;
        for (T t : all) {
            if (name.apply(t).equals(name.apply(item))) {
                out.add(item);
                replaced = true;
            } else {
                out.add(t);
            }
        }
        if (!replaced) {
            out.add(item);
        }
        return out;
    }

    private static boolean has(Records records, String name) {
        try {
            return records.get(key(name)) != null;
        } catch (BlocklistStore.StoreException e) {
            return false;
        }
    }

    private static byte[] key(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }
}
