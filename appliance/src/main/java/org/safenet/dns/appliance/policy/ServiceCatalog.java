package org.safenet.dns.appliance.policy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * The named sets of domains that profiles block by name: services ({@code services.txt}) and the
 * DoH-bypass names ({@code doh-bypass.txt}), both kept in the repository with their sources.
 */
public final class ServiceCatalog {
    /** A service: its name, its title for people, its domains (groups expanded). */
    public record Service(String name, String title, List<String> domains) {}

    private final Map<String, Service> services;
    private final List<String> canaries;
    private final List<String> dohResolvers;

    private ServiceCatalog(Map<String, Service> services, List<String> canaries, List<String> dohResolvers) {
        this.services = services;
        this.canaries = canaries;
        this.dohResolvers = dohResolvers;
    }

    private static final ServiceCatalog BUILT_IN = load();

    /** The catalog shipped in the jar. */
    public static ServiceCatalog builtIn() {
        return BUILT_IN;
    }

    /** The service called {@code name}, or null. */
    public Service service(String name) {
        return services.get(name);
    }

    public Map<String, Service> services() {
        return services;
    }

    /** Firefox's canary and iCloud Private Relay's names. */
    public List<String> canaries() {
        return canaries;
    }

    /** Public DoH/DoT resolvers' names. */
    public List<String> dohResolvers() {
        return dohResolvers;
    }

    private static ServiceCatalog load() {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        Map<String, String> titles = new LinkedHashMap<>();
        read("services.txt", sections, titles);
        Map<String, Service> services = new LinkedHashMap<>();
        for (String name : sections.keySet()) {
            Set<String> domains = new LinkedHashSet<>();
            expand(name, sections, domains, new ArrayList<>());
            services.put(name, new Service(name, titles.get(name), List.copyOf(domains)));
        }
        Map<String, List<String>> doh = new LinkedHashMap<>();
        read("doh-bypass.txt", doh, new LinkedHashMap<>());
        return new ServiceCatalog(
                Collections.unmodifiableMap(services),
                List.copyOf(doh.getOrDefault("canaries", List.of())),
                List.copyOf(doh.getOrDefault("resolvers", List.of())));
    }

    private static void expand(String name, Map<String, List<String>> sections, Set<String> out, List<String> path) {
        if (path.contains(name)) {
            throw new IllegalStateException("services.txt: " + name + " includes itself through " + path);
        }
        List<String> lines = sections.get(name);
        if (lines == null) {
            throw new IllegalStateException("services.txt: unknown service +" + name + " in " + path);
        }
        path.add(name);
        for (String line : lines) {
            if (line.startsWith("+")) {
                expand(line.substring(1), sections, out, path);
            } else {
                out.add(line);
            }
        }
        path.remove(path.size() - 1);
    }

    private static void read(String resource, Map<String, List<String>> sections, Map<String, String> titles) {
        try (InputStream in = ServiceCatalog.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String section = null;
            int lineNumber = 0;
            for (String line; (line = r.readLine()) != null; ) {
                lineNumber++;
                String t = line.trim();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                if (t.startsWith("[")) {
                    int close = t.indexOf(']');
                    section = t.substring(1, close);
                    titles.put(section, t.substring(close + 1).trim());
                    sections.put(section, new ArrayList<>());
                } else if (section == null) {
                    throw new IllegalStateException(resource + " line " + lineNumber + ": a name before any [section]");
                } else {
                    if (!t.startsWith("+")) {
                        DnsNames.toWire(t); // a typo fails the build's tests, not a query
                    }
                    sections.get(section).add(t);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
