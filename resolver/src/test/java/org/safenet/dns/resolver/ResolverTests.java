package org.safenet.dns.resolver;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.testkit.DnsProbe;
import org.xbill.DNS.Message;

/** What the resolver's socket tests share: settings for one loop on loopback, and a UDP burst. */
final class ResolverTests {
    private ResolverTests() {}

    /** The default client access list (loopback and private ranges). */
    static ResolverSettings.AccessSettings defaultAccess() {
        return new ResolverSettings.AccessSettings(
                ClientAccessList.DEFAULT_ALLOWED.stream().map(CidrPrefix::parse).toList());
    }

    /** One upstream, one attempt, a 2 s timeout, the default pending bound. */
    static UpstreamSettings upstream(String hostPort) {
        return new UpstreamSettings(
                List.of(HostPort.parse(hostPort, 53)), Duration.ofSeconds(2), 1, Duration.ofSeconds(5), List.of());
    }

    /** One event loop on a free loopback port, a 10 s TCP idle timeout, {@code tcpMaxConnections}. */
    static ResolverSettings settings(
            UpstreamSettings upstream, ResolverSettings.AccessSettings access, int tcpMaxConnections) {
        return new ResolverSettings(
                new ResolverSettings.ServerSettings(
                        List.of(HostPort.parse("127.0.0.1:0", 53)), 1, 1232, Duration.ofSeconds(10), tcpMaxConnections),
                upstream,
                access,
                CacheSettings.defaults());
    }

    /**
     * Sends a query per name from one socket bound to {@code from}, then reads what comes back
     * until {@code quiet} passes without an answer.
     */
    static List<Message> burst(InetSocketAddress server, String from, List<String> names, int type, Duration quiet)
            throws Exception {
        List<Message> answers = new ArrayList<>();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(from), 0))) {
            for (String name : names) {
                byte[] q = DnsProbe.query(name, type, 1232).toWire();
                s.send(new DatagramPacket(q, q.length, server));
            }
            s.setSoTimeout((int) quiet.toMillis());
            byte[] buf = new byte[65535];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                } catch (SocketTimeoutException done) {
                    return answers;
                }
                answers.add(new Message(Arrays.copyOf(buf, p.getLength())));
            }
        }
    }

    /** The count of a function counter of {@code resolver}, found by name and one tag. */
    static double counter(Resolver resolver, String name, String tag, String value) {
        return resolver.metrics()
                .registry()
                .find(name)
                .tag(tag, value)
                .functionCounter()
                .count();
    }
}
