package org.safenet.dns.resolver.recursion;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * What the resolver knows of each authoritative server it asked: smoothed round-trip time,
 * back-off after timeouts, whether it echoes letter case and EDNS, its DNS cookie. Bounded: the
 * least recently used server is forgotten.
 */
final class ServerStates {
    /** Round trip assumed for a server never asked: low, so that every server gets tried (Unbound: 376 ms; lower on a LAN). */
    static final double UNKNOWN_RTT_MS = 50;
    /** The longest back-off of a server that keeps timing out. */
    static final long MAX_BACKOFF_MS = 60_000;

    static final class State {
        /** Smoothed round-trip time, ms (RFC 6298's weights). */
        double srttMs = UNKNOWN_RTT_MS * (0.5 + ThreadLocalRandom.current().nextDouble());

        int consecutiveTimeouts;
        long backoffUntilMillis;
        /** It answered a 0x20 question with different letter case: asked without it from now on. */
        boolean noCaseEcho;
        /** It answered an EDNS question with FORMERR or NOTIMP: asked without OPT from now on. */
        boolean noEdns;
        /** The server cookie it gave us last (RFC 7873 §5.3), or null. */
        byte @Nullable [] serverCookie;

        /** Our client cookie for it, made once. */
        byte @Nullable [] clientCookie;
    }

    private final Bounded<InetAddress, State> states;
    private final byte[] secret = new byte[16];

    ServerStates(int max) {
        this.states = new Bounded<>(max);
        new SecureRandom().nextBytes(secret);
    }

    State of(InetAddress server) {
        State s = states.get(server);
        if (s == null) {
            s = new State();
            states.put(server, s);
        }
        return s;
    }

    /**
     * The client cookie for {@code server}: a hash of our secret and its address (RFC 9018 §4.1's
     * idea without our own address, which the kernel chooses), the same every time for one
     * server, different between servers, unguessable to anyone else.
     */
    byte[] clientCookie(InetAddress server) {
        State s = of(server);
        byte[] c = s.clientCookie;
        if (c == null) {
            c = cookieOf(server);
            s.clientCookie = c;
        }
        return c;
    }

    private byte[] cookieOf(InetAddress server) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(secret);
            sha.update(server.getAddress());
            return Arrays.copyOf(sha.digest(), 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    void answered(InetAddress server, long rttMillis) {
        State s = of(server);
        synchronized (s) {
            s.srttMs = 0.875 * s.srttMs + 0.125 * Math.max(1, rttMillis);
            s.consecutiveTimeouts = 0;
            s.backoffUntilMillis = 0;
        }
    }

    void timedOut(InetAddress server, long nowMillis, long timeoutMillis) {
        State s = of(server);
        synchronized (s) {
            s.srttMs = Math.min(Math.max(s.srttMs * 2, timeoutMillis), 10_000);
            s.consecutiveTimeouts++;
            if (s.consecutiveTimeouts >= 2) {
                // 1 s, 2 s, 4 s ... up to a minute: an unresponsive server is left alone, then probed again.
                long backoff = Math.min(MAX_BACKOFF_MS, 1000L << Math.min(16, s.consecutiveTimeouts - 2));
                s.backoffUntilMillis = nowMillis + backoff;
            }
        }
    }

    /**
     * {@code servers} in the order to try them: servers not backing off before those that are,
     * IPv4 before IPv6 (a box without IPv6 routes loses nothing), then by smoothed round trip.
     */
    List<InetAddress> order(List<InetAddress> servers, long nowMillis) {
        List<InetAddress> out = new ArrayList<>(servers);
        out.sort(Comparator.<InetAddress>comparingInt(a -> of(a).backoffUntilMillis > nowMillis ? 1 : 0)
                .thenComparingInt(a -> a instanceof Inet6Address ? 1 : 0)
                .thenComparingDouble(a -> of(a).srttMs));
        return out;
    }

    /** How long to wait for {@code server}: four round trips, within [100 ms, {@code max}]. */
    long timeoutMillis(InetAddress server, long maxMillis) {
        return Math.max(100, Math.min(maxMillis, (long) (of(server).srttMs * 4) + 50));
    }
}
