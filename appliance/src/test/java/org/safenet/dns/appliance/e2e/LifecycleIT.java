package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.admin.stats.StatsRecorder;
import org.safenet.dns.appliance.Appliance;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The packaged appliance's lifecycle as systemd drives it: readiness, watchdog pings and
 * stopping reach {@code NOTIFY_SOCKET}; SIGTERM under load answers every query already read,
 * then the store opens cleanly and holds the statistics up to the stop.
 */
class LifecycleIT {
    @TempDir
    Path dir;

    @Test
    void readinessWatchdogAndStoppingReachSystemd() throws Exception {
        Path socket = dir.resolve("notify.sock");
        BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start()) {
            Channel receiver = new Bootstrap()
                    .group(group)
                    .channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                            messages.add(p.content().toString(StandardCharsets.UTF_8));
                        }
                    })
                    .bind(new DomainSocketAddress(socket.toString()))
                    .sync()
                    .channel();
            try (RunningAppliance app = RunningAppliance.start(
                    dir.resolve("data"),
                    upstream.hostPort(),
                    "",
                    Map.of("NOTIFY_SOCKET", socket.toString(), "WATCHDOG_USEC", "1000000"))) {
                String ready = messages.poll(60, TimeUnit.SECONDS);
                assertThat(ready)
                        .contains("READY=1")
                        .contains("MAINPID=" + app.pid())
                        .contains("STATUS=answering on");
                // Readiness came after the listeners were bound: a query is answered at once.
                new DnsProbe(new InetSocketAddress("127.0.0.1", app.dnsPort())).udp("example.org.", Type.A);
                assertThat(messages.poll(30, TimeUnit.SECONDS)).isEqualTo("WATCHDOG=1");
                // systemctl reload sends SIGHUP: the file is re-read, and systemd hears about it.
                Path config = RunningAppliance.configOf(dir.resolve("data"));
                Files.writeString(config, Files.readString(config) + "upstream:\n  timeout: 900ms\n");
                new ProcessBuilder("kill", "-HUP", Long.toString(app.pid()))
                        .start()
                        .waitFor();
                String reloaded = null;
                for (String m = messages.poll(30, TimeUnit.SECONDS);
                        m != null;
                        m = messages.poll(30, TimeUnit.SECONDS)) {
                    if (m.startsWith("STATUS=reloaded")) {
                        reloaded = m;
                        break;
                    }
                }
                assertThat(reloaded).contains("STATUS=reloaded: upstream changed live");
                assertThat(app.stop()).isTrue();
                assertThat(app.exitValue()).isEqualTo(143); // SuccessExitStatus=143 in the unit
                String last = null;
                for (String m = messages.poll(5, TimeUnit.SECONDS); m != null; m = messages.poll(1, TimeUnit.SECONDS)) {
                    last = m.equals("WATCHDOG=1") ? last : m;
                }
                assertThat(last).isEqualTo("STOPPING=1");
            } finally {
                receiver.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void sigtermAnswersQueriesInFlightThenTheStoreOpensCleanlyWithTheStatistics() throws Exception {
        Path data = dir.resolve("data");
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start();
                DatagramSocket client =
                        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            upstream.add("example.org. 300 IN SOA ns.example.org. h.example.org. 1 3600 600 86400 300");
            upstream.delayMillis(800); // every query is still in flight when SIGTERM arrives
            RunningAppliance app = RunningAppliance.start(data, upstream.hostPort(), "server:\n  drainTimeout: 20s\n");
            InetSocketAddress dns = new InetSocketAddress("127.0.0.1", app.dnsPort());
            int queries = 100;
            for (int i = 0; i < queries; i++) {
                byte[] q =
                        DnsProbe.query("q" + i + ".example.org.", Type.A, 1232).toWire();
                q[0] = (byte) (i >>> 8);
                q[1] = (byte) i;
                client.send(new DatagramPacket(q, q.length, dns));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> upstream.queries() >= queries);
            Thread stopper = Thread.ofVirtual().start(() -> {
                try {
                    app.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Set<Integer> answered = new HashSet<>();
            client.setSoTimeout(15_000);
            byte[] buf = new byte[4096];
            try {
                while (answered.size() < queries) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    client.receive(p);
                    Message m = new Message(java.util.Arrays.copyOf(buf, p.getLength()));
                    assertThat(m.getRcode()).isIn(Rcode.NOERROR, Rcode.NXDOMAIN);
                    answered.add(m.getHeader().getID());
                }
            } catch (SocketTimeoutException e) {
                // fall through to the assertion, which names how many were lost
            }
            stopper.join(Duration.ofSeconds(60));
            assertThat(answered).as("answers to queries read before SIGTERM").hasSize(queries);
            assertThat(app.log()).noneMatch(l -> l.contains("unanswered"));

            // The store was closed cleanly: it opens (no lock, no repair) and has the statistics.
            try (BlocklistStore store = BlocklistStore.open(Appliance.storeDir(data))) {
                StatsRecorder stats = new StatsRecorder(
                        new ResolverMetrics(new SimpleMeterRegistry()),
                        store.statsRecords(),
                        StatsRecorder.Settings.defaults(),
                        System::currentTimeMillis);
                assertThat(stats.total(StatsRecorder.Resolution.MINUTE, 0, Long.MAX_VALUE)
                                .queries())
                        .isEqualTo(queries);
            }
            assertThat(Files.exists(data.resolve("blocklist/LOCK"))).isTrue();
            assertThat(List.of(app.exitValue())).containsExactly(143);
        }
    }
}
