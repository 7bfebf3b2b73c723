package org.safenet.dns.resolver.upstream;

import io.netty.channel.EventLoop;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * Answers the cache misses the configured upstreams do not: recursion from the root, or validated
 * forwarding. The {@link Forwarder} hands it every miss outside a forward zone when one is set.
 */
public interface MissResolver {
    /**
     * Resolves {@code q}; {@code callback} hears the outcome on {@code loop}. Called on {@code
     * loop}; must not block it. {@code q} is a detached copy, kept until the answer.
     */
    void resolve(ParsedQuery q, EventLoop loop, Forwarder.Callback callback);

    /** Questions being resolved now (a gauge). */
    int pending();
}
