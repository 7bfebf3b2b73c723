package org.safenet.dns.admin.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Profiles and client groups as the admin API sees them, implemented by the appliance (which
 * owns the config file, the compiler and the resolver). Bodies are JSON objects with the config
 * file's fields; every change is validated with the rest of the policy and live before the call
 * returns, and kept over restarts.
 */
public interface PolicyAdmin {
    /** Each profile: {@code name}, {@code origin} (config, api, built-in), its settings, blocks counted since start. */
    List<Map<String, Object>> profiles();

    /** One profile, or null. */
    @Nullable
    Map<String, Object> profile(String name);

    /**
     * Creates or replaces profile {@code name} with {@code body} and makes it live.
     *
     * @return the profile as {@link #profile} shows it
     * @throws IllegalArgumentException what is wrong with it (nothing changed)
     */
    Map<String, Object> putProfile(String name, Map<String, Object> body) throws Exception;

    /**
     * Deletes profile {@code name} made through the API (a config file's profile comes back).
     *
     * @return false if there is no such API profile
     * @throws IllegalStateException if a client group still names it, or it lives in the config file only
     */
    boolean deleteProfile(String name) throws Exception;

    /** Each client group: {@code name}, {@code origin}, {@code match}, {@code listen}, {@code profile}. */
    List<Map<String, Object>> clients();

    @Nullable
    Map<String, Object> client(String name);

    /** As {@link #putProfile} for a client group. */
    Map<String, Object> putClient(String name, Map<String, Object> body) throws Exception;

    /** As {@link #deleteProfile} for a client group. */
    boolean deleteClient(String name) throws Exception;

    /** The services profiles can block: {@code name}, {@code title}, {@code domains}. */
    List<Map<String, Object>> services();

    /**
     * Which group and profile a query for {@code name} from {@code client} (arriving on {@code
     * listen}, if given) gets, and what that profile decides now: {@code group}, {@code profile},
     * {@code decision}, {@code action}, {@code category}, {@code source} (naming a schedule or a
     * service where one decided), {@code redirect} (a SafeSearch target).
     */
    Map<String, Object> explain(String name, InetAddress client, @Nullable InetSocketAddress listen);
}
