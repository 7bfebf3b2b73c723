package org.safenet.dns.resolver.pipeline;

import java.net.InetSocketAddress;
import org.safenet.dns.resolver.stats.QueryTransport;

/** What the pipeline needs from the listener a query came in on. */
public interface ClientChannel {
    /** Which transport the query came over ({@link QueryTransport}). */
    default int transport() {
        return QueryTransport.UDP;
    }

    /** Largest answer the client can take: {@code udpLimit} over UDP, 65535 over TCP. */
    int maxAnswerSize(int udpLimit);

    /**
     * The address and port the query came in on (what client groups match with {@code listen}),
     * or null if unknown. A listener bound to a wildcard address reports the wildcard.
     */
    default @org.jspecify.annotations.Nullable InetSocketAddress localAddress() {
        return null;
    }

    /** Bytes before the DNS message in an answer buffer: the length prefix TCP reserves. */
    default int answerOffset() {
        return 0;
    }

    /** A sink for answering {@code client} later; called on the miss path only. */
    ReplySink sinkFor(InetSocketAddress client);
}
