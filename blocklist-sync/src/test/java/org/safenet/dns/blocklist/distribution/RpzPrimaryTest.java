package org.safenet.dns.blocklist.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.importer.SourceAction;
import org.safenet.dns.blocklist.live.LiveList;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.blocklist.sync.SourceSpec;
import org.safenet.dns.blocklist.sync.SyncService;
import org.safenet.dns.blocklist.sync.TsigKey;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.testkit.FakeClock;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/** The primary's answers as bytes, checked with dnsjava: TSIG signatures, IXFR from the journal, refusals. */
class RpzPrimaryTest {
    @TempDir
    Path dir;

    private static final TsigKey KEY = new TsigKey("k", "hmac-sha256", "c2FmZW5ldC10ZXN0LWtleS0zMi1ieXRlcy1sb25nISE=");
    private final FakeClock clock = new FakeClock();
    private BlocklistStore store;
    private LiveList live;
    private SyncService sync;

    /** Collects what would go to the client (TCP framing left out). */
    private static final class Capture implements ReplySink {
        final List<byte[]> messages = new CopyOnWriteArrayList<>();

        @Override
        public ByteBuf newAnswerBuffer() {
            return Unpooled.buffer();
        }

        @Override
        public void send(ByteBuf answer) {
            messages.add(ByteBufUtil.getBytes(answer));
            answer.release();
        }

        @Override
        public EventLoop eventLoop() {
            throw new UnsupportedOperationException();
        }
    }

    @BeforeEach
    void open() throws Exception {
        store = BlocklistStore.open(dir.resolve("store"));
        live = new LiveList(store, c -> PolicyAction.SINKHOLE, s -> 0, clock, 100);
        sync = new SyncService(
                store,
                c -> live.apply(c).version(),
                List.of(),
                dir,
                Map.of("k", KEY),
                new SimpleMeterRegistry(),
                clock,
                Duration.ofSeconds(30));
        sync.setSources(List.of(SourceSpec.builder("up", SourceSpec.Type.RPZ, "scam")
                .action(SourceAction.BLOCK)
                .primary(HostPort.parse("127.0.0.1:5399", 53))
                .zone("rpz.up")
                .tsigKey("k")
                .build()));
    }

    @AfterEach
    void close() {
        sync.close();
        store.close();
    }

    private RpzPrimary primary() {
        return new RpzPrimary(
                store,
                s -> 0,
                clock,
                new RpzPrimary.Settings(
                        true, "rpz.safenet.test", List.of(CidrPrefix.parse("127.0.0.0/8")), KEY, List.of()),
                sync,
                new SimpleMeterRegistry());
    }

    private static StoredEntry entry(String reversed) {
        return new StoredEntry(reversed, Match.SUBTREE, Action.BLOCK, "scam", "vn", "", 1, 0, null);
    }

    @Test
    void notifyResponse_isSignedSoThePrimaryCanVerifyIt() throws Exception {
        Message notify = Message.newQuery(Record.newRecord(Name.fromString("rpz.up."), Type.SOA, DClass.IN));
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        notify.getHeader().setFlag(Flags.AA);
        TSIG tsig = KEY.tsig();
        tsig.apply(notify, null);
        byte[] wire = notify.toWire();
        TSIGRecord queryTsig = new Message(wire).getTSIG();
        Capture sink = new Capture();
        try (RpzPrimary p = primary()) {
            assertThat(p.take(wire, new InetSocketAddress(InetAddress.getLoopbackAddress(), 5399), false, sink))
                    .isTrue();
        }
        byte[] answer = sink.messages.getFirst();
        Message response = new Message(answer);
        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(response.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
        assertThat(KEY.tsig().verify(response, answer, queryTsig)).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void notifySignedWithAnotherKey_isNotAuth() throws Exception {
        Message notify = Message.newQuery(Record.newRecord(Name.fromString("rpz.up."), Type.SOA, DClass.IN));
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        new TsigKey("k", "hmac-sha256", "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXkhIQ==")
                .tsig()
                .apply(notify, null);
        Capture sink = new Capture();
        try (RpzPrimary p = primary()) {
            p.take(notify.toWire(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 5399), false, sink);
        }
        assertThat(new Message(sink.messages.getFirst()).getRcode()).isEqualTo(Rcode.NOTAUTH);
    }

    @Test
    void ixfr_beyondTheJournal_fallsBackToAFullZone() throws Exception {
        LiveList shortMemory = new LiveList(store, c -> PolicyAction.SINKHOLE, s -> 0, clock, 1);
        shortMemory.apply(new BlocklistStore.Changes().block(entry("vn.scam-a")).counted("vn", 1));
        shortMemory.apply(new BlocklistStore.Changes().block(entry("vn.scam-b")).counted("vn", 1));
        shortMemory.apply(new BlocklistStore.Changes().block(entry("vn.scam-c")).counted("vn", 1));
        Message ixfr = Message.newQuery(Record.newRecord(Name.fromString("rpz.safenet.test."), Type.IXFR, DClass.IN));
        ixfr.addRecord(
                new SOARecord(Name.fromString("rpz.safenet.test."), DClass.IN, 0, Name.root, Name.root, 1, 0, 0, 0, 0),
                Section.AUTHORITY);
        TSIG tsig = KEY.tsig();
        tsig.apply(ixfr, null);
        Capture sink = new Capture();
        try (RpzPrimary p = primary()) {
            p.take(ixfr.toWire(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000), true, sink);
            org.awaitility.Awaitility.await().until(() -> !sink.messages.isEmpty());
        }
        List<Record> answer = new Message(sink.messages.getFirst()).getSection(Section.ANSWER);
        // AXFR form (RFC 1995 §4: allowed as an IXFR answer): SOA, NS, every record, SOA.
        assertThat(answer.get(0).getType()).isEqualTo(Type.SOA);
        assertThat(answer.get(1).getType()).isEqualTo(Type.NS);
        assertThat(answer).hasSize(2 + 3 * 3 + 1); // per subtree entry: its metadata, name, *.name
        assertThat(((SOARecord) answer.getLast()).getSerial()).isEqualTo(3);
    }

    @Test
    void ixfr_fromTheJournal_andUnsignedTransfersAreRefused() throws Exception {
        live.apply(new BlocklistStore.Changes()
                .block(entry("vn.scam-a"))
                .block(entry("vn.scam-b"))
                .counted("vn", 2));
        live.apply(new BlocklistStore.Changes()
                .removeBlock("vn.scam-a", Match.SUBTREE, "vn")
                .block(entry("vn.scam-c")));
        Message ixfr = Message.newQuery(Record.newRecord(Name.fromString("rpz.safenet.test."), Type.IXFR, DClass.IN));
        ixfr.addRecord(
                new SOARecord(Name.fromString("rpz.safenet.test."), DClass.IN, 0, Name.root, Name.root, 1, 0, 0, 0, 0),
                Section.AUTHORITY);
        InetSocketAddress secondary = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

        Capture refused = new Capture();
        try (RpzPrimary p = primary()) {
            p.take(ixfr.toWire(), secondary, true, refused);
        }
        assertThat(new Message(refused.messages.getFirst()).getRcode())
                .as("no TSIG")
                .isEqualTo(Rcode.REFUSED);

        TSIG tsig = KEY.tsig();
        tsig.apply(ixfr, null);
        byte[] wire = ixfr.toWire();
        Capture sink = new Capture();
        try (RpzPrimary p = primary()) {
            p.take(wire, secondary, true, sink);
            org.awaitility.Awaitility.await().until(() -> !sink.messages.isEmpty());
        }
        Message response = new Message(sink.messages.getFirst());
        assertThat(tsig.verify(response, sink.messages.getFirst(), new Message(wire).getTSIG()))
                .isEqualTo(Rcode.NOERROR);
        List<String> rrs = response.getSection(Section.ANSWER).stream()
                .map(r -> r.getType() == Type.SOA
                        ? "SOA " + ((SOARecord) r).getSerial()
                        : r.getName() + " " + r.rdataToString())
                .toList();
        assertThat(rrs)
                .containsExactly(
                        "SOA 2",
                        "SOA 1",
                        "scam-a.vn._safenet-meta.rpz.safenet.test. category=scam source=vn action=block",
                        "scam-a.vn.rpz.safenet.test. .",
                        "*.scam-a.vn.rpz.safenet.test. .",
                        "SOA 2",
                        "scam-c.vn._safenet-meta.rpz.safenet.test. category=scam source=vn action=block",
                        "scam-c.vn.rpz.safenet.test. .",
                        "*.scam-c.vn.rpz.safenet.test. .",
                        "SOA 2");
    }
}
