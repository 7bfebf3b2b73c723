package org.safenet.dns.resolver.upstream;

import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How DNS-over-TLS upstreams are authenticated (RFC 8310's strict profile: no answer without a
 * verified server, and never clear text instead).
 *
 * @param ca PEM file of the certificates trusted to sign upstreams' certificates, or empty for the
 *     system trust store ({@code /etc/ssl/certs/ca-certificates.crt} where it exists, else the
 *     JDK's)
 * @param pins per upstream (its authentication name, else its address as {@code 192.0.2.1:853}):
 *     base64 SHA-256 digests of a SubjectPublicKeyInfo (RFC 7858 §4.2); one of the certificates the
 *     server presents must carry one of them, in addition to a valid chain and name
 */
public record UpstreamTls(String ca, Map<String, List<String>> pins) {
    public static final UpstreamTls SYSTEM = new UpstreamTls("", Map.of());

    public UpstreamTls {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        pins.forEach((k, v) -> {
            for (String pin : v) {
                byte[] digest;
                try {
                    digest = Base64.getDecoder().decode(pin.trim());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            "upstream.tls.pins[" + k + "]: '" + pin + "' is not base64 (the SHA-256 of a public key,"
                                    + " as openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"
                                    + " prints it)",
                            e);
                }
                if (digest.length != 32) {
                    throw new IllegalArgumentException("upstream.tls.pins[" + k + "]: '" + pin + "' is " + digest.length
                            + " bytes, a SHA-256 digest is 32");
                }
            }
            copy.put(k.toLowerCase(Locale.ROOT), v.stream().map(String::trim).toList());
        });
        pins = Map.copyOf(copy);
    }

    /**
     * Reads the trust anchors once, so that a missing or broken {@link #ca()} file is reported when
     * the configuration is read rather than when a query first goes to a TLS upstream.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public void check() {
        new UpstreamTlsContexts(this).anchors();
    }

    /** The CA file, or null for the system trust store. */
    @Nullable
    Path caFile() {
        return ca.isBlank() ? null : Path.of(ca);
    }

    /** The pins for {@code server}, empty when it has none. */
    List<String> pinsFor(UpstreamAddress server) {
        String name = server.authName();
        List<String> p = name == null ? null : pins.get(name);
        if (p == null) {
            p = pins.get(server.hostPort().toString());
        }
        return p == null ? List.of() : p;
    }

    /**
     * Every pin must belong to one of {@code servers}: a key that names none is a typo that would
     * leave a server unpinned.
     *
     * @throws IllegalArgumentException naming the key
     */
    public void checkPinsNameServers(List<UpstreamAddress> servers) {
        for (String key : pins.keySet()) {
            boolean known = servers.stream()
                    .anyMatch(a -> a.transport() == UpstreamAddress.Transport.TLS
                            && (key.equals(a.authName())
                                    || key.equals(a.hostPort().toString())));
            if (!known) {
                throw new IllegalArgumentException("upstream.tls.pins names '" + key
                        + "', which is neither the name after '#' nor the address:port of a tls:// upstream");
            }
        }
    }
}
