package org.safenet.dns.resolver.upstream;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Questions whose upstreams all failed recently, with when to ask again (RFC 9520 §3.2), on one
 * event loop. Bounded: entries are kept in the order they were remembered, so expired ones are
 * found at the head and a full memo forgets its oldest entry. Every operation is O(1) amortized;
 * a flood of distinct failing names (an upstream outage under a random-subdomain attack) must not
 * turn each failure into a scan of the whole memo.
 */
final class FailureMemo {
    private final int capacity;
    private final LinkedHashMap<String, Long> retryAt = new LinkedHashMap<>();

    FailureMemo(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
    }

    /** True if {@code key} failed and may not be asked again before {@code nowMillis}; forgets it once it may. */
    boolean failedRecently(String key, long nowMillis) {
        Long at = retryAt.get(key);
        if (at == null) {
            return false;
        }
        if (nowMillis < at) {
            return true;
        }
        retryAt.remove(key);
        return false;
    }

    /** Remembers that {@code key} failed: it is not asked again for {@code ttlMillis}. */
    void remember(String key, long nowMillis, long ttlMillis) {
        Iterator<Map.Entry<String, Long>> head = retryAt.entrySet().iterator();
        while (head.hasNext() && head.next().getValue() <= nowMillis) {
            head.remove();
        }
        retryAt.remove(key); // a re-failure moves to the tail, with its new time
        if (retryAt.size() >= capacity) {
            Iterator<String> oldest = retryAt.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        retryAt.put(key, nowMillis + ttlMillis);
    }

    int size() {
        return retryAt.size();
    }
}
