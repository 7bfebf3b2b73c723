package org.safenet.dns.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.ReferenceCountUtil;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.listen.Transports;

/**
 * Sends one run of queries to one target and matches the answers, on a single Netty event loop
 * (so the generator uses one core and needs no locks).
 *
 * <p>Closed loop keeps N queries outstanding, like dnsperf. Open loop sends query i at
 * {@code start + i / rate} whether or not earlier ones were answered, and measures latency from
 * that scheduled time: when the target (or the generator) falls behind, the queueing delay shows
 * in the latency instead of being hidden (coordinated omission).
 *
 * <p>Query IDs: {@code sockets} sockets (UDP) or connections (TCP) with 65,536 IDs each form
 * {@code sockets * 65536} slots; a query takes the next free slot round robin, so an answer finds
 * its query from (socket, ID) with no map, and a slow query holds only its own slot. A query
 * unanswered after the timeout is lost; every query sent ends as answered or lost, never both.
 */
public final class LoadEngine {
    private static final int MAX_RESPONSE = 65_535;
    private static final int IDS_PER_SOCKET = 65_536;
    private static final int MAX_SENDS_PER_TICK = 8192;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** The generator's own CPU time: its event loop thread is the whole generator. */
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    public enum Protocol {
        UDP,
        TCP
    }

    /**
     * What one run does.
     *
     * @param rate queries per second for open loop; 0 for closed loop
     * @param outstanding queries kept in flight in closed loop
     * @param maxQueries stop after this many (Long.MAX_VALUE: only the duration bounds the run)
     * @param uniqueSalt makes never-seen names differ between runs, so a rerun is not a cache hit
     */
    public record Plan(
            Protocol protocol,
            int sockets,
            long rate,
            int outstanding,
            Duration duration,
            long maxQueries,
            Duration timeout,
            long uniqueSalt) {
        public Plan {
            if (sockets < 1 || sockets > 64) {
                throw new IllegalArgumentException("sockets must be 1..64, got " + sockets);
            }
            if (rate < 0) {
                throw new IllegalArgumentException("rate must be >= 0, got " + rate);
            }
            if (rate == 0 && (outstanding < 1 || outstanding > sockets * IDS_PER_SOCKET / 2)) {
                throw new IllegalArgumentException(
                        "outstanding must be 1.." + sockets * IDS_PER_SOCKET / 2 + " with " + sockets + " sockets");
            }
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("the duration must be positive");
            }
            if (maxQueries < 1) {
                throw new IllegalArgumentException("the query count must be positive");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("the timeout must be positive");
            }
        }

        public boolean openLoop() {
            return rate > 0;
        }

        public Plan withRate(long newRate) {
            return new Plan(protocol, sockets, newRate, outstanding, duration, maxQueries, timeout, uniqueSalt);
        }

        public Plan withDuration(Duration newDuration) {
            return new Plan(protocol, sockets, rate, outstanding, newDuration, maxQueries, timeout, uniqueSalt);
        }

        public Plan withSalt(long salt) {
            return new Plan(protocol, sockets, rate, outstanding, duration, maxQueries, timeout, salt);
        }
    }

    /** Called on the event loop after every second of the run. */
    public interface Progress {
        void interval(IntervalStats interval, long outstanding);

        Progress NONE = (interval, outstanding) -> {};
    }

    /**
     * One second of a run (numbered from 1; the last may be shorter while outstanding queries end):
     * counts of what happened in it and latencies of the answers in it.
     */
    public record IntervalStats(
            int second, long sent, long answered, long lost, double p50Ms, double p99Ms, double maxMs) {}

    /** What a run measured; {@link LoadRunner} adds the target's CPU and the report fields. */
    public record Measured(
            long sent,
            long answered,
            long lost,
            long notSent,
            long good,
            long wrong,
            long unmatched,
            long truncated,
            long[] rcodes,
            List<String> wrongExamples,
            Histogram latencyMicros,
            List<IntervalStats> intervals,
            double sendSeconds,
            double maxSendLagMs,
            double generatorCpuSeconds) {}

    private final Transports transports;
    private final InetSocketAddress target;
    private final List<PreparedQuery> queries;
    private final AnswerCheck check;
    private final Plan plan;
    private final Progress progress;

    // All state below is touched only on the event loop.
    private final int slots;
    private final boolean[] busy;
    private final long[] slotSeq;
    private final long[] slotScheduled;
    private final long[] slotSent;
    private final int[] slotQuery;
    private final Channel[] channels;
    private final boolean[] dirty;
    private final long[] rcodes = new long[16];
    private final List<String> wrongExamples = new ArrayList<>();
    private final Histogram latency = newHistogram();
    private final Histogram intervalLatency = newHistogram();
    private final List<IntervalStats> intervals = new ArrayList<>();
    private final CompletableFuture<Measured> done = new CompletableFuture<>();

    private @Nullable EventLoop loop;
    private @Nullable ScheduledFuture<?> ticker;
    private ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private long startNanos;
    private long startCpuNanos;
    private long endNanos;
    private long nextIntervalNanos;
    private long sendingStoppedNanos;
    private boolean sending;
    private long nextSeq;
    private int slotCursor;
    /** Sent queries in send order (so in timeout order): (seq, slot) pairs, a growable ring. */
    private long[] expirySeq = new long[1 << 16];

    private int[] expirySlot = new int[1 << 16];
    private int expiryHead;
    private int expiryTail;
    private long scheduled;
    private int cursor;
    private long sent;
    private long answered;
    private long lost;
    private long notSent;
    private long good;
    private long wrong;
    private long unmatched;
    private long truncated;
    private long maxLagNanos;
    private long intervalSent;
    private long intervalAnswered;
    private long intervalLost;

    private LoadEngine(
            Transports transports,
            InetSocketAddress target,
            Traffic traffic,
            AnswerCheck check,
            Plan plan,
            Progress progress) {
        this.transports = transports;
        this.target = target;
        this.queries = traffic.queries();
        this.check = check;
        this.plan = plan;
        this.progress = progress;
        this.slots = plan.sockets() * IDS_PER_SOCKET;
        this.busy = new boolean[slots];
        this.slotSeq = new long[slots];
        this.slotScheduled = new long[slots];
        this.slotSent = new long[slots];
        this.slotQuery = new int[slots];
        this.channels = new Channel[plan.sockets()];
        this.dirty = new boolean[plan.sockets()];
    }

    private static Histogram newHistogram() {
        return new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
    }

    /**
     * Runs the plan against the target on {@code group}'s next event loop and waits for the end:
     * the duration or count reached, then every outstanding query answered or timed out.
     *
     * @throws java.io.IOException if the sockets cannot be opened or (TCP) the target refuses
     */
    public static Measured run(
            EventLoopGroup group,
            Transports transports,
            InetSocketAddress target,
            Traffic traffic,
            AnswerCheck check,
            Plan plan,
            Progress progress)
            throws java.io.IOException, InterruptedException {
        LoadEngine engine = new LoadEngine(transports, target, traffic, check, plan, progress);
        EventLoop loop = group.next();
        engine.open(loop);
        loop.execute(engine::begin);
        try {
            return engine.done.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("the load run failed: " + e.getCause(), e.getCause());
        } finally {
            for (Channel c : engine.channels) {
                if (c != null) {
                    c.close().awaitUninterruptibly();
                }
            }
        }
    }

    private void open(EventLoop loop) throws java.io.IOException, InterruptedException {
        this.loop = loop;
        boolean ipv4 = target.getAddress() instanceof Inet4Address;
        for (int i = 0; i < channels.length; i++) {
            int socket = i;
            Bootstrap b = new Bootstrap().group(loop);
            if (plan.protocol() == Protocol.UDP) {
                b.channelFactory(() -> transports.newDatagramChannel(ipv4))
                        .option(ChannelOption.SO_RCVBUF, 4 << 20)
                        .option(ChannelOption.SO_SNDBUF, 4 << 20)
                        .handler(new ResponseHandler(socket));
                if (transports.nativeEpoll()) {
                    b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 4096)
                            .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(4096 * 16));
                } else {
                    b.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(4096));
                }
            } else {
                b.channel(transports.socketChannel())
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                ch.pipeline()
                                        .addLast(new LengthFieldBasedFrameDecoder(MAX_RESPONSE + 2, 0, 2, 0, 2))
                                        .addLast(new ResponseHandler(socket));
                            }
                        });
            }
            try {
                channels[i] = b.connect(target).sync().channel();
            } catch (Exception e) { // Netty rethrows connect failures (IOException) undeclared
                throw new java.io.IOException(
                        "cannot " + (plan.protocol() == Protocol.TCP ? "connect to " : "open a socket for ") + target
                                + ": " + e.getMessage(),
                        e);
            }
        }
        alloc = channels[0].alloc();
    }

    private EventLoop loop() {
        EventLoop l = loop;
        if (l == null) {
            throw new IllegalStateException("not open");
        }
        return l;
    }

    private void begin() {
        startNanos = System.nanoTime();
        startCpuNanos = THREADS.getCurrentThreadCpuTime();
        endNanos = startNanos + plan.duration().toNanos();
        nextIntervalNanos = startNanos + INTERVAL_NANOS;
        sending = true;
        if (!plan.openLoop()) {
            for (int i = 0; i < plan.outstanding() && sending; i++) {
                sendNext(startNanos, startNanos);
            }
            flushDirty();
        }
        ticker = loop().scheduleAtFixedRate(this::tick, 0, TICK_NANOS, TimeUnit.NANOSECONDS);
    }

    private void tick() {
        try {
            long now = System.nanoTime();
            if (sending && (now >= endNanos || scheduled >= plan.maxQueries())) {
                stopSending(now);
            }
            if (sending && plan.openLoop()) {
                long due = Math.min(plan.maxQueries(), (long) ((now - startNanos) * (plan.rate() / 1e9)) + 1);
                for (int burst = 0; scheduled < due && burst < MAX_SENDS_PER_TICK; burst++) {
                    long at = startNanos + (long) (scheduled * (1e9 / plan.rate()));
                    maxLagNanos = Math.max(maxLagNanos, now - at);
                    sendNext(at, now);
                }
            }
            expire(now);
            flushDirty();
            if (now >= nextIntervalNanos) {
                nextIntervalNanos += INTERVAL_NANOS;
                emitInterval(intervals.size() + 1);
            }
            if (!sending && sent == answered + lost) {
                finish(now);
            }
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
            cancelTicker();
        }
    }

    private void stopSending(long now) {
        sending = false;
        sendingStoppedNanos = now;
    }

    /** Sends the next query of the traffic, scheduled at {@code at} (latency counts from there). */
    private void sendNext(long at, long now) {
        scheduled++;
        if (!plan.openLoop() && scheduled >= plan.maxQueries()) {
            stopSending(now);
        }
        int slot = freeSlot();
        if (slot < 0) {
            notSent++; // every ID of every socket is taken by a query still inside its timeout
            return;
        }
        long seq = nextSeq++;
        int socket = slot % channels.length;
        int id = slot / channels.length;
        int queryIndex = cursor;
        cursor = cursor + 1 == queries.size() ? 0 : cursor + 1;
        PreparedQuery q = queries.get(queryIndex);
        byte[] wire = q.wire();
        boolean tcp = plan.protocol() == Protocol.TCP;
        ByteBuf buf = alloc.directBuffer(wire.length + (tcp ? 2 : 0));
        if (tcp) {
            buf.writeShort(wire.length);
        }
        int base = buf.writerIndex();
        buf.writeBytes(wire);
        buf.setShort(base, id);
        if (q.uniqueLabelOffset() >= 0) {
            long value = plan.uniqueSalt() + seq;
            for (int j = 0; j < PreparedQuery.UNIQUE_DIGITS; j++) {
                buf.setByte(base + q.uniqueLabelOffset() + j, uniqueDigit(value, j));
            }
        }
        busy[slot] = true;
        pushExpiry(seq, slot);
        slotSeq[slot] = seq;
        slotScheduled[slot] = at;
        slotSent[slot] = now;
        slotQuery[slot] = queryIndex;
        channels[socket].write(buf, channels[socket].voidPromise());
        dirty[socket] = true;
        sent++;
        intervalSent++;
    }

    /** Digit {@code j} (0 = most significant) of {@code value} in base 36, as a lowercase letter or digit. */
    static byte uniqueDigit(long value, int j) {
        long v = value & Long.MAX_VALUE;
        for (int k = PreparedQuery.UNIQUE_DIGITS - 1; k > j; k--) {
            v /= 36;
        }
        int d = (int) (v % 36);
        return (byte) (d < 10 ? '0' + d : 'a' + d - 10);
    }

    /**
     * The next slot (socket, ID) not held by a query in flight, round robin, or -1 if all are.
     * A slow or lost query keeps its slot until answered or timed out, and only that slot.
     */
    private int freeSlot() {
        for (int tried = 0; tried < slots; tried++) {
            int s = slotCursor;
            slotCursor = s + 1 == slots ? 0 : s + 1;
            if (!busy[s]) {
                return s;
            }
        }
        return -1;
    }

    private void pushExpiry(long seq, int slot) {
        int capacity = expirySeq.length;
        if (((expiryTail + 1) & (capacity - 1)) == expiryHead) {
            long[] seqs = new long[capacity * 2];
            int[] slotsOf = new int[capacity * 2];
            int n = 0;
            for (int i = expiryHead; i != expiryTail; i = (i + 1) & (capacity - 1), n++) {
                seqs[n] = expirySeq[i];
                slotsOf[n] = expirySlot[i];
            }
            expirySeq = seqs;
            expirySlot = slotsOf;
            expiryHead = 0;
            expiryTail = n;
        }
        expirySeq[expiryTail] = seq;
        expirySlot[expiryTail] = slot;
        expiryTail = (expiryTail + 1) & (expirySeq.length - 1);
    }

    /** Queries sent longer ago than the timeout are lost; in closed loop each is replaced. */
    private void expire(long now) {
        long timeout = plan.timeout().toNanos();
        while (expiryHead != expiryTail) {
            int slot = expirySlot[expiryHead];
            long seq = expirySeq[expiryHead];
            if (busy[slot] && slotSeq[slot] == seq) {
                if (now - slotSent[slot] < timeout) {
                    return; // the rest were sent later
                }
                busy[slot] = false;
                lost++;
                intervalLost++;
                expiryHead = (expiryHead + 1) & (expirySeq.length - 1);
                if (sending && !plan.openLoop()) {
                    sendNext(now, now);
                }
                continue;
            }
            expiryHead = (expiryHead + 1) & (expirySeq.length - 1);
        }
    }

    private void onResponse(int socket, ByteBuf b) {
        int start = b.readerIndex();
        int length = b.readableBytes();
        if (length < 12) {
            unmatched++;
            return;
        }
        int id = b.getUnsignedShort(start);
        int slot = id * channels.length + socket;
        if (!busy[slot]) {
            unmatched++; // late (already counted lost) or never ours
            return;
        }
        PreparedQuery q = queries.get(slotQuery[slot]);
        int flags = b.getUnsignedShort(start + 2);
        if ((flags & 0x8000) == 0
                || b.getUnsignedShort(start + 4) != 1
                || length < q.questionEnd()
                || !sameQuestion(b, start, q, plan.uniqueSalt() + slotSeq[slot])) {
            unmatched++; // a response must repeat the question (RFC 5452 matching)
            return;
        }
        long now = System.nanoTime();
        busy[slot] = false;
        long micros = Math.max(1, (now - slotScheduled[slot]) / 1000);
        latency.recordValue(Math.min(micros, latency.getHighestTrackableValue()));
        intervalLatency.recordValue(Math.min(micros, intervalLatency.getHighestTrackableValue()));
        answered++;
        intervalAnswered++;
        rcodes[flags & 0x0F]++;
        if ((flags & 0x0200) != 0) {
            truncated++;
        }
        String reason = check.wrongBecause(b, start, q);
        if (reason == null) {
            good++;
        } else {
            wrong++;
            if (wrongExamples.size() < 10) {
                wrongExamples.add(q.name() + " " + org.xbill.DNS.Type.string(q.type()) + ": " + reason);
            }
        }
        if (sending && !plan.openLoop()) {
            sendNext(now, now);
        }
    }

    private static boolean sameQuestion(ByteBuf b, int start, PreparedQuery q, long uniqueValue) {
        byte[] wire = q.wire();
        int uniqueFrom = q.uniqueLabelOffset();
        for (int i = 12; i < q.questionEnd(); i++) {
            byte expected = uniqueFrom >= 0 && i >= uniqueFrom && i < uniqueFrom + PreparedQuery.UNIQUE_DIGITS
                    ? uniqueDigit(uniqueValue, i - uniqueFrom)
                    : wire[i];
            byte got = b.getByte(start + i);
            if (got != expected && lower(got) != lower(expected)) {
                return false;
            }
        }
        return true;
    }

    private static byte lower(byte c) {
        return c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c;
    }

    private void flushDirty() {
        for (int i = 0; i < channels.length; i++) {
            if (dirty[i]) {
                dirty[i] = false;
                channels[i].flush();
            }
        }
    }

    private void emitInterval(int second) {
        IntervalStats s = new IntervalStats(
                second,
                intervalSent,
                intervalAnswered,
                intervalLost,
                percentileMs(intervalLatency, 50),
                percentileMs(intervalLatency, 99),
                intervalLatency.getTotalCount() == 0 ? 0 : intervalLatency.getMaxValue() / 1000.0);
        intervals.add(s);
        intervalSent = 0;
        intervalAnswered = 0;
        intervalLost = 0;
        intervalLatency.reset();
        progress.interval(s, sent - answered - lost);
    }

    static double percentileMs(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private void finish(long now) {
        if (intervalSent + intervalAnswered + intervalLost > 0) {
            emitInterval(intervals.size() + 1);
        }
        cancelTicker();
        long sendEnd = sendingStoppedNanos > 0 ? sendingStoppedNanos : now;
        done.complete(new Measured(
                sent,
                answered,
                lost,
                notSent,
                good,
                wrong,
                unmatched,
                truncated,
                rcodes.clone(),
                List.copyOf(wrongExamples),
                latency.copy(),
                List.copyOf(intervals),
                (sendEnd - startNanos) / 1e9,
                maxLagNanos / 1e6,
                (THREADS.getCurrentThreadCpuTime() - startCpuNanos) / 1e9));
    }

    private void cancelTicker() {
        ScheduledFuture<?> t = ticker;
        if (t != null) {
            t.cancel(false);
        }
    }

    private final class ResponseHandler extends ChannelInboundHandlerAdapter {
        private final int socket;

        ResponseHandler(int socket) {
            this.socket = socket;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                ByteBuf content = msg instanceof DatagramPacket p ? p.content() : (ByteBuf) msg;
                if (startNanos != 0) {
                    onResponse(socket, content);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            flushDirty();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable (nothing listening) and similar: the queries time out and count as lost.
        }
    }
}
