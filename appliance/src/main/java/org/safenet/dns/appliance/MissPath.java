package org.safenet.dns.appliance;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.appliance.config.ApplianceConfig;
import org.safenet.dns.resolver.Resolver;
import org.safenet.dns.resolver.dnssec.TrustAnchors;
import org.safenet.dns.resolver.dnssec.Validation;
import org.safenet.dns.resolver.recursion.ColdResolution;
import org.safenet.dns.resolver.recursion.IterativeResolver;
import org.safenet.dns.resolver.recursion.RecursionSettings;
import org.safenet.dns.resolver.upstream.UpstreamAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.SimpleResolver;

/**
 * What {@code upstream.mode: recursive} and {@code dnssec.validate} put on the resolver's miss
 * path: the iterative resolver or the configured upstreams, under dnsjava's validator when
 * validation is on, and their metrics. Forward zones keep going to their own servers. Built at
 * start (the keys are restart-only but the negative trust anchors, which change on reload).
 */
final class MissPath implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MissPath.class);

    private final ColdResolution resolution;
    private final @Nullable Validation validation;

    private MissPath(ColdResolution resolution, @Nullable Validation validation) {
        this.resolution = resolution;
        this.validation = validation;
    }

    /**
     * Installs the miss path {@code config} asks for on {@code resolver}; null when it forwards
     * unvalidated. {@code upstreams}: the default upstreams in effect (the config's, or those of
     * /etc/resolv.conf when it names none).
     */
    static @Nullable MissPath install(
            ApplianceConfig config, List<UpstreamAddress> upstreams, Resolver resolver, MeterRegistry registry) {
        ApplianceConfig.Upstream up = config.upstream();
        boolean recursive = up.recursive();
        boolean validate = config.dnssec().validating(recursive);
        if (!recursive && !validate) {
            return null;
        }
        org.xbill.DNS.Resolver fetching;
        if (recursive) {
            IterativeResolver iterator = new IterativeResolver(
                    RecursionSettings.defaults(up.hints(), up.timeout()),
                    System::currentTimeMillis,
                    up.authorityPort());
            FunctionCounter.builder("safenet.recursion.queries", iterator, IterativeResolver::queriesSent)
                    .description("Queries sent to authoritative servers in recursive mode")
                    .register(registry);
            FunctionCounter.builder("safenet.recursion.timeouts", iterator, IterativeResolver::timeouts)
                    .description("Queries to authoritative servers that went unanswered")
                    .register(registry);
            Gauge.builder("safenet.recursion.delegations", iterator, IterativeResolver::delegationsCached)
                    .description("Zone cuts held in the infrastructure cache")
                    .register(registry);
            fetching = iterator;
        } else {
            fetching = upstreams(upstreams, config);
        }
        Validation validation = validate
                ? new Validation(
                        fetching,
                        TrustAnchors.of(config.dnssec().trustAnchors()),
                        config.dnssec().negativeTrustAnchors())
                : null;
        ColdResolution resolution = new ColdResolution(
                fetching,
                validation,
                resolver.cache(),
                System::currentTimeMillis,
                up.maxPending(),
                up.failureCacheTtl());
        for (String status : List.of("secure", "bogus")) {
            FunctionCounter.builder(
                            "safenet.dnssec.answers",
                            resolution,
                            status.equals("secure") ? ColdResolution::secureAnswers : ColdResolution::bogusAnswers)
                    .tag("status", status)
                    .description("Answers validated secure, and answers found bogus (SERVFAIL)")
                    .register(registry);
        }
        resolver.missResolver(resolution);
        log.info(
                "cache misses: {}{}",
                recursive ? "resolved from the root servers" : "forwarded",
                validation == null ? ", not validated" : ", validated (DNSSEC)");
        return new MissPath(resolution, validation);
    }

    /** The default upstreams as dnsjava resolvers (UDP with TCP after TC, or TCP), tried in order. */
    private static org.xbill.DNS.Resolver upstreams(List<UpstreamAddress> upstreams, ApplianceConfig config) {
        List<org.xbill.DNS.Resolver> list = new ArrayList<>();
        for (UpstreamAddress a : upstreams) {
            SimpleResolver r = new SimpleResolver(a.hostPort().toSocketAddress());
            r.setTCP(a.transport() == UpstreamAddress.Transport.TCP);
            r.setTimeout(config.upstream().timeout());
            list.add(r);
        }
        ExtendedResolver all = new ExtendedResolver(list);
        all.setTimeout(config.upstream()
                .timeout()
                .multipliedBy(Math.max(1, config.upstream().attempts())));
        return all;
    }

    /** The negative trust anchors from now on (a reload). */
    void negativeTrustAnchors(List<String> domains) {
        Validation v = validation;
        if (v != null) {
            v.negativeAnchors(domains);
        }
    }

    @Override
    public void close() {
        resolution.close();
    }
}
