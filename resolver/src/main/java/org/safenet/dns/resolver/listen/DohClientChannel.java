package org.safenet.dns.resolver.listen;

import org.safenet.dns.resolver.pipeline.ClientChannel;
import org.safenet.dns.resolver.stats.QueryTransport;

/** What both DoH handlers (HTTP/1.1 and HTTP/2) tell the pipeline about their transport. */
interface DohClientChannel extends ClientChannel {
    /** An HTTP body carries up to 65,535 octets of answer, whatever the client's EDNS size. */
    @Override
    default int maxAnswerSize(int udpLimit) {
        return 65_535;
    }

    @Override
    default int transport() {
        return QueryTransport.DOH;
    }
}
