package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.limit.LimitSettings;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/**
 * TCP fairness over real sockets: the slow-connection attack (many connections from one address,
 * each sending a byte at a time) holds only its client's share of the slots and each for only the
 * message deadline, while legitimate TCP queries are answered throughout; a full table closes the
 * longest idle connection for a new client and refuses only when every connection is busy.
 */
class TcpFairnessTest {
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private Resolver resolver;
    private InetSocketAddress server;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private void start(int maxConnections, int perClient, Duration messageTimeout) throws Exception {
        ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.com. 300 IN A 192.0.2.10");
        closeAfter.add(upstream);
        ResolverSettings settings = ResolverTests.settings(
                ResolverTests.upstream(upstream.hostPort()), ResolverTests.defaultAccess(), maxConnections);
        resolver = new Resolver(settings, new SimpleMeterRegistry(), System::currentTimeMillis);
        closeAfter.add(resolver);
        server = resolver.start().getFirst();
        resolver.limits(new LimitSettings(
                0, false, 32, 64, new ClientAccessList(List.of()), perClient, messageTimeout, 0, 2, 0, 24, 56));
    }

    private Socket connect(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(server, 5000);
        s.setSoTimeout(5000);
        closeAfter.add(s);
        return s;
    }

    /** Sends one query on {@code s} and reads its answer; null if the server closed the connection. */
    private static Message query(Socket s) throws IOException {
        byte[] q = DnsProbe.query("www.example.com.", Type.A, 0).toWire();
        try {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeShort(q.length);
            out.write(q);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] a = new byte[in.readUnsignedShort()];
            in.readFully(a);
            return new Message(a);
        } catch (SocketException | EOFException closed) {
            return null;
        }
    }

    /** True once the server has closed {@code s} (a read sees the end, or a reset). */
    private static boolean closedByServer(Socket s) throws IOException {
        int before = s.getSoTimeout();
        s.setSoTimeout(50);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (SocketException reset) {
            return true;
        } finally {
            s.setSoTimeout(before);
        }
    }

    private double closed(String reason) {
        return ResolverTests.counter(resolver, "safenet.tcp.closed", "reason", reason);
    }

    @Test
    void slowSendersFromOneAddressHoldOnlyTheirShareBrieflyAndLegitimateTcpIsAnsweredThroughout() throws Exception {
        start(100, 20, Duration.ofSeconds(1));
        // The attack: 100 connections from one address (every slot), each starting a query and
        // then sending a byte every 200 ms, never idle long enough for the idle timeout.
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Socket s = connect("127.0.0.2");
            slow.add(s);
            try {
                s.getOutputStream().write(new byte[] {0, 40});
                s.getOutputStream().flush();
            } catch (SocketException refused) {
                // closed at accept: over its client's share
            }
        }
        int answered = 0;
        for (int round = 0; round < 15; round++) {
            for (Socket s : slow) {
                try {
                    s.getOutputStream().write(0);
                    s.getOutputStream().flush();
                } catch (SocketException gone) {
                    // closed by the server: at accept, or at its message deadline
                }
            }
            // A legitimate client, on a new connection each round, is answered every time.
            Message m = query(connect("127.0.0.1"));
            assertThat(m).as("round " + round).isNotNull();
            assertThat(DnsProbe.firstAnswer(m)).isEqualTo("192.0.2.10");
            answered++;
            Thread.sleep(200);
        }
        assertThat(answered).isEqualTo(15);
        for (Socket s : slow) {
            assertThat(closedByServer(s)).as("every slow connection ends").isTrue();
        }
        assertThat(closed("client_limit"))
                .as("over the address's share, closed at accept")
                .isEqualTo(80);
        assertThat(closed("message_timeout"))
                .as("the 20 admitted, closed at the deadline")
                .isEqualTo(20);
    }

    @Test
    void aFullTableClosesTheLongestIdleConnectionAndRefusesOnlyWhenAllAreBusy() throws Exception {
        start(10, 0, Duration.ofSeconds(30));
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Socket s = connect("127.0.0.2");
            assertThat(query(s)).as("admitted, answered, then idle").isNotNull();
            idle.add(s);
        }
        // A new client while the table is full: the longest idle connection makes room.
        Socket newcomer = connect("127.0.0.3");
        assertThat(query(newcomer)).isNotNull();
        assertThat(closedByServer(idle.getFirst())).as("the oldest idle one").isTrue();
        for (Socket s : idle.subList(1, 10)) {
            assertThat(closedByServer(s)).isFalse();
        }
        assertThat(closed("evicted")).isEqualTo(1);
        // Every connection busy (a query arriving on each): a new one is refused instead.
        for (Socket s : idle.subList(1, 10)) {
            s.getOutputStream().write(new byte[] {0, 40, 1});
            s.getOutputStream().flush();
        }
        newcomer.getOutputStream().write(new byte[] {0, 40, 1});
        newcomer.getOutputStream().flush();
        // The server has read those bytes (every connection busy) before the next one arrives.
        Gauge busy = resolver.metrics()
                .registry()
                .find("safenet.tcp.connections")
                .tag("state", "busy")
                .gauge();
        for (int i = 0; i < 10_000 && busy.value() < 10; i++) {
            Thread.sleep(1);
        }
        assertThat(busy.value()).isEqualTo(10);
        Socket refused = connect("127.0.0.4");
        assertThat(query(refused)).isNull();
        assertThat(resolver.metrics()
                        .registry()
                        .find("safenet.tcp.rejected")
                        .functionCounter()
                        .count())
                .isEqualTo(1);
    }
}
