package org.safenet.dns.resolver.pipeline;

import java.net.InetSocketAddress;

/** What the pipeline needs from the listener a query came in on. */
public interface ClientChannel {
    /** Largest answer the client can take: {@code udpLimit} over UDP, 65535 over TCP. */
    int maxAnswerSize(int udpLimit);

    /** A sink for answering {@code client} later; called on the miss path only. */
    ReplySink sinkFor(InetSocketAddress client);
}
