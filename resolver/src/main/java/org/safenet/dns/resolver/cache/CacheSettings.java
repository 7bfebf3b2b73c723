package org.safenet.dns.resolver.cache;

import java.time.Duration;

/**
 * Cache limits and TTL policy.
 *
 * @param maxEntries entries kept at most; the least recently used of a bucket goes first
 * @param minTtl TTLs below this are raised to it (0 keeps them)
 * @param maxTtl TTLs above this are lowered to it
 * @param negativeMaxTtl cap on NXDOMAIN/NODATA caching, which RFC 2308 derives from the SOA
 * @param serveStale answer from expired entries when every upstream fails (RFC 8767)
 * @param maxStale how long past expiry an entry may still be served stale
 * @param staleAnswerTtl the TTL a stale answer carries (RFC 8767 §4 suggests 30 s)
 * @param staleClientTimeout a client waiting this long on upstreams gets the stale answer if there
 *     is one, while resolution goes on and refreshes the cache (RFC 8767 §5 suggests 1.8 s)
 */
public record CacheSettings(
        int maxEntries,
        Duration minTtl,
        Duration maxTtl,
        Duration negativeMaxTtl,
        boolean serveStale,
        Duration maxStale,
        Duration staleAnswerTtl,
        Duration staleClientTimeout) {

    public CacheSettings {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must be 0 (no cache) or more, not " + maxEntries);
        }
        if (minTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException(
                    "minTtl " + minTtl.toSeconds() + "s is above maxTtl " + maxTtl.toSeconds() + "s");
        }
    }

    public static CacheSettings defaults() {
        return new CacheSettings(
                200_000,
                Duration.ZERO,
                Duration.ofDays(1),
                Duration.ofHours(1),
                true,
                Duration.ofDays(1),
                Duration.ofSeconds(30),
                Duration.ofMillis(1800));
    }
}
