package org.safenet.dns.appliance.policy;

import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.appliance.config.ConfigException;
import org.safenet.dns.appliance.config.PolicyConfig;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.Resolver;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-client policy in force, and the one place that changes it: it compiles the profiles
 * and client groups (the config file's, with the admin API's over them) over the category
 * actions in force, and makes them live in order: the blocklist index first, rebuilt only if the
 * categories it must hold changed (a profile enforcing one no other does), then the resolver.
 * The appliance asks it for the index's category actions and hands it config reloads and
 * category changes.
 */
public final class ClientPolicy {
    private static final Logger log = LoggerFactory.getLogger(ClientPolicy.class);

    private final ProfileCompiler compiler = new ProfileCompiler(ServiceCatalog.builtIn());
    private final Supplier<Categories> categories;
    private volatile ProfileCompiler.Compiled compiled;
    private @Nullable LiveList live;
    private @Nullable Resolver resolver;
    private @Nullable ProfileRegistry registry;

    /**
     * Compiles {@code config}'s own profiles and groups (the store is not open yet).
     *
     * @param categories the category actions in force (config and admin API), read at each change
     * @throws ConfigException if they do not compile
     */
    public ClientPolicy(Supplier<Categories> categories, ApplianceConfig config) throws ConfigException {
        this.categories = categories;
        this.compiled = compileOrRefuse(config);
    }

    /** Compiles again over the category actions in force now (they may come from the store). */
    public void recompile(ApplianceConfig config) throws ConfigException {
        this.compiled = compileOrRefuse(config);
    }

    private ProfileCompiler.Compiled compileOrRefuse(ApplianceConfig config) throws ConfigException {
        try {
            return compiler.compile(categories.get(), config.profiles(), config.clients(), config.policy());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(List.of(e.getMessage()));
        }
    }

    /** The index's action for {@code category}: what the loader builds entries of it with, or null (not indexed). */
    public @Nullable PolicyAction indexAction(String category) {
        return compiled.indexAction(category);
    }

    /**
     * Starts serving: the profiles made through the admin API are added (if there is a store),
     * the index follows if they enforce more, and the resolver gets the groups.
     *
     * @param list the live list, or null without a blocklist
     * @param config the configuration in force, read at every change
     */
    public synchronized void attach(@Nullable LiveList list, Resolver target, Supplier<ApplianceConfig> config)
            throws ConfigException {
        this.live = list;
        this.resolver = target;
        ApplianceConfig c = config.get();
        if (list != null) {
            ProfileRegistry r = new ProfileRegistry(
                    list.store(),
                    config,
                    (p, g) -> {
                        try {
                            compiler.compile(
                                    categories.get(), p, g, config.get().policy());
                            return null;
                        } catch (IllegalArgumentException e) {
                            return e.getMessage();
                        }
                    },
                    (p, g) -> apply(config.get(), p, g),
                    target,
                    list::policy);
            registry = r;
            ProfileCompiler.Compiled configured = compiled;
            try {
                compiled = compiler.compile(categories.get(), r.profiles(c), r.clients(c), c.policy());
            } catch (IllegalArgumentException e) {
                log.warn(
                        "profiles and client groups made through the admin API do not compile and are ignored: {}",
                        e.getMessage());
            }
            if (!configured.indexActions().equals(compiled.indexActions())) {
                try {
                    list.reconfigure(this::indexAction, list.precedence()); // an API profile enforces more
                } catch (BlocklistStore.StoreException e) {
                    throw new ConfigException(List.of("dataDir: " + e.getMessage()));
                }
            }
        }
        target.profiles(compiled.groups(), c.policy().zone());
    }

    /** Profiles and groups made through the admin API, or null without a store. */
    public @Nullable ProfileRegistry registry() {
        return registry;
    }

    /**
     * Makes {@code c}'s profiles and groups (with the admin API's) live over the category actions
     * in force: after a reload or a category change.
     *
     * @throws IllegalArgumentException if they do not compile (nothing changed)
     */
    public void apply(ApplianceConfig c) throws BlocklistStore.StoreException {
        ProfileRegistry r = registry;
        apply(c, r == null ? c.profiles() : r.profiles(c), r == null ? c.clients() : r.clients(c));
    }

    private synchronized void apply(
            ApplianceConfig c, List<PolicyConfig.Profile> profiles, List<PolicyConfig.Client> clients)
            throws BlocklistStore.StoreException {
        ProfileCompiler.Compiled next = compiler.compile(categories.get(), profiles, clients, c.policy());
        ProfileCompiler.Compiled before = compiled;
        compiled = next;
        LiveList list = live;
        if (list != null && !before.indexActions().equals(next.indexActions())) {
            list.reconfigure(this::indexAction, list.precedence());
        }
        Resolver target = resolver;
        if (target != null) {
            target.profiles(next.groups(), c.policy().zone());
        }
    }
}
