package org.safenet.dns.blocklist.distribution;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.live.ListWriter;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.sync.SyncService;
import org.safenet.dns.blocklist.sync.TsigKey;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.pipeline.ZoneService;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The appliance as an RPZ primary (and as the receiver of NOTIFY for its own rpz sources), on its
 * DNS port. Serves the merged list as the zone {@code zone}: AXFR from the store, IXFR from the
 * journal (falling back to AXFR when the journal no longer reaches the secondary's serial), to
 * secondaries allowed by address or by TSIG; sends NOTIFY to the configured secondaries on every
 * new list version. The SOA serial is the list version.
 */
public final class RpzPrimary implements ZoneService, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RpzPrimary.class);
    private static final long TTL = 300;
    private static final int RECORDS_PER_MESSAGE = 500;

    /**
     * @param enabled false: transfers are refused (NOTIFY for rpz sources still works)
     * @param zone the zone's name, e.g. {@code rpz.safenet.example}
     * @param allowTransfer addresses that may transfer without TSIG
     * @param tsigKey if set, every transfer must be signed with it (the address list still applies if non-empty)
     * @param notifyTargets secondaries told of every new version
     */
    public record Settings(
            boolean enabled,
            String zone,
            List<CidrPrefix> allowTransfer,
            @Nullable TsigKey tsigKey,
            List<HostPort> notifyTargets) {
        public Settings {
            allowTransfer = List.copyOf(allowTransfer);
            notifyTargets = List.copyOf(notifyTargets);
        }
    }

    private final BlocklistStore store;
    private final ToIntFunction<String> precedence;
    private final LongSupplier clockMillis;
    private final Settings settings;
    private final Name origin;
    /** The zone's name in lowercase wire form, as the parser leaves a query's name. */
    private final byte[] originWire;

    private final @Nullable SyncService sync;
    private final MeterRegistry registry;
    private final ClientAccessList transferAcl;
    private final ExecutorService work = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "safenet-zone");
        t.setDaemon(true);
        return t;
    });

    public RpzPrimary(
            BlocklistStore store,
            ToIntFunction<String> precedence,
            LongSupplier clockMillis,
            Settings settings,
            @Nullable SyncService sync,
            MeterRegistry registry) {
        this.store = store;
        this.precedence = precedence;
        this.clockMillis = clockMillis;
        this.settings = settings;
        this.sync = sync;
        this.registry = registry;
        this.transferAcl = new ClientAccessList(settings.allowTransfer());
        try {
            this.origin = Name.fromString(settings.zone(), Name.root);
            this.originWire = DnsNames.toWire(origin.toString());
        } catch (TextParseException e) {
            throw new IllegalArgumentException("distribution.zone: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean mayServeSoa(ParsedQuery q) {
        byte[] zone = originWire;
        return settings.enabled()
                && q.nameLength() == zone.length
                && Arrays.equals(q.name(), 0, zone.length, zone, 0, zone.length);
    }

    public Name origin() {
        return origin;
    }

    @Override
    public boolean take(byte[] bytes, InetSocketAddress client, boolean tcp, ReplySink sink) {
        Message query;
        try {
            query = new Message(bytes);
        } catch (IOException malformed) {
            return false; // the resolver answers FORMERR
        }
        Record question = query.getQuestion();
        if (question == null) {
            return false;
        }
        if (query.getHeader().getOpcode() == Opcode.NOTIFY) {
            String zone = question.getName().toString();
            TsigKey key = sync == null ? null : sync.notifyKey(zone, client.getAddress());
            TSIG notifyTsig = key == null ? null : key.tsig();
            if (notifyTsig != null
                    && (query.getTSIG() == null || notifyTsig.verify(query, bytes, null) != Rcode.NOERROR)) {
                // RFC 8945 §5.2: a message that fails TSIG is answered NOTAUTH, unsigned.
                count("notify-received", "bad-tsig");
                send(sink, reply(query, Rcode.NOTAUTH), null, null, true);
                return true;
            }
            boolean ours = sync != null && sync.notifyReceived(zone, client.getAddress());
            count("notify-received", ours ? "accepted" : "refused");
            send(sink, reply(query, ours ? Rcode.NOERROR : Rcode.REFUSED), notifyTsig, query.getTSIG(), true);
            return true;
        }
        if (!settings.enabled() || !question.getName().equals(origin)) {
            return false; // not our zone: the resolver refuses transfers
        }
        TSIG tsig = settings.tsigKey() == null ? null : settings.tsigKey().tsig();
        TSIGRecord queryTsig = query.getTSIG();
        if (!allowed(query, bytes, client, tsig)) {
            count(Type.string(question.getType()).toLowerCase(Locale.ROOT), "refused");
            log.info(
                    "refused a {} of {} from {}",
                    Type.string(question.getType()),
                    origin,
                    client.getAddress().getHostAddress());
            send(sink, reply(query, Rcode.REFUSED), null, null, true);
            return true;
        }
        if (question.getType() == Type.SOA) {
            // A secondary checks the serial before it transfers (RFC 1996 §3.11, RFC 1995 §2).
            Message m;
            try {
                m = reply(query, Rcode.NOERROR);
                m.addRecord(soa(currentSerial()), Section.ANSWER);
            } catch (BlocklistStore.StoreException e) {
                m = reply(query, Rcode.SERVFAIL);
            }
            send(sink, m, tsig, queryTsig, true);
            return true;
        }
        if (!tcp) {
            if (question.getType() == Type.IXFR) {
                // RFC 1995 §2: an answer that does not fit in UDP is the SOA alone; the secondary retries over TCP.
                Message m;
                try {
                    m = reply(query, Rcode.NOERROR);
                    m.addRecord(soa(currentSerial()), Section.ANSWER);
                } catch (BlocklistStore.StoreException e) {
                    m = reply(query, Rcode.SERVFAIL);
                }
                send(sink, m, tsig, queryTsig, true);
            } else {
                send(sink, reply(query, Rcode.REFUSED), null, null, true); // AXFR is TCP only (RFC 5936 §4.2)
            }
            return true;
        }
        try {
            work.execute(() -> transfer(query, question.getType(), client, sink, tsig, queryTsig));
        } catch (RejectedExecutionException closing) {
            return false;
        }
        return true;
    }

    private boolean allowed(Message query, byte[] bytes, InetSocketAddress client, @Nullable TSIG tsig) {
        boolean byAddress = transferAcl.allows(client.getAddress());
        if (tsig != null) {
            return query.getTSIG() != null
                    && tsig.verify(query, bytes, null) == Rcode.NOERROR
                    && (settings.allowTransfer().isEmpty() || byAddress);
        }
        return byAddress;
    }

    private void transfer(
            Message query,
            int type,
            InetSocketAddress client,
            ReplySink sink,
            @Nullable TSIG tsig,
            @Nullable TSIGRecord queryTsig) {
        long start = System.nanoTime();
        try {
            long serial = currentSerial();
            List<Record> records = new ArrayList<>();
            String kind = "axfr";
            if (type == Type.IXFR) {
                long from = clientSerial(query);
                if (from == serial) {
                    records.add(soa(serial));
                    kind = "ixfr-current";
                } else if (from >= 0 && journalReaches(from, serial, records)) {
                    kind = "ixfr";
                }
            }
            if (records.isEmpty()) {
                records.add(soa(serial));
                records.add(new NSRecord(origin, DClass.IN, TTL, Name.fromConstantString("localhost.")));
                ZoneContent.forEachRecord(store, precedence, clockMillis, line -> records.add(record(line)));
                records.add(soa(serial));
            }
            stream(query, records, sink, tsig, queryTsig);
            count(kind, "served");
            log.info(
                    "{} of {} serial {} to {}: {} records in {} ms",
                    kind.toUpperCase(Locale.ROOT),
                    origin,
                    serial,
                    client.getAddress().getHostAddress(),
                    records.size(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (BlocklistStore.StoreException | RuntimeException e) {
            count(Type.string(type).toLowerCase(Locale.ROOT), "failed");
            log.warn("transfer of {} to {} failed: {}", origin, client, e.getMessage());
            send(sink, reply(query, Rcode.SERVFAIL), tsig, queryTsig, true);
        }
    }

    /** IXFR (RFC 1995 §4) from the journal: SOA(new), then per version SOA(old) deletions SOA(new) additions, SOA(new). */
    private boolean journalReaches(long from, long to, List<Record> out) throws BlocklistStore.StoreException {
        if (from > to) {
            return false;
        }
        List<Record> body = new ArrayList<>();
        for (long v = from + 1; v <= to; v++) {
            byte[] j = store.journal(v);
            if (j == null) {
                return false;
            }
            String text = new String(j, StandardCharsets.UTF_8);
            if (text.equals(ListWriter.RESET)) {
                return false;
            }
            List<Record> deletes = new ArrayList<>();
            List<Record> adds = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (line.length() > 1) {
                    (line.charAt(0) == '-' ? deletes : adds).add(record(line.substring(1)));
                }
            }
            body.add(soa(v - 1));
            body.addAll(deletes);
            body.add(soa(v));
            body.addAll(adds);
        }
        out.add(soa(to));
        out.addAll(body);
        out.add(soa(to));
        return true;
    }

    private static long clientSerial(Message query) {
        for (Record r : query.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa) {
                return soa.getSerial();
            }
        }
        return -1;
    }

    private void stream(
            Message query, List<Record> records, ReplySink sink, @Nullable TSIG tsig, @Nullable TSIGRecord queryTsig) {
        TSIGRecord previous = queryTsig;
        boolean first = true;
        for (int i = 0; i < records.size(); i += RECORDS_PER_MESSAGE) {
            Message m = reply(query, Rcode.NOERROR);
            for (Record r : records.subList(i, Math.min(records.size(), i + RECORDS_PER_MESSAGE))) {
                m.addRecord(r, Section.ANSWER);
            }
            if (i > 0) {
                m.removeAllRecords(Section.QUESTION); // RFC 5936 §2.2: the question only in the first message
            }
            waitWritable(sink);
            if (!sink.open()) {
                return;
            }
            previous = send(sink, m, tsig, previous, first);
            first = false;
        }
    }

    private static void waitWritable(ReplySink sink) {
        for (int i = 0; i < 30_000 && sink.open() && !sink.writable(); i++) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Sends one message, TSIG-signed if a key is in use; returns its TSIG record for the next one. */
    private static @Nullable TSIGRecord send(
            ReplySink sink, Message m, @Nullable TSIG tsig, @Nullable TSIGRecord previous, boolean first) {
        if (tsig != null && previous != null) {
            tsig.apply(m, previous, first);
        }
        byte[] wire = m.toWire(); // the same rendering apply() signed (toWire(max) may re-render)
        ByteBuf out = sink.newAnswerBuffer();
        out.writeBytes(wire);
        sink.send(out);
        return m.getTSIG();
    }

    private static Message reply(Message query, int rcode) {
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setOpcode(query.getHeader().getOpcode());
        if (rcode == Rcode.NOERROR && query.getHeader().getOpcode() != Opcode.NOTIFY) {
            m.getHeader().setFlag(Flags.AA);
        }
        if (query.getHeader().getOpcode() == Opcode.NOTIFY) {
            m.getHeader().setFlag(Flags.AA);
        }
        m.getHeader().setRcode(rcode);
        if (query.getQuestion() != null) {
            m.addRecord(query.getQuestion(), Section.QUESTION);
        }
        return m;
    }

    private Record record(String line) {
        String[] f = line.split(" ", 3);
        try {
            return Record.fromString(Name.fromString(f[0], origin), Type.value(f[1]), DClass.IN, TTL, f[2], origin);
        } catch (IOException e) {
            throw new IllegalStateException("cannot make a record of '" + line + "': " + e.getMessage(), e);
        }
    }

    private SOARecord soa(long serial) {
        return new SOARecord(
                origin,
                DClass.IN,
                TTL,
                Name.fromConstantString("localhost."),
                Name.fromConstantString("hostmaster.localhost."),
                serial & 0xFFFFFFFFL,
                300,
                60,
                604800,
                60);
    }

    private long currentSerial() throws BlocklistStore.StoreException {
        return store.listVersion() & 0xFFFFFFFFL;
    }

    /** Tells the configured secondaries (RFC 1996) that {@code version} is out; from a background thread. */
    public void versionChanged(long version) {
        if (!settings.enabled() || settings.notifyTargets().isEmpty()) {
            return;
        }
        try {
            work.execute(() -> settings.notifyTargets().forEach(target -> sendNotify(target, version)));
        } catch (RejectedExecutionException closing) {
            // shutting down
        }
    }

    private void sendNotify(HostPort target, long version) {
        Message m = Message.newQuery(Record.newRecord(origin, Type.SOA, DClass.IN));
        m.getHeader().setOpcode(Opcode.NOTIFY);
        m.getHeader().unsetFlag(Flags.RD);
        m.getHeader().setFlag(Flags.AA);
        m.addRecord(soa(version), Section.ANSWER);
        TSIG tsig = settings.tsigKey() == null ? null : settings.tsigKey().tsig();
        if (tsig != null) {
            tsig.apply(m, null);
        }
        byte[] wire = m.toWire();
        // RFC 1996 §3.6: retry until answered, a few times.
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(2000);
            for (int attempt = 1; attempt <= 3; attempt++) {
                s.send(new DatagramPacket(wire, wire.length, target.toSocketAddress()));
                byte[] buf = new byte[4096];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                    Message answer = new Message(java.util.Arrays.copyOf(buf, p.getLength()));
                    if (answer.getHeader().getID() == m.getHeader().getID()) {
                        count("notify-sent", answer.getRcode() == Rcode.NOERROR ? "acknowledged" : "refused");
                        return;
                    }
                } catch (java.net.SocketTimeoutException again) {
                    // next attempt
                }
            }
            count("notify-sent", "unanswered");
            log.warn("NOTIFY of {} serial {} to {} was not answered", origin, version, target);
        } catch (IOException e) {
            count("notify-sent", "failed");
            log.warn("NOTIFY of {} to {} failed: {}", origin, target, e.getMessage());
        }
    }

    private void count(String what, String result) {
        Counter.builder("safenet.rpz.messages")
                .description("Zone transfers served and NOTIFY messages sent or received, by result")
                .tag("kind", what)
                .tag("result", result)
                .register(registry)
                .increment();
    }

    @Override
    public void close() {
        work.shutdownNow();
    }
}
