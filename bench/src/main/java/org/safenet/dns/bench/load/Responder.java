package org.safenet.dns.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.safenet.dns.resolver.listen.Transports;

/**
 * A trivial DNS responder for calibrating the load generator: every query gets NOERROR with one A
 * record (a fixed address) for type A, NODATA otherwise, straight from the query's bytes. With a
 * service time it answers one query at a time, each taking that long, so queries queue like at an
 * overloaded server: the target for checking that open-loop latency includes the queueing delay.
 * It is also a "fast wrong server": it never blocks anything.
 */
public final class Responder implements AutoCloseable {
    private final MultiThreadIoEventLoopGroup group;
    private final Channel channel;
    private final AtomicLong answered = new AtomicLong();

    private Responder(MultiThreadIoEventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static Responder start(
            Transports transports, InetSocketAddress listen, Inet4Address answer, Duration serviceTime)
            throws java.io.IOException {
        return start(transports, listen, answer, serviceTime, 0);
    }

    /**
     * As {@link #start(Transports, InetSocketAddress, Inet4Address, Duration)}, but the first query
     * and then every {@code dropEvery}-th is read and never answered (0: none), like packet loss.
     */
    public static Responder start(
            Transports transports, InetSocketAddress listen, Inet4Address answer, Duration serviceTime, int dropEvery)
            throws java.io.IOException {
        MultiThreadIoEventLoopGroup group = transports.newGroup(1);
        Responder[] self = new Responder[1];
        Handler handler = new Handler(
                answer.getAddress(), serviceTime.toNanos(), dropEvery, () -> self[0].answered.incrementAndGet());
        try {
            Channel ch = new Bootstrap()
                    .group(group)
                    .channelFactory(() -> transports.newDatagramChannel(listen.getAddress() instanceof Inet4Address))
                    .option(ChannelOption.SO_RCVBUF, 4 << 20)
                    .option(ChannelOption.SO_SNDBUF, 4 << 20)
                    .handler(handler)
                    .bind(listen)
                    .sync()
                    .channel();
            self[0] = new Responder(group, ch);
            return self[0];
        } catch (Exception e) { // Netty rethrows bind failures (IOException) undeclared
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new java.io.IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public long answered() {
        return answered.get();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final byte[] address;
        private final long serviceNanos;
        private final int dropEvery;
        private final Runnable onAnswer;
        private long busyUntil;
        private long received;

        Handler(byte[] address, long serviceNanos, int dropEvery, Runnable onAnswer) {
            this.address = address;
            this.serviceNanos = serviceNanos;
            this.dropEvery = dropEvery;
            this.onAnswer = onAnswer;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ByteBuf q = packet.content();
            int questionEnd = questionEnd(q);
            if (questionEnd < 0) {
                return; // not a query we can answer: drop, as a server would
            }
            if (dropEvery > 0 && received++ % dropEvery == 0) {
                return; // simulated loss
            }
            int type = q.getUnsignedShort(questionEnd - 4);
            ByteBuf r = ctx.alloc().directBuffer(questionEnd + 16);
            r.writeBytes(q, q.readerIndex(), questionEnd - q.readerIndex());
            int base = 0;
            r.setShort(base + 2, 0x8180 | (q.getUnsignedShort(q.readerIndex() + 2) & 0x0100)); // QR RA, RD copied
            r.setShort(base + 6, type == 1 ? 1 : 0); // ANCOUNT
            r.setShort(base + 8, 0);
            r.setShort(base + 10, 0);
            if (type == 1) {
                r.writeShort(0xC00C)
                        .writeShort(1)
                        .writeShort(1)
                        .writeInt(60)
                        .writeShort(4)
                        .writeBytes(address);
            }
            DatagramPacket answer = new DatagramPacket(r, packet.sender());
            if (serviceNanos <= 0) {
                ctx.writeAndFlush(answer, ctx.voidPromise());
                onAnswer.run();
                return;
            }
            long now = System.nanoTime();
            busyUntil = Math.max(busyUntil, now) + serviceNanos;
            ctx.executor()
                    .schedule(
                            () -> {
                                ctx.writeAndFlush(answer, ctx.voidPromise());
                                onAnswer.run();
                            },
                            busyUntil - now,
                            TimeUnit.NANOSECONDS);
        }

        /** Offset just past the single question, or -1 for anything but a one-question query. */
        private static int questionEnd(ByteBuf q) {
            int start = q.readerIndex();
            int end = q.writerIndex();
            if (end - start < 17 || (q.getByte(start + 2) & 0x80) != 0 || q.getUnsignedShort(start + 4) != 1) {
                return -1;
            }
            int p = start + 12;
            while (p < end) {
                int len = q.getUnsignedByte(p);
                if (len == 0) {
                    return p + 5 <= end ? p + 5 : -1;
                }
                if (len > 63) {
                    return -1;
                }
                p += 1 + len;
            }
            return -1;
        }
    }
}
