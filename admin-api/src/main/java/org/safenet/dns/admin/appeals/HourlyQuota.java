package org.safenet.dns.admin.appeals;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * A few filings per client an hour, for the public forms (appeals, reports): a client is an IPv4
 * address or an IPv6 /64 (one household's or host's share). Memory is bounded: past {@link
 * #MAX_CLIENTS_TRACKED} clients the expired counts go, and if that is not enough the counts start
 * over. Not thread-safe: callers hold their own lock.
 */
final class HourlyQuota {
    /** Clients whose filings are counted at once. */
    static final int MAX_CLIENTS_TRACKED = 10_000;

    private static final long HOUR_MILLIS = 3_600_000;

    private final int perHour;
    /** Per client prefix: the start of its hour and its filings in it. */
    private final Map<String, long[]> filings = new HashMap<>();

    HourlyQuota(int perHour) {
        this.perHour = perHour;
    }

    /** Counts a filing of {@code client} at {@code now}; false if it has had its share this hour. */
    boolean take(InetAddress client, long now) {
        String key = prefixOf(client);
        if (filings.size() >= MAX_CLIENTS_TRACKED && !filings.containsKey(key)) {
            filings.values().removeIf(f -> now - f[0] >= HOUR_MILLIS);
            if (filings.size() >= MAX_CLIENTS_TRACKED) {
                filings.clear();
            }
        }
        long[] f = filings.computeIfAbsent(key, c -> new long[] {now, 0});
        if (now - f[0] >= HOUR_MILLIS) {
            f[0] = now;
            f[1] = 0;
        }
        if (f[1] >= perHour) {
            return false;
        }
        f[1]++;
        return true;
    }

    /** An IPv4 address, or the /64 of an IPv6 one. */
    static String prefixOf(InetAddress client) {
        byte[] b = client.getAddress();
        if (b.length == 4) {
            return client.getHostAddress();
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            s.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff)))
                    .append(':');
        }
        return s.append(":/64").toString();
    }
}
