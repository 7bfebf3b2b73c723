package org.safenet.dns.admin.http;

/**
 * The bounds of one HTTP server.
 *
 * @param maxBodyBytes the largest request body; a larger declared one is refused before it is read
 * @param maxPendingBodyBytes request bodies being received or handled at once, in bytes, over all
 *     connections; past it a request with a body gets 503 (so a crowd of large bodies cannot
 *     exhaust memory)
 * @param idleSeconds how long a connection may wait between requests
 * @param requestSeconds how long one whole request (headers and body) may take to arrive: a
 *     deadline for the message, not for the gaps between its bytes, so a byte every few seconds
 *     does not hold a connection
 */
public record HttpLimits(int maxBodyBytes, long maxPendingBodyBytes, int idleSeconds, int requestSeconds) {
    public HttpLimits {
        if (maxBodyBytes < 0 || maxPendingBodyBytes < maxBodyBytes || idleSeconds < 1 || requestSeconds < 1) {
            throw new IllegalArgumentException("invalid HTTP limits: " + maxBodyBytes + ", " + maxPendingBodyBytes
                    + ", " + idleSeconds + " s, " + requestSeconds + " s");
        }
    }
}
