package org.safenet.dns.resolver.pipeline;

import java.net.InetSocketAddress;
import org.safenet.dns.resolver.wire.ParsedQuery;

/**
 * What the resolver hands over instead of resolving: zone transfers (AXFR, IXFR) and SOA queries
 * of a zone the appliance serves, and NOTIFY messages (RFC 1996) from a primary it transfers from. Both are
 * rare, so the service gets a copy of the message and works off the event loops; it answers
 * through the sink (several messages for a transfer over TCP). It has its own access rules (the
 * secondaries, the primaries, TSIG), checked instead of the resolver's client ACL.
 */
public interface ZoneService {
    /** The default: nothing is handed over (transfers are REFUSED, NOTIFY is NOTIMP). */
    ZoneService NONE = (message, client, tcp, sink) -> false;

    /**
     * Offers one message. Returns false to let the resolver answer it as usual; true if taken,
     * after which the service answers it (or not) through {@code sink}, from any thread.
     *
     * @param message the whole DNS message as received
     * @param tcp whether it came over TCP (transfers need it)
     */
    boolean take(byte[] message, InetSocketAddress client, boolean tcp, ReplySink sink);

    /**
     * Whether an SOA query for {@code q}'s name may be for a zone this service serves. Checked on
     * the event loop before an SOA query is copied and handed over, so that the SOA queries of
     * ordinary clients cost nothing extra; must not allocate. The default says yes to everything.
     */
    default boolean mayServeSoa(ParsedQuery q) {
        return true;
    }
}
