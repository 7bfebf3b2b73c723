package org.safenet.dns.resolver;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A literal IP address and port, written {@code 192.0.2.1:53}, {@code [2001:db8::1]:53}, or
 * without the port to take the default. Host names are refused on purpose: resolving them would
 * make the resolver depend on DNS to start.
 */
public record HostPort(InetAddress address, int port) {

    public HostPort {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 0..65535");
        }
    }

    public static HostPort parse(String text, int defaultPort) {
        String t = text.trim();
        String host;
        int port = defaultPort;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing ']' in '" + text + "'");
            }
            host = t.substring(1, close);
            String rest = t.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("expected ':port' after ']' in '" + text + "'");
                }
                port = parsePort(rest.substring(1), text);
            }
        } else if (t.indexOf(':') != t.lastIndexOf(':')) {
            host = t; // bare IPv6 address, no port
        } else if (t.indexOf(':') >= 0) {
            host = t.substring(0, t.indexOf(':'));
            port = parsePort(t.substring(t.indexOf(':') + 1), text);
        } else {
            host = t;
        }
        return new HostPort(literal(host, text), port);
    }

    private static int parsePort(String p, String text) {
        try {
            int port = Integer.parseInt(p);
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is outside 0..65535 in '" + text + "'");
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port '" + p + "' in '" + text + "'", e);
        }
    }

    private static InetAddress literal(String host, String text) {
        boolean looksLiteral = host.indexOf(':') >= 0
                || (!host.isEmpty() && host.chars().allMatch(c -> c == '.' || Character.isDigit(c)));
        if (!looksLiteral) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not an IP address (host names are not accepted here)");
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address", e);
        }
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(address, port);
    }

    @Override
    public String toString() {
        String h = io.netty.util.NetUtil.toAddressString(address);
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
    }
}
