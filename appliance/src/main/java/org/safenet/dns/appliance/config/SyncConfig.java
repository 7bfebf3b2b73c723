package org.safenet.dns.appliance.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.importer.SourceAction;
import org.safenet.dns.blocklist.sync.SourceSpec;
import org.safenet.dns.blocklist.sync.SyncService;
import org.safenet.dns.blocklist.sync.TsigKey;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.CidrPrefix;

/**
 * The {@code sync} section: list sources and their defaults.
 *
 * @param initialBackoff wait after a source's first failed sync; doubled per further failure, at most 6 h
 * @param rails default safety rails of every source
 * @param tsigKeys TSIG keys, referred to by name from rpz sources and {@code distribution.tsigKey}
 * @param sources the list sources
 */
public record SyncConfig(Duration initialBackoff, Rails rails, List<TsigKeyConfig> tsigKeys, List<Source> sources) {

    public SyncConfig {
        tsigKeys = List.copyOf(tsigKeys);
        sources = List.copyOf(sources);
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("must be positive");
        }
        Set<String> names = new HashSet<>();
        for (Source s : sources) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("two sources are named " + s.name());
            }
            if (s.tsigKey() != null && tsigKeys.stream().noneMatch(k -> k.name().equals(s.tsigKey()))) {
                throw new IllegalArgumentException(
                        "source " + s.name() + ": tsigKey " + s.tsigKey() + " is not among sync.tsigKeys");
            }
        }
    }

    /** The rails block; in a source every key is optional and falls back to {@code sync.rails}. */
    public record Rails(
            @Nullable Integer maxRemovePercent,
            @Nullable Integer maxAddPercent,
            @Nullable Integer minEntriesForRatios,
            @Nullable Long maxBytes,
            @Nullable Duration timeout) {

        SourceSpec.Rails over(SourceSpec.Rails base) {
            return new SourceSpec.Rails(
                    maxRemovePercent != null ? maxRemovePercent : base.maxRemovePercent(),
                    maxAddPercent != null ? maxAddPercent : base.maxAddPercent(),
                    minEntriesForRatios != null ? minEntriesForRatios : base.minEntriesForRatios(),
                    maxBytes != null ? maxBytes : base.maxBytes(),
                    timeout != null ? timeout : base.timeout());
        }
    }

    /** One entry of {@code sync.tsigKeys}. */
    public record TsigKeyConfig(String name, String algorithm, String secret) {
        public TsigKeyConfig {
            new TsigKey(name, algorithm, secret); // validates
        }

        @Override
        public String toString() {
            return "TsigKeyConfig[" + name + ", " + algorithm + "]";
        }
    }

    /** One entry of {@code sync.sources}; unset keys take the defaults documented in docs/configuration.md. */
    public record Source(
            String name,
            String type,
            String category,
            @Nullable String action,
            @Nullable Boolean enabled,
            @Nullable Integer precedence,
            @Nullable String format,
            @Nullable String url,
            @Nullable Path path,
            @Nullable HostPort primary,
            @Nullable String zone,
            @Nullable String tsigKey,
            @Nullable Duration refresh,
            @Nullable String bearerToken,
            @Nullable Path clientCertificate,
            @Nullable String clientCertificatePassword,
            @Nullable String sha256,
            @Nullable String signatureUrl,
            @Nullable String publicKey,
            @Nullable Rails rails,
            @Nullable Boolean allowPublicSuffixes) {
        public Source {
            if (name == null || type == null || category == null) {
                throw new IllegalArgumentException("a source needs name, type and category");
            }
        }

        /** Without the bearer token and certificate password: this may end up in a log. */
        @Override
        public String toString() {
            return "Source[" + name + ", " + type + ", " + category + "]";
        }
    }

    /** The sources as the sync service takes them (validated: a bad source fails here, with its name). */
    public List<SourceSpec> specs() {
        SourceSpec.Rails base = rails.over(SourceSpec.Rails.defaults());
        return sources.stream().map(s -> spec(s, base)).toList();
    }

    /** One source as the sync service takes it: unset keys keep {@link SourceSpec.Builder}'s defaults. */
    private static SourceSpec spec(Source s, SourceSpec.Rails base) {
        SourceSpec.Type type = parse(SourceSpec.Type.class, s.type(), s.name(), "type", "http, national, file, rpz");
        SourceSpec.Builder b = SourceSpec.builder(s.name(), type, s.category())
                .url(s.url() == null ? null : URI.create(s.url()))
                .path(s.path())
                .primary(s.primary())
                .zone(s.zone())
                .tsigKey(s.tsigKey())
                .bearerToken(s.bearerToken())
                .clientCertificate(s.clientCertificate(), s.clientCertificatePassword())
                .sha256(s.sha256())
                .signatureUrl(s.signatureUrl() == null ? null : URI.create(s.signatureUrl()))
                .publicKey(s.publicKey())
                .rails(s.rails() == null ? base : s.rails().over(base));
        if (s.action() != null) {
            try {
                b.action(SourceAction.parse(s.action()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("source " + s.name() + ": action " + e.getMessage(), e);
            }
        }
        if (s.enabled() != null) {
            b.enabled(s.enabled());
        }
        if (s.allowPublicSuffixes() != null) {
            b.allowPublicSuffixes(s.allowPublicSuffixes());
        }
        if (s.precedence() != null) {
            b.precedence(s.precedence());
        }
        if (s.format() != null) {
            b.format(ListFormat.parse(s.format()));
        }
        if (s.refresh() != null) {
            b.refresh(s.refresh());
        }
        return b.build();
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String text, String source, String key, String allowed) {
        try {
            return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "source " + source + ": " + key + " '" + text + "' (one of " + allowed + ")", e);
        }
    }

    /**
     * The precedence of a source's entries as configured; entries of no configured source (an
     * operator's imports and edits) get {@link SyncService#OPERATOR_PRECEDENCE}.
     */
    public java.util.function.ToIntFunction<String> precedence() {
        Map<String, Integer> configured = new LinkedHashMap<>();
        specs().forEach(s -> configured.put(s.name(), s.precedence()));
        return source -> configured.getOrDefault(source, SyncService.OPERATOR_PRECEDENCE);
    }

    /** The TSIG keys by name. */
    public Map<String, TsigKey> keys() {
        Map<String, TsigKey> out = new LinkedHashMap<>();
        tsigKeys.forEach(k -> out.put(k.name(), new TsigKey(k.name(), k.algorithm(), k.secret())));
        return out;
    }

    /**
     * The {@code distribution} section: this appliance as an RPZ primary for its merged list.
     *
     * @param enabled serve the zone (AXFR/IXFR on the DNS port) and send NOTIFY
     * @param zone the zone's name
     * @param allowTransfer addresses allowed to transfer
     * @param tsigKey name of a key in sync.tsigKeys every transfer must be signed with; "" for none
     * @param notifyTargets ({@code notify}) secondaries told of every new list version (HOST:PORT, port 53 by default)
     * @param journalVersions how many list versions IXFR can reach back; older secondaries get AXFR
     */
    public record Distribution(
            boolean enabled,
            String zone,
            List<CidrPrefix> allowTransfer,
            String tsigKey,

            @com.fasterxml.jackson.annotation.JsonProperty("notify")
            List<HostPort> notifyTargets,

            int journalVersions) {
        public Distribution {
            allowTransfer = List.copyOf(allowTransfer);
            notifyTargets = List.copyOf(notifyTargets);
            if (journalVersions < 1) {
                throw new IllegalArgumentException("journalVersions must be at least 1");
            }
            if (enabled && allowTransfer.isEmpty() && tsigKey.isEmpty()) {
                throw new IllegalArgumentException(
                        "enabled, but neither allowTransfer nor tsigKey says who may transfer the zone");
            }
        }
    }
}
