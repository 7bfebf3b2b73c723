package org.safenet.dns.resolver.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.listen.Transports;

/**
 * The UDP sockets one event loop sends its upstream queries on: per upstream, a small pool of
 * connected sockets, each bound to a port the kernel picks at random, each retired after a number
 * of queries or an age and replaced by a fresh one (Unbound's {@code outgoing-range} idea, with
 * retirement instead of one socket per query).
 *
 * <p>Why: a fresh socket per query (socket, register, connect, close: four system calls and a
 * Netty channel) was most of a cache miss's CPU. Why it stays as hard to spoof (RFC 5452): an
 * off-path attacker still has to hit the query's ID (16 bits from a CSPRNG) and its source port (one
 * of the kernel's ephemeral range, randomly chosen) with a packet from the upstream's address and
 * port; the pool only means a port carries more than one query over its life. In forwarding mode
 * the ports are seen by the configured upstreams alone, and retirement bounds how long a port an
 * attacker did learn stays useful. Connected sockets keep the kernel's filter (datagrams from
 * other addresses are dropped before we see them) and its ICMP errors. See
 * docs/decisions/0006-upstream-socket-pool.md.
 *
 * <p>Confined to one event loop: nothing here is shared or locked.
 */
final class UpstreamSockets {
    /** Sockets per upstream per event loop. */
    static final int SOCKETS_PER_SERVER = 8;
    /** A socket takes no new queries after this many... */
    static final int MAX_QUERIES_PER_SOCKET = 2_000;
    /** ...or after this long, and is closed once its last query is answered or timed out. */
    static final long MAX_SOCKET_AGE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Queries one socket may have outstanding: a query's ID is unique on its socket. */
    static final int MAX_PENDING_PER_SOCKET = 4_096;
    /** A pool not used for this long (an upstream removed by a reload) is closed. */
    static final long IDLE_POOL_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** What a socket hands an answer to: the exchange that sent the query with that ID. */
    interface Receiver {
        /** An answer from the upstream with this socket's query ID; the buffer is released after. */
        void received(ByteBuf answer);

        /** The socket failed (ICMP port unreachable, or it closed) while this query was on it. */
        void socketFailed();
    }

    private final EventLoop loop;
    private final Transports transports;
    private final FixedRecvByteBufAllocator receiveBuffers;
    private final SplittableRandom random;
    private final Map<InetSocketAddress, Pool> pools = new HashMap<>();
    private long lastSweepNanos;

    UpstreamSockets(EventLoop loop, Transports transports, FixedRecvByteBufAllocator receiveBuffers, long seed) {
        this.loop = loop;
        this.transports = transports;
        this.receiveBuffers = receiveBuffers;
        this.random = new SplittableRandom(seed);
    }

    /**
     * A socket connected to {@code server} with a free ID for one query, or null when every socket
     * of the pool holds {@value #MAX_PENDING_PER_SOCKET} queries (the caller fails the attempt).
     */
    @Nullable
    Lease lease(InetSocketAddress server, long nowNanos, int id, Receiver receiver) {
        sweep(nowNanos);
        Pool pool = pools.get(server);
        if (pool == null) {
            pool = new Pool();
            pools.put(server, pool);
        }
        pool.lastUsedNanos = nowNanos;
        int start = random.nextInt(SOCKETS_PER_SERVER);
        for (int n = 0; n < SOCKETS_PER_SERVER; n++) {
            int i = (start + n) % SOCKETS_PER_SERVER;
            PooledSocket s = pool.sockets[i];
            if (s == null || s.worn(nowNanos)) {
                if (s != null) {
                    s.retire();
                }
                s = open(server, nowNanos);
                pool.sockets[i] = s;
            }
            if (s.pending.size() < MAX_PENDING_PER_SOCKET) {
                int free = s.freeId(id);
                s.pending.put(free, receiver);
                s.queries++;
                return new Lease(s, free);
            }
        }
        return null;
    }

    /** Closes every socket (the loop is shutting down). */
    void closeAll() {
        for (Pool p : pools.values()) {
            for (PooledSocket s : p.sockets) {
                if (s != null) {
                    s.channel.close();
                }
            }
        }
        pools.clear();
    }

    private PooledSocket open(InetSocketAddress server, long nowNanos) {
        DatagramChannel ch = transports.newDatagramChannel(server.getAddress() instanceof Inet4Address);
        ch.config().setRecvByteBufAllocator(receiveBuffers);
        PooledSocket s = new PooledSocket(ch, nowNanos);
        ch.pipeline().addLast(s);
        ch.closeFuture().addListener(f -> s.failAll());
        // On the loop itself both complete at once; the future covers any other case.
        ChannelPromise ready = s.ready;
        loop.register(ch).addListener(registered -> {
            if (!registered.isSuccess()) {
                ready.tryFailure(registered.cause());
                ch.close(); // worn() then replaces it
                return;
            }
            ch.connect(server).addListener(connected -> {
                if (connected.isSuccess()) {
                    ready.trySuccess();
                } else {
                    ready.tryFailure(connected.cause());
                    ch.close();
                }
            });
        });
        return s;
    }

    private void sweep(long nowNanos) {
        if (nowNanos - lastSweepNanos < TimeUnit.SECONDS.toNanos(10)) {
            return;
        }
        lastSweepNanos = nowNanos;
        Iterator<Pool> it = pools.values().iterator();
        while (it.hasNext()) {
            Pool p = it.next();
            if (nowNanos - p.lastUsedNanos > IDLE_POOL_NANOS) {
                for (PooledSocket s : p.sockets) {
                    if (s != null) {
                        s.retire();
                    }
                }
                it.remove();
            }
        }
    }

    /** One query's place on a socket: the ID it was given there. */
    record Lease(PooledSocket socket, int id) {
        /** The query is over (answered, timed out, abandoned): its ID is free again. */
        void release(Receiver receiver) {
            socket.release(id, receiver);
        }
    }

    private static final class Pool {
        final @Nullable PooledSocket[] sockets = new PooledSocket[SOCKETS_PER_SERVER];
        long lastUsedNanos;
    }

    /** A connected UDP socket and the queries outstanding on it, by ID. */
    final class PooledSocket extends SimpleChannelInboundHandler<DatagramPacket> {
        final DatagramChannel channel;
        final long bornNanos;
        final IdTable pending = new IdTable();
        int queries;
        boolean retired;
        /** Done once the socket is registered and connected: a query sent before waits for it. */
        final ChannelPromise ready;

        PooledSocket(DatagramChannel channel, long bornNanos) {
            this.channel = channel;
            this.bornNanos = bornNanos;
            this.ready = channel.newPromise();
        }

        boolean worn(long nowNanos) {
            return !channel.isOpen()
                    || queries >= MAX_QUERIES_PER_SOCKET
                    || nowNanos - bornNanos > MAX_SOCKET_AGE_NANOS;
        }

        /** {@code wanted} if it is free on this socket, else another random one that is. */
        int freeId(int wanted) {
            int id = wanted;
            while (pending.get(id) != null) {
                id = random.nextInt(0x10000);
            }
            return id;
        }

        void release(int id, Receiver receiver) {
            pending.remove(id, receiver);
            if (retired && pending.isEmpty()) {
                channel.close();
            }
        }

        /** No new queries; closed as soon as nothing is outstanding. */
        void retire() {
            retired = true;
            if (pending.isEmpty()) {
                channel.close();
            }
        }

        void failAll() {
            if (pending.isEmpty()) {
                return;
            }
            Receiver[] waiting = pending.drain();
            for (Receiver r : waiting) {
                r.socketFailed();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
            ByteBuf content = msg.content();
            if (content.readableBytes() < 2) {
                return;
            }
            Receiver r = pending.get(content.getUnsignedShort(content.readerIndex()));
            if (r != null) {
                r.received(content);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port/host unreachable on a connected socket: every query on it has failed.
            failAll();
        }
    }

    /**
     * Query ID to receiver: open addressing with linear probing over parallel arrays, grown by
     * doubling, so that a query costs no boxed key and no map node.
     */
    static final class IdTable {
        private int[] ids = new int[16];
        private @Nullable Receiver[] receivers = new Receiver[16];
        private int size;

        int size() {
            return size;
        }

        boolean isEmpty() {
            return size == 0;
        }

        @Nullable
        Receiver get(int id) {
            int mask = ids.length - 1;
            for (int i = slot(id, mask); ; i = (i + 1) & mask) {
                Receiver r = receivers[i];
                if (r == null) {
                    return null;
                }
                if (ids[i] == id) {
                    return r;
                }
            }
        }

        /** Adds {@code id}, which must not be present. */
        void put(int id, Receiver receiver) {
            if ((size + 1) * 2 > ids.length) {
                grow();
            }
            int mask = ids.length - 1;
            int i = slot(id, mask);
            while (receivers[i] != null) {
                i = (i + 1) & mask;
            }
            ids[i] = id;
            receivers[i] = receiver;
            size++;
        }

        /** Removes {@code id} if it maps to {@code receiver}. */
        void remove(int id, Receiver receiver) {
            int mask = ids.length - 1;
            int i = slot(id, mask);
            while (true) {
                Receiver r = receivers[i];
                if (r == null) {
                    return;
                }
                if (ids[i] == id) {
                    @SuppressWarnings("ReferenceEquality") // the exchange itself, not an equal one
                    boolean same = r == receiver;
                    if (!same) {
                        return;
                    }
                    break;
                }
                i = (i + 1) & mask;
            }
            // Backward-shift deletion: later entries of the run move up, so no tombstones.
            receivers[i] = null;
            size--;
            for (int j = (i + 1) & mask; receivers[j] != null; j = (j + 1) & mask) {
                int home = slot(ids[j], mask);
                // Move j into the hole at i unless its home lies cyclically in (i, j].
                if (((j - home) & mask) >= ((j - i) & mask)) {
                    ids[i] = ids[j];
                    receivers[i] = receivers[j];
                    receivers[j] = null;
                    i = j;
                }
            }
        }

        /** Empties the table, returning what it held. */
        Receiver[] drain() {
            Receiver[] out = new Receiver[size];
            int n = 0;
            for (Receiver r : receivers) {
                if (r != null) {
                    out[n++] = r;
                }
            }
            Arrays.fill(receivers, null);
            size = 0;
            return out;
        }

        private void grow() {
            int[] oldIds = ids;
            Receiver[] oldReceivers = receivers;
            ids = new int[oldIds.length * 2];
            receivers = new Receiver[oldIds.length * 2];
            size = 0;
            for (int i = 0; i < oldIds.length; i++) {
                Receiver r = oldReceivers[i];
                if (r != null) {
                    put(oldIds[i], r);
                }
            }
        }

        private static int slot(int id, int mask) {
            return (id * 0x9E3779B9 >>> 16) & mask;
        }
    }
}
