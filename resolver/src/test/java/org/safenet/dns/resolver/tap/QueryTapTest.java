package org.safenet.dns.resolver.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.UnknownFieldSet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.stats.QueryTransport;
import org.safenet.dns.testkit.DnstapFrames;
import org.safenet.dns.testkit.Peers;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** dnstap as the standard readers see it: BIND's dnstap-read and the dnstap CLI decode what we write. */
class QueryTapTest {
    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final InetSocketAddress client = new InetSocketAddress(addr("192.0.2.77"), 40123);
    private final InetSocketAddress local = new InetSocketAddress(addr("127.0.0.1"), 53);

    private static InetAddress addr(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private QueryTap.Settings settings(QueryTap.Target target, QueryTap.AddressMode mode, int bufferKiB) {
        return new QueryTap.Settings(
                target,
                EnumSet.allOf(QueryTap.MessageType.class),
                "node-1.example",
                "SafeNet DNS test",
                mode,
                false,
                1,
                bufferKiB);
    }

    private static ByteBuf wire(Message m) {
        return Unpooled.wrappedBuffer(m.toWire());
    }

    /** A query and its sinkhole answer, the answer with the policy that made it. */
    private void writeExchange(QueryTap tap, String name) throws IOException {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        ByteBuf q = wire(query);
        tap.clientQuery(q, 0, q.readableBytes(), client, local, QueryTransport.UDP, 1_765_000_000_123L);
        Message answer = new Message(query.getHeader().getID());
        answer.getHeader().setRcode(Rcode.NXDOMAIN);
        answer.addRecord(query.getQuestion(), Section.QUESTION);
        ByteBuf a = wire(answer);
        PolicyHit hit = new PolicyHit();
        byte[] qname = Name.fromString(name).toWireCanonical();
        hit.set(
                new Verdict(PolicyAction.NXDOMAIN, "scam", "national", Verdict.EDE_BLOCKED, null),
                PolicyHit.QNAME,
                qname,
                qname.length);
        tap.clientResponse(
                a,
                0,
                a.readableBytes(),
                client,
                local,
                QueryTransport.UDP,
                1_765_000_000_123L,
                1_765_000_000_125L,
                hit);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as(String.join(" ", command) + " said:\n" + out)
                .isZero();
        return out;
    }

    @Test
    void aFileIsCompleteAfterClose_andBothReadersDecodeIt() throws Exception {
        Path dnstapRead = Peers.require("dnstap-read", "bind9-dnsutils");
        Path dnstapCli = Peers.require("dnstap", "golang-github-dnstap-golang-dnstap-cli");
        Path file = dir.resolve("log/queries.dnstap");
        QueryTap tap = QueryTap.start(
                settings(new QueryTap.Target.File(file, 0, 3), QueryTap.AddressMode.FULL, 256), registry);
        writeExchange(tap, "phish.example.");
        tap.close();

        String bind = run(dnstapRead.toString(), "-y", file.toString());
        System.out.println(bind);
        assertThat(bind).contains("type: CLIENT_QUERY").contains("type: CLIENT_RESPONSE");
        assertThat(bind).contains("query_address: \"192.0.2.77\"").contains("query_port: 40123");
        assertThat(bind).contains("identity: node-1.example").contains("version: SafeNet DNS test");
        assertThat(bind).contains("phish.example");
        assertThat(bind).contains("NXDOMAIN");

        String go = run(dnstapCli.toString(), "-r", file.toString(), "-y");
        assertThat(go).contains("CLIENT_QUERY").contains("CLIENT_RESPONSE").contains("phish.example");

        // Neither reader prints Policy (both predate it): Google's protobuf parser reads it.
        List<byte[]> frames = DnstapFrames.read(file);
        assertThat(frames).hasSize(2);
        UnknownFieldSet response = UnknownFieldSet.parseFrom(frames.get(1));
        assertThat(response.getField(15).getVarintList()).containsExactly(1L); // Dnstap.type MESSAGE
        UnknownFieldSet message = UnknownFieldSet.parseFrom(
                response.getField(14).getLengthDelimitedList().getFirst());
        assertThat(message.getField(1).getVarintList()).containsExactly(6L); // CLIENT_RESPONSE
        UnknownFieldSet policy = UnknownFieldSet.parseFrom(
                message.getField(15).getLengthDelimitedList().getFirst());
        assertThat(policy.getField(1).getLengthDelimitedList().getFirst().toStringUtf8())
                .isEqualTo("SafeNet DNS blocklist");
        assertThat(policy.getField(2).getLengthDelimitedList().getFirst().toStringUtf8())
                .isEqualTo("national/scam");
        assertThat(policy.getField(3).getVarintList()).containsExactly(1L); // NXDOMAIN
        assertThat(policy.getField(4).getVarintList()).containsExactly(1L); // QNAME
        assertThat(policy.getField(5).getLengthDelimitedList().getFirst().toByteArray())
                .isEqualTo(Name.fromString("phish.example.").toWireCanonical());
        UnknownFieldSet query = UnknownFieldSet.parseFrom(UnknownFieldSet.parseFrom(frames.get(0))
                .getField(14)
                .getLengthDelimitedList()
                .getFirst());
        assertThat(query.getField(15).getLengthDelimitedList())
                .as("no policy on a query")
                .isEmpty();
        assertThat(query.getField(9).getFixed32List()).containsExactly(123_000_000); // query_time_nsec
    }

    @Test
    void aUnixCollectorGetsEveryMessage_andAnAbsentOneCostsCountedDrops() throws Exception {
        Path dnstapCli = Peers.require("dnstap", "golang-github-dnstap-golang-dnstap-cli");
        Path socket = dir.resolve("collector.sock");
        Path received = dir.resolve("received.dnstap");
        QueryTap tap = QueryTap.start(
                settings(new QueryTap.Target.UnixSocket(socket), QueryTap.AddressMode.TRUNCATE, 256), registry);
        try {
            // No collector yet: what the loops offer is dropped and counted, never waited for.
            for (int i = 0; i < 200; i++) {
                writeExchange(tap, "early" + i + ".example.");
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> dropped() == 400);
            assertThat(written()).isZero();

            Process collector = new ProcessBuilder(
                            dnstapCli.toString(), "-u", socket.toString(), "-w", received.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("collector.log").toFile())
                    .start();
            try {
                // The writer retries with back-off and connects; then every message gets through.
                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> {
                            writeExchange(tap, "probe.example.");
                            return written() > 0;
                        });
                double before = written();
                for (int i = 0; i < 40; i++) {
                    writeExchange(tap, "late" + i + ".example.");
                    Thread.sleep(2);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> written() >= before + 80);
                // The dnstap CLI loses its last output buffer when stopped: what is checked goes before it.
                for (int i = 0; i < 400; i++) {
                    writeExchange(tap, "padding.example.");
                }
                tap.close(); // STOP, the collector's FINISH
            } finally {
                // SIGINT: the dnstap CLI then flushes and closes its file (SIGTERM would lose its buffer).
                new ProcessBuilder("kill", "-INT", String.valueOf(collector.pid()))
                        .start()
                        .waitFor();
                if (!collector.waitFor(30, TimeUnit.SECONDS)) {
                    collector.destroyForcibly();
                }
            }
        } finally {
            tap.close();
        }
        String text = run(dnstapCli.toString(), "-r", received.toString(), "-y");
        for (int i = 0; i < 40; i++) {
            assertThat(text).contains("late" + i + ".example");
        }
        assertThat(text).doesNotContain("early0.example");
        assertThat(text).contains("query_address: 192.0.2.0").doesNotContain("192.0.2.77"); // truncated to the /24
    }

    @Test
    void aTcpCollectorGetsTheMessages() throws Exception {
        Path dnstapCli = Peers.require("dnstap", "golang-github-dnstap-golang-dnstap-cli");
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path received = dir.resolve("tcp.dnstap");
        Process collector = new ProcessBuilder(
                        dnstapCli.toString(), "-l", "127.0.0.1:" + port, "-w", received.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("tcp-collector.log").toFile())
                .start();
        QueryTap tap = QueryTap.start(
                settings(
                        new QueryTap.Target.Tcp(org.safenet.dns.resolver.HostPort.parse("127.0.0.1:" + port, 6000)),
                        QueryTap.AddressMode.HASH,
                        256),
                registry);
        try {
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        writeExchange(tap, "probe.example.");
                        return written() > 0;
                    });
            for (int i = 0; i < 20; i++) {
                writeExchange(tap, "tcp" + i + ".example.");
            }
            // The dnstap CLI loses its last output buffer when stopped: what is checked goes before it.
            for (int i = 0; i < 400; i++) {
                writeExchange(tap, "padding.example.");
            }
        } finally {
            tap.close();
            new ProcessBuilder("kill", "-INT", String.valueOf(collector.pid()))
                    .start()
                    .waitFor();
            if (!collector.waitFor(30, TimeUnit.SECONDS)) {
                collector.destroyForcibly();
            }
        }
        String text = run(dnstapCli.toString(), "-r", received.toString(), "-y");
        for (int i = 0; i < 20; i++) {
            assertThat(text).contains("tcp" + i + ".example");
        }
        assertThat(text)
                .as("hashed: not the address")
                .doesNotContain("192.0.2.77")
                .doesNotContain("192.0.2.0");
    }

    @Test
    void sampling_takesOneQueryInN() throws Exception {
        QueryTap tap = QueryTap.start(
                new QueryTap.Settings(
                        new QueryTap.Target.File(dir.resolve("sampled.dnstap"), 0, 0),
                        EnumSet.of(QueryTap.MessageType.CLIENT_QUERY),
                        "n",
                        "v",
                        QueryTap.AddressMode.FULL,
                        false,
                        4,
                        256),
                registry);
        int taken = 0;
        for (int i = 0; i < 40; i++) {
            if (tap.sample()) {
                taken++;
            }
        }
        tap.close();
        assertThat(taken).isEqualTo(10);
    }

    private double dropped() {
        return registry.find("safenet.dnstap.messages").counters().stream()
                .filter(c -> !"written".equals(c.getId().getTag("outcome")))
                .mapToDouble(c -> c.count())
                .sum();
    }

    private double written() {
        return registry.get("safenet.dnstap.messages")
                .tag("outcome", "written")
                .counter()
                .count();
    }
}
