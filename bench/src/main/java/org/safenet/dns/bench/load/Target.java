package org.safenet.dns.bench.load;

import java.net.InetSocketAddress;
import org.safenet.dns.resolver.HostPort;

/**
 * A server under test: {@code [LABEL=]HOST:PORT[,pid=PID]}. With a PID (a process on this
 * machine) the report adds the server's CPU time and memory.
 */
public record Target(String label, InetSocketAddress address, long pid) {

    public static Target parse(String spec) {
        String rest = spec.strip();
        String label = null;
        int eq = rest.indexOf('=');
        int comma = rest.indexOf(',');
        if (eq > 0 && (comma < 0 || eq < comma)) {
            label = rest.substring(0, eq);
            rest = rest.substring(eq + 1);
            comma = rest.indexOf(',');
        }
        long pid = -1;
        if (comma >= 0) {
            String option = rest.substring(comma + 1).strip();
            rest = rest.substring(0, comma);
            if (!option.startsWith("pid=")) {
                throw new IllegalArgumentException(
                        "target '" + spec + "': unknown option '" + option + "' (expected pid=PID)");
            }
            try {
                pid = Long.parseLong(option.substring(4));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "target '" + spec + "': pid '" + option.substring(4) + "' is not a number");
            }
        }
        HostPort hp;
        try {
            hp = HostPort.parse(rest, 53);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "target '" + spec + "': " + e.getMessage() + " (expected [LABEL=]HOST:PORT[,pid=PID])", e);
        }
        InetSocketAddress address = hp.toSocketAddress();
        return new Target(label != null ? label : rest, address, pid);
    }

    public String addressText() {
        String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
