package org.safenet.dns.resolver.policy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * How blocked names are answered.
 *
 * @param blockPageAddresses the block page's addresses: A answers get the IPv4 ones, AAAA answers
 *     the IPv6 ones (none of a family means NODATA for that type)
 * @param ttl TTL of sinkhole and CNAME answers: short, so a removed entry is not remembered long
 * @param negativeTtl TTL (and SOA minimum) of NXDOMAIN/NODATA answers
 */
public record SinkholeSettings(List<InetAddress> blockPageAddresses, Duration ttl, Duration negativeTtl) {

    /** The quick-start block page on loopback, 60 s answers, 5 min negative TTL. */
    public static SinkholeSettings defaults() {
        return new SinkholeSettings(
                List.of(InetAddress.getLoopbackAddress()), Duration.ofSeconds(60), Duration.ofMinutes(5));
    }

    public SinkholeSettings {
        blockPageAddresses = List.copyOf(blockPageAddresses);
        if (ttl.isNegative() || negativeTtl.isNegative()) {
            throw new IllegalArgumentException("TTLs cannot be negative");
        }
    }
}
