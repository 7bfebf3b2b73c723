package org.safenet.dns.blocklist.sync;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.importer.SourceAction;
import org.safenet.dns.resolver.HostPort;

/**
 * One configured blocklist source: where its list comes from and how it is applied.
 *
 * @param name unique; entries in the store carry it, so it must not change once used
 * @param type http, national, file or rpz
 * @param category category of its entries
 * @param action what its entries do (see {@link SourceAction})
 * @param enabled false: never synced (its entries stay until removed)
 * @param precedence when sources list the same name, the higher one decides (RPZ zone order)
 * @param format list syntax of http and file sources
 * @param url http: the list; national: the signed manifest
 * @param path file: the list file, re-read when it changes
 * @param primary rpz: the primary to transfer from
 * @param zone rpz: the policy zone's name
 * @param tsigKey rpz: the name of a configured TSIG key to sign transfers with, or null
 * @param refresh how often to check for a new version (rpz: also the SOA refresh, whichever is sooner)
 * @param bearerToken http/national: sent as {@code Authorization: Bearer}, or null
 * @param clientCertificate http/national: a PKCS#12 file with the client certificate and key, or null
 * @param clientCertificatePassword its password
 * @param sha256 http: the list's expected SHA-256 (hex), or null
 * @param signatureUrl http: where the list's detached Ed25519 signature is, or null
 * @param publicKey Ed25519 public key (base64 of the 32 raw bytes or of the X.509 encoding) that
 *     signs the list (http) or the manifest (national; required)
 * @param rails the safety limits
 * @param allowPublicSuffixes the list may hold public suffixes and single labels (an RPZ trigger
 *     on a whole TLD such as {@code zip}); refused by default
 */
public record SourceSpec(
        String name,
        Type type,
        String category,
        SourceAction action,
        boolean enabled,
        int precedence,
        ListFormat format,
        @Nullable URI url,
        @Nullable Path path,
        @Nullable HostPort primary,
        @Nullable String zone,
        @Nullable String tsigKey,
        Duration refresh,
        @Nullable String bearerToken,
        @Nullable Path clientCertificate,
        @Nullable String clientCertificatePassword,
        @Nullable String sha256,
        @Nullable URI signatureUrl,
        @Nullable String publicKey,
        Rails rails,
        boolean allowPublicSuffixes) {

    /** Where a source's list comes from. */
    public enum Type {
        HTTP,
        NATIONAL,
        FILE,
        RPZ
    }

    /**
     * Safety limits of one source.
     *
     * @param maxRemovePercent an update removing more than this share of the source's entries is held
     * @param maxAddPercent an update adding more than this share is held
     * @param minEntriesForRatios below this many entries the ratios are not applied (a first sync,
     *     a tiny list)
     * @param maxBytes a download larger than this fails
     * @param timeout a download (or transfer) taking longer than this fails
     */
    public record Rails(
            int maxRemovePercent, int maxAddPercent, int minEntriesForRatios, long maxBytes, Duration timeout) {
        public static Rails defaults() {
            return new Rails(50, 200, 100, 256L << 20, Duration.ofSeconds(60));
        }

        public Rails {
            if (maxRemovePercent < 0 || maxAddPercent < 0 || minEntriesForRatios < 0 || maxBytes <= 0) {
                throw new IllegalArgumentException("rails: percentages and sizes must not be negative");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("rails.timeout must be positive");
            }
        }
    }

    public SourceSpec {
        if (name.isBlank() || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("source name '" + name
                    + "': letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit");
        }
        Categories.requireKnown(category);
        switch (type) {
            case HTTP -> require(url != null && isHttp(url), name, "url (http:// or https://)");
            case NATIONAL -> {
                require(url != null && isHttp(url), name, "url (the manifest, http:// or https://)");
                require(publicKey != null, name, "publicKey (the national feed is always signed)");
            }
            case FILE -> require(path != null, name, "path");
            case RPZ -> {
                require(primary != null, name, "primary (HOST:PORT)");
                require(zone != null && !zone.isBlank(), name, "zone");
            }
        }
        if (refresh.isNegative() || refresh.isZero()) {
            throw new IllegalArgumentException("source " + name + ": refresh must be positive");
        }
        if (sha256 != null && !sha256.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("source " + name + ": sha256 must be 64 hex digits");
        }
        if (publicKey != null) {
            Signatures.publicKey(publicKey); // fails with a clear message if it is not an Ed25519 key
        }
    }

    /** A source with every optional setting at its default (list action, enabled, precedence 100, 1 h, default rails). */
    public static Builder builder(String name, Type type, String category) {
        return new Builder(name, type, category);
    }

    /** A builder holding this source's settings, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder(name, type, category);
        b.action = action;
        b.enabled = enabled;
        b.precedence = precedence;
        b.format = format;
        b.url = url;
        b.path = path;
        b.primary = primary;
        b.zone = zone;
        b.tsigKey = tsigKey;
        b.refresh = refresh;
        b.bearerToken = bearerToken;
        b.clientCertificate = clientCertificate;
        b.clientCertificatePassword = clientCertificatePassword;
        b.sha256 = sha256;
        b.signatureUrl = signatureUrl;
        b.publicKey = publicKey;
        b.rails = rails;
        return b;
    }

    /** Settings of a {@link SourceSpec}, validated by {@link #build()}. */
    public static final class Builder {
        private final String name;
        private final Type type;
        private final String category;
        private SourceAction action = SourceAction.LIST;
        private boolean enabled = true;
        private int precedence = 100;
        private ListFormat format = ListFormat.DOMAINS;
        private @Nullable URI url;
        private @Nullable Path path;
        private @Nullable HostPort primary;
        private @Nullable String zone;
        private @Nullable String tsigKey;
        private Duration refresh = Duration.ofHours(1);
        private @Nullable String bearerToken;
        private @Nullable Path clientCertificate;
        private @Nullable String clientCertificatePassword;
        private @Nullable String sha256;
        private @Nullable URI signatureUrl;
        private @Nullable String publicKey;
        private Rails rails = Rails.defaults();
        private boolean allowPublicSuffixes;

        private Builder(String name, Type type, String category) {
            this.name = name;
            this.type = type;
            this.category = category;
        }

        public Builder action(SourceAction v) {
            action = v;
            return this;
        }

        public Builder enabled(boolean v) {
            enabled = v;
            return this;
        }

        public Builder precedence(int v) {
            precedence = v;
            return this;
        }

        public Builder format(ListFormat v) {
            format = v;
            return this;
        }

        public Builder url(@Nullable URI v) {
            url = v;
            return this;
        }

        public Builder path(@Nullable Path v) {
            path = v;
            return this;
        }

        public Builder primary(@Nullable HostPort v) {
            primary = v;
            return this;
        }

        public Builder zone(@Nullable String v) {
            zone = v;
            return this;
        }

        public Builder tsigKey(@Nullable String v) {
            tsigKey = v;
            return this;
        }

        public Builder refresh(Duration v) {
            refresh = v;
            return this;
        }

        public Builder bearerToken(@Nullable String v) {
            bearerToken = v;
            return this;
        }

        public Builder clientCertificate(@Nullable Path file, @Nullable String password) {
            clientCertificate = file;
            clientCertificatePassword = password;
            return this;
        }

        public Builder sha256(@Nullable String v) {
            sha256 = v;
            return this;
        }

        public Builder signatureUrl(@Nullable URI v) {
            signatureUrl = v;
            return this;
        }

        public Builder publicKey(@Nullable String v) {
            publicKey = v;
            return this;
        }

        public Builder rails(Rails v) {
            rails = v;
            return this;
        }

        public Builder allowPublicSuffixes(boolean v) {
            allowPublicSuffixes = v;
            return this;
        }

        /** The source; fails with a message naming it if a setting its type needs is missing or bad. */
        public SourceSpec build() {
            return new SourceSpec(
                    name,
                    type,
                    category,
                    action,
                    enabled,
                    precedence,
                    format,
                    url,
                    path,
                    primary,
                    zone,
                    tsigKey,
                    refresh,
                    bearerToken,
                    clientCertificate,
                    clientCertificatePassword,
                    sha256,
                    signatureUrl,
                    publicKey,
                    rails,
                    allowPublicSuffixes);
        }
    }

    /** Without the bearer token and certificate password: this may end up in a log. */
    @Override
    public String toString() {
        return "SourceSpec[" + name + ", " + type + ", " + category + ", precedence " + precedence
                + (enabled ? "" : ", disabled") + (url != null ? ", " + url : "") + (path != null ? ", " + path : "")
                + (primary != null ? ", " + primary + " " + zone : "") + "]";
    }

    private static boolean isHttp(URI u) {
        return "http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme());
    }

    private static void require(boolean ok, String name, String what) {
        if (!ok) {
            throw new IllegalArgumentException("source " + name + ": needs " + what);
        }
    }
}
