package org.safenet.dns.resolver.stats;

import java.util.List;

/** The transports a query comes over, as counted in {@code safenet_queries_by_transport_total}. */
public final class QueryTransport {
    private QueryTransport() {}

    public static final int UDP = 0;
    public static final int TCP = 1;
    /** DNS over TLS (RFC 7858). */
    public static final int DOT = 2;
    /** DNS over HTTPS (RFC 8484). */
    public static final int DOH = 3;

    /** Their names in the metric's {@code transport} tag, by number. */
    public static final List<String> NAMES = List.of("udp", "tcp", "dot", "doh");
}
