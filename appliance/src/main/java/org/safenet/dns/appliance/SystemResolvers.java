package org.safenet.dns.appliance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.safenet.dns.resolver.HostPort;

/** The nameservers of /etc/resolv.conf, the upstreams used when the config names none. */
final class SystemResolvers {
    private SystemResolvers() {}

    static List<HostPort> read(Path resolvConf) {
        List<String> lines;
        try {
            lines = Files.readAllLines(resolvConf);
        } catch (IOException e) {
            return List.of();
        }
        return parse(lines);
    }

    static List<HostPort> parse(List<String> lines) {
        List<HostPort> out = new ArrayList<>();
        for (String line : lines) {
            String t = line.strip();
            if (!t.startsWith("nameserver")) {
                continue;
            }
            String[] f = t.split("\\s+");
            if (f.length < 2) {
                continue;
            }
            String addr = f[1];
            int zone = addr.indexOf('%'); // fe80::1%eth0: the zone id is not part of the address
            if (zone >= 0) {
                addr = addr.substring(0, zone);
            }
            try {
                out.add(HostPort.parse(addr.indexOf(':') >= 0 ? "[" + addr + "]" : addr, 53));
            } catch (IllegalArgumentException ignored) {
                // not an address: resolv.conf(5) says such lines are ignored
            }
        }
        return out;
    }
}
