package org.safenet.dns.resolver.upstream;

import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * One upstream as configured: how to reach it and, for DNS over TLS, the name its certificate must
 * carry.
 *
 * <p>Written {@code 192.0.2.53} or {@code 192.0.2.53:5353} (UDP, asked again over TCP when an
 * answer is truncated), {@code udp://...} (the same), {@code tcp://192.0.2.53} (TCP only, one
 * connection reused with pipelining, RFC 7766), or {@code tls://1.1.1.1:853#cloudflare-dns.com}
 * (DNS over TLS, RFC 7858, port 853 by default; the name after {@code #} is the authentication
 * name of RFC 8310: the certificate must be valid for it, and it is sent as SNI). A {@code tls://}
 * upstream without a name must present a certificate for its IP address. The address is always
 * a literal: resolving a host name would make the resolver depend on DNS to reach DNS.
 *
 * @param transport how queries travel
 * @param hostPort the server's address and port
 * @param authName for {@link Transport#TLS}: the name the certificate is checked against, or null
 *     to check it against the IP address
 */
public record UpstreamAddress(
        Transport transport, HostPort hostPort, @Nullable String authName) {

    /** How queries reach an upstream. */
    public enum Transport {
        /** UDP, and TCP for an answer that came back truncated. */
        UDP("udp", 53),
        /** TCP only, connections kept and reused. */
        TCP("tcp", 53),
        /** DNS over TLS; never falls back to clear text. */
        TLS("tls", 853);

        final String scheme;
        final int defaultPort;

        Transport(String scheme, int defaultPort) {
            this.scheme = scheme;
            this.defaultPort = defaultPort;
        }

        /** The metric label and URL scheme: {@code udp}, {@code tcp}, {@code tls}. */
        public String label() {
            return scheme;
        }
    }

    public UpstreamAddress {
        if (authName != null && transport != Transport.TLS) {
            throw new IllegalArgumentException(
                    "only a tls:// upstream takes an authentication name (#" + authName + ")");
        }
        if (authName != null) {
            authName = authName.toLowerCase(Locale.ROOT);
        }
    }

    /** A plain UDP upstream (TCP for truncated answers). */
    public static UpstreamAddress udp(HostPort hostPort) {
        return new UpstreamAddress(Transport.UDP, hostPort, null);
    }

    /**
     * Parses the forms above.
     *
     * @throws IllegalArgumentException with the reason, naming the text
     */
    public static UpstreamAddress parse(String text) {
        String t = text.trim();
        Transport transport = Transport.UDP;
        int scheme = t.indexOf("://");
        if (scheme >= 0) {
            String s = t.substring(0, scheme).toLowerCase(Locale.ROOT);
            transport = switch (s) {
                case "udp" -> Transport.UDP;
                case "tcp" -> Transport.TCP;
                case "tls" -> Transport.TLS;
                default ->
                    throw new IllegalArgumentException("upstream '" + text + "': unknown scheme '" + s
                            + "://' (udp://, tcp:// or tls://; none means udp)");
            };
            t = t.substring(scheme + 3);
        }
        String name = null;
        int hash = t.indexOf('#');
        if (hash >= 0) {
            name = t.substring(hash + 1);
            t = t.substring(0, hash);
            if (transport != Transport.TLS) {
                throw new IllegalArgumentException(
                        "upstream '" + text + "': an authentication name (#" + name + ") is only for tls:// upstreams");
            }
            if (name.isEmpty()) {
                throw new IllegalArgumentException("upstream '" + text + "': nothing after '#'");
            }
            try {
                DnsNames.toWire(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "upstream '" + text + "': '" + name + "' is not a valid name: " + e.getMessage(), e);
            }
        }
        // Its message names the address part, which is what is wrong.
        return new UpstreamAddress(transport, HostPort.parse(t, transport.defaultPort), name);
    }

    /**
     * The canonical form: {@code 192.0.2.53:53} for UDP (as before transports existed, so metric
     * labels stay), {@code tcp://192.0.2.53:53}, {@code tls://1.1.1.1:853#cloudflare-dns.com}.
     */
    @Override
    public String toString() {
        return switch (transport) {
            case UDP -> hostPort.toString();
            case TCP -> "tcp://" + hostPort;
            case TLS -> "tls://" + hostPort + (authName == null ? "" : "#" + authName);
        };
    }
}
