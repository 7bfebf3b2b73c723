package org.safenet.dns.resolver.recursion;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Master;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;

/**
 * The root servers a recursive resolver starts from before priming (RFC 8109): the names of the
 * root's NS records and their addresses, in the format of IANA's {@code named.root}.
 */
public final class RootHints {
    private final Map<Name, List<InetAddress>> servers;

    private RootHints(Map<Name, List<InetAddress>> servers) {
        this.servers = servers;
    }

    /** The root servers' names and addresses, in file order. */
    public Map<Name, List<InetAddress>> servers() {
        return servers;
    }

    /** IANA's hints as of this release (the same as Debian's dns-root-data). */
    public static RootHints builtIn() {
        try (InputStream in = RootHints.class.getResourceAsStream("root.hints")) {
            if (in == null) {
                throw new IllegalStateException("root.hints is missing from the jar");
            }
            return parse(in, "built-in root hints");
        } catch (IOException e) {
            throw new IllegalStateException("the built-in root hints do not read", e);
        }
    }

    /**
     * Reads a hints file.
     *
     * @throws IllegalArgumentException when it cannot be read, does not parse, or names no root
     *     server with an address
     */
    public static RootHints read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("upstream.rootHints: " + file + ": " + e.getMessage(), e);
        }
    }

    static RootHints parse(InputStream in, String what) throws IOException {
        List<Name> names = new ArrayList<>();
        Map<Name, List<InetAddress>> addresses = new LinkedHashMap<>();
        try (Master master = new Master(in, Name.root, 3_600_000)) {
            Record r;
            while ((r = nextRecord(master, what)) != null) {
                if (r instanceof NSRecord ns && r.getName().equals(Name.root)) {
                    names.add(ns.getTarget());
                } else if (r instanceof ARecord a) {
                    addresses
                            .computeIfAbsent(a.getName(), n -> new ArrayList<>())
                            .add(a.getAddress());
                } else if (r instanceof AAAARecord a) {
                    addresses
                            .computeIfAbsent(a.getName(), n -> new ArrayList<>())
                            .add(a.getAddress());
                }
            }
        }
        Map<Name, List<InetAddress>> servers = new LinkedHashMap<>();
        for (Name n : names) {
            List<InetAddress> a = addresses.get(n);
            if (a != null) {
                servers.put(n, List.copyOf(a));
            }
        }
        if (servers.isEmpty()) {
            throw new IllegalArgumentException(
                    what + ": no root server with an address (NS records for '.' and their A/AAAA records)");
        }
        return new RootHints(Map.copyOf(servers));
    }

    private static Record nextRecord(Master master, String what) throws IOException {
        try {
            return master.nextRecord();
        } catch (TextParseException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }
}
