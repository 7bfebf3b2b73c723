package org.safenet.dns.resolver.tap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.stats.QueryTransport;
import org.safenet.dns.resolver.wire.Hashing;

/**
 * dnstap output of the queries the appliance answers and forwards. The event loops call it on
 * the hot path: a message is encoded there into the loop's scratch array and copied into the
 * loop's {@link FrameRing} (a full ring drops it, counted); the {@link DnstapWriter} thread does
 * all I/O. A slow or absent collector therefore costs dropped log messages, never a delayed
 * answer. Nothing is allocated per message.
 */
public final class QueryTap implements AutoCloseable {

    /** The dnstap {@code Message.Type}s the appliance can write. */
    public enum MessageType {
        CLIENT_QUERY(5),
        CLIENT_RESPONSE(6),
        FORWARDER_QUERY(7),
        FORWARDER_RESPONSE(8);

        final int code;

        MessageType(int code) {
            this.code = code;
        }

        /** {@code client_query} or {@code CLIENT_QUERY}; RESOLVER_* are accepted as FORWARDER_* (this is a forwarder). */
        public static MessageType parse(String text) {
            String t = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            if (t.startsWith("RESOLVER_")) {
                t = "FORWARDER_" + t.substring("RESOLVER_".length());
            }
            try {
                return valueOf(t);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "'" + text
                                + "' is not one of client_query, client_response, forwarder_query, forwarder_response",
                        e);
            }
        }
    }

    /** What a client address becomes in the log. */
    public enum AddressMode {
        /** The address as it is. */
        FULL,
        /** IPv4 /24, IPv6 /56, as the statistics' {@code truncate}. */
        TRUNCATE,
        /** A keyed hash of the same length, the key random per start: the same client stays one value in a run. */
        HASH;

        public static AddressMode parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("must be full, truncate or hash, not '" + text + "'", e);
            }
        }
    }

    /** Where the messages go: exactly one of the three. */
    public sealed interface Target {
        record UnixSocket(Path path) implements Target {}

        record Tcp(HostPort collector) implements Target {}

        /**
         * @param maxBytes rotate when the file reaches this size (0: never)
         * @param keep rotated files kept ({@code NAME.1} newest)
         */
        record File(Path path, long maxBytes, int keep) implements Target {}
    }

    /**
     * @param messages which message types are written
     * @param identity the {@code identity} field (the host name by default)
     * @param version the {@code version} field
     * @param clients what a client address becomes
     * @param blockedOnly only queries answered by policy (their query and response)
     * @param sampleOneIn write one client query in N (its query and response together); 1: all
     * @param bufferKiB each event loop's ring of frames waiting for the writer, in KiB; more are dropped
     */
    public record Settings(
            Target target,
            Set<MessageType> messages,
            String identity,
            String version,
            AddressMode clients,
            boolean blockedOnly,
            int sampleOneIn,
            int bufferKiB) {
        public Settings {
            messages = messages.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(messages));
            if (sampleOneIn < 1) {
                throw new IllegalArgumentException("dnstap.sample must be 1 or more (one query in N)");
            }
            if (bufferKiB < MIN_BUFFER_KIB || bufferKiB > MAX_BUFFER_KIB) {
                throw new IllegalArgumentException(
                        "dnstap.bufferKiB must be between " + MIN_BUFFER_KIB + " and " + MAX_BUFFER_KIB);
            }
        }
    }

    /** The ring must hold the largest frame: a 64 KiB DNS message and its envelope. */
    public static final int MIN_BUFFER_KIB = 256;

    public static final int MAX_BUFFER_KIB = 262_144;
    /** The largest frame: a 65,535-byte DNS message, addresses, times, the policy, the identity and version. */
    private static final int MAX_FRAME = 65_535 + 4_096;

    private static final int INET = 1;
    private static final int INET6 = 2;

    private final Settings settings;
    /** The identity and version fields, encoded once. */
    private final byte[] header;

    private final boolean clientQueries;
    private final boolean clientResponses;
    private final boolean forwarderQueries;
    private final boolean forwarderResponses;
    private final long hashKey = new SecureRandom().nextLong();
    /** Every event loop's ring, for the writer (a loop adds its own at its first message). */
    private final List<FrameRing> rings = new CopyOnWriteArrayList<>();

    private final Counter droppedFull;
    private final DnstapWriter writer;

    /** Per event loop: the fields being encoded, the frame's bytes, the ring, the sampling count. */
    private static final class LoopState {
        final DnstapEncoder.Fields fields = new DnstapEncoder.Fields();
        final byte[] frame = new byte[MAX_FRAME];
        final FrameRing ring;
        int sampleCount;

        LoopState(int ringBytes) {
            this.ring = new FrameRing(ringBytes);
        }
    }

    private final FastThreadLocal<LoopState> loopState = new FastThreadLocal<>() {
        @Override
        protected LoopState initialValue() {
            LoopState s = new LoopState(settings.bufferKiB() * 1024);
            rings.add(s.ring);
            return s;
        }
    };

    /** Starts the writer thread; {@link #close()} ends the stream and stops it. */
    public static QueryTap start(Settings settings, MeterRegistry registry) {
        DnstapOutput output = switch (settings.target()) {
            case Target.UnixSocket u -> SocketOutput.unix(u.path());
            case Target.Tcp t ->
                SocketOutput.tcp(new InetSocketAddress(
                        t.collector().address(), t.collector().port()));
            case Target.File f -> new FileOutput(f.path(), f.maxBytes(), f.keep());
        };
        return new QueryTap(settings, output, registry);
    }

    QueryTap(Settings settings, DnstapOutput output, MeterRegistry registry) {
        this.settings = settings;
        this.header = DnstapEncoder.header(
                settings.identity().getBytes(StandardCharsets.UTF_8),
                settings.version().getBytes(StandardCharsets.UTF_8));
        this.clientQueries = settings.messages().contains(MessageType.CLIENT_QUERY);
        this.clientResponses = settings.messages().contains(MessageType.CLIENT_RESPONSE);
        this.forwarderQueries = settings.messages().contains(MessageType.FORWARDER_QUERY);
        this.forwarderResponses = settings.messages().contains(MessageType.FORWARDER_RESPONSE);
        String name = "safenet.dnstap.messages";
        String help =
                "dnstap messages: written to the output, or dropped (an event loop's buffer full, the output unavailable)";
        Counter written = Counter.builder(name)
                .description(help)
                .tag("outcome", "written")
                .register(registry);
        this.droppedFull = Counter.builder(name)
                .description(help)
                .tag("outcome", "dropped_buffer_full")
                .register(registry);
        Counter droppedOutput = Counter.builder(name)
                .description(help)
                .tag("outcome", "dropped_output_unavailable")
                .register(registry);
        this.writer = new DnstapWriter(rings, output, written, droppedOutput);
        writer.start();
    }

    public Settings settings() {
        return settings;
    }

    public boolean clientQueries() {
        return clientQueries;
    }

    public boolean clientResponses() {
        return clientResponses;
    }

    public boolean forwarderQueries() {
        return forwarderQueries;
    }

    public boolean forwarderResponses() {
        return forwarderResponses;
    }

    public boolean blockedOnly() {
        return settings.blockedOnly();
    }

    /** Whether this client query is one of the sampled ones (call once per query, on its event loop). */
    public boolean sample() {
        int n = settings.sampleOneIn();
        if (n == 1) {
            return true;
        }
        LoopState s = loopState.get();
        if (++s.sampleCount >= n) {
            s.sampleCount = 0;
            return true;
        }
        return false;
    }

    /** A query as it came from {@code client}: bytes {@code [offset, offset + length)} of {@code message}. */
    public void clientQuery(
            ByteBuf message,
            int offset,
            int length,
            InetSocketAddress client,
            @Nullable InetSocketAddress local,
            int transport,
            long millis) {
        offer(clientFields(MessageType.CLIENT_QUERY, client, local, transport).query(message, offset, length, millis));
    }

    /** The answer as it goes to {@code client}; {@code hit} says why when policy answered (else null or empty). */
    public void clientResponse(
            ByteBuf message,
            int offset,
            int length,
            InetSocketAddress client,
            @Nullable InetSocketAddress local,
            int transport,
            long queryMillis,
            long responseMillis,
            @Nullable PolicyHit hit) {
        DnstapEncoder.Fields f = clientFields(MessageType.CLIENT_RESPONSE, client, local, transport)
                .response(message, offset, length, queryMillis, responseMillis);
        Verdict v = hit == null ? null : hit.verdict();
        if (v != null) {
            f.rule = v.tapRule(); // source/category, e.g. national/scam
            f.action = actionOf(v.action());
            f.match = hit.match();
            f.value = hit.value();
            f.valueLength = hit.valueLength();
        }
        offer(f);
    }

    /** A query sent to an upstream. */
    public void forwarderQuery(
            ByteBuf message, int offset, int length, InetSocketAddress upstream, boolean tcp, long millis) {
        offer(upstreamFields(MessageType.FORWARDER_QUERY, upstream, tcp).query(message, offset, length, millis));
    }

    /** An upstream's answer. */
    public void forwarderResponse(
            ByteBuf message,
            int offset,
            int length,
            InetSocketAddress upstream,
            boolean tcp,
            long queryMillis,
            long responseMillis) {
        offer(upstreamFields(MessageType.FORWARDER_RESPONSE, upstream, tcp)
                .response(message, offset, length, queryMillis, responseMillis));
    }

    private DnstapEncoder.Fields clientFields(
            MessageType type, InetSocketAddress client, @Nullable InetSocketAddress local, int transport) {
        DnstapEncoder.Fields f = loopState.get().fields;
        f.clear();
        f.type = type.code;
        InetAddress a = client.getAddress();
        f.family = a instanceof Inet4Address ? INET : INET6;
        f.protocol = switch (transport) {
            case QueryTransport.TCP -> 2;
            case QueryTransport.DOT -> 3;
            case QueryTransport.DOH -> 4;
            default -> 1;
        };
        f.queryAddressLength = clientAddress(a, f.queryAddress);
        f.queryPort = client.getPort();
        if (local != null && !local.getAddress().isAnyLocalAddress()) {
            f.responseAddressLength = copyAddress(local.getAddress(), f.responseAddress);
            f.responsePort = local.getPort();
        } else if (local != null) {
            f.responsePort = local.getPort();
        }
        return f;
    }

    private DnstapEncoder.Fields upstreamFields(MessageType type, InetSocketAddress upstream, boolean tcp) {
        DnstapEncoder.Fields f = loopState.get().fields;
        f.clear();
        f.type = type.code;
        f.family = upstream.getAddress() instanceof Inet4Address ? INET : INET6;
        f.protocol = tcp ? 2 : 1;
        f.responseAddressLength = copyAddress(upstream.getAddress(), f.responseAddress);
        f.responsePort = upstream.getPort();
        return f;
    }

    private void offer(DnstapEncoder.Fields f) {
        LoopState s = loopState.get();
        int length;
        try {
            length = DnstapEncoder.writeFrame(s.frame, header, f);
        } finally {
            f.queryMessage = null; // never keep a reference to a buffer the listener recycles
            f.responseMessage = null;
        }
        if (length < 0 || !s.ring.offer(s.frame, length)) {
            droppedFull.increment();
        }
    }

    private static int copyAddress(InetAddress a, byte[] into) {
        if (a instanceof Inet4Address) {
            int v = a.hashCode(); // Inet4Address.hashCode() is the address: no array to allocate
            into[0] = (byte) (v >>> 24);
            into[1] = (byte) (v >>> 16);
            into[2] = (byte) (v >>> 8);
            into[3] = (byte) v;
            return 4;
        }
        byte[] b = a.getAddress();
        System.arraycopy(b, 0, into, 0, b.length);
        return b.length;
    }

    /** The client address as {@link AddressMode} says, written into {@code into}; its length. */
    private int clientAddress(InetAddress a, byte[] into) {
        int n = copyAddress(a, into);
        switch (settings.clients()) {
            case FULL -> {}
            case TRUNCATE -> {
                // IPv4 /24, IPv6 /56
                for (int i = n == 4 ? 3 : 7; i < n; i++) {
                    into[i] = 0;
                }
            }
            case HASH -> {
                long hi = 0;
                long lo = 0;
                for (int i = 0; i < n; i++) {
                    if (i < 8) {
                        hi = hi << 8 | (into[i] & 0xFF);
                    } else {
                        lo = lo << 8 | (into[i] & 0xFF);
                    }
                }
                long h1 = Hashing.fmix64(hi ^ hashKey);
                long h2 = Hashing.fmix64(lo ^ h1 ^ n);
                for (int i = 0; i < n; i++) {
                    into[i] = (byte) ((i < 8 ? h1 : h2) >>> (8 * (i & 7)));
                }
            }
        }
        return n;
    }

    /** dnstap Policy.Action for our actions; REFUSED has none (0: left out). */
    private static int actionOf(PolicyAction a) {
        return switch (a) {
            case NXDOMAIN -> 1;
            case NODATA -> 2;
            case PASSTHRU -> 3;
            case DROP -> 4;
            case TCP_ONLY -> 5;
            case SINKHOLE, CNAME -> 6;
            case REFUSED -> 0;
        };
    }

    /** Messages written so far are flushed and the stream ended; no message is taken after. */
    @Override
    public void close() {
        writer.stop();
    }
}
