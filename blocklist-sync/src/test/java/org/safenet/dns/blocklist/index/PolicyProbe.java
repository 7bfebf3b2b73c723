package org.safenet.dns.blocklist.index;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.safenet.dns.resolver.wire.ParseResult;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.resolver.wire.QueryParser;
import org.safenet.dns.testkit.DnsProbe;
import org.xbill.DNS.Type;

/** Builds a parsed A query for a name, as the hot path would see it, for policy assertions in tests. */
public final class PolicyProbe {
    private PolicyProbe() {}

    public static ParsedQuery query(String name) {
        ParsedQuery q = new ParsedQuery();
        ByteBuf b = Unpooled.wrappedBuffer(DnsProbe.query(name.endsWith(".") ? name : name + ".", Type.A, 0)
                .toWire());
        try {
            if (QueryParser.parse(b, q) != ParseResult.OK) {
                throw new IllegalArgumentException("not a valid query name: " + name);
            }
        } finally {
            b.release();
        }
        return q;
    }
}
