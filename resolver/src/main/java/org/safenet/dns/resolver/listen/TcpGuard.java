package org.safenet.dns.resolver.listen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.stats.ResolverMetrics;

/**
 * The first handler of a client TCP connection: takes a slot in {@link TcpConnections} (or closes
 * the connection at once), gives every query a deadline to arrive whole from its first byte
 * ({@code limits.tcpMessageTimeout}: a byte every few seconds does not keep a connection, though
 * it never idles), and tells the table when the connection is idle (nothing arriving, no answer
 * owed), so a full table closes the longest idle connection rather than refusing a new client.
 * Confined to the connection's event loop.
 */
final class TcpGuard extends ChannelInboundHandlerAdapter {
    private final TcpConnections connections;
    private final ResolverMetrics metrics;
    private TcpConnections.@Nullable Connection slot;
    private @Nullable ChannelHandlerContext ctx;
    private boolean partial;
    private int owed;
    private @Nullable ScheduledFuture<?> deadline;

    TcpGuard(TcpConnections connections, ResolverMetrics metrics) {
        this.connections = connections;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        slot = connections.admit(ctx.channel(), System.nanoTime());
        if (slot == null) {
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelDeadline();
        TcpConnections.Connection s = slot;
        if (s != null) {
            connections.closed(s);
        }
        super.channelInactive(ctx);
    }

    /** The frame decoder's view after a read: whether part of a query is still to come. */
    void framing(boolean partNow) {
        if (partNow && !partial) {
            partial = true;
            armDeadline();
        } else if (!partNow && partial) {
            partial = false;
            cancelDeadline();
        }
        update();
    }

    /** A query went upstream: its answer is owed. */
    void owed() {
        owed++;
        update();
    }

    /** An owed answer went out (or was given up on). */
    void paid() {
        if (owed > 0) {
            owed--;
        }
        update();
    }

    /**
     * The connection's idle timer: it fires when the client has sent nothing for {@code idleMillis}.
     * Reads only: watching writes too would put a listener on every write's promise (an
     * allocation per answer, and per HTTP/2 frame). The handler closes the connection on the
     * timer's event unless {@link #owesAnswers()}; the timer fires again a period later.
     */
    static IdleStateHandler idleTimer(long idleMillis) {
        return new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS);
    }

    /** Answers this connection still owes (queries waiting for upstream): not idle, whatever the client sends. */
    boolean owesAnswers() {
        return owed > 0;
    }

    private void update() {
        TcpConnections.Connection s = slot;
        if (s == null) {
            return;
        }
        if (partial || owed > 0) {
            TcpConnections.busy(s);
        } else if (s.idleSinceNanos == 0) {
            TcpConnections.idle(s, System.nanoTime());
        }
    }

    private void armDeadline() {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        deadline = c.executor()
                .schedule(
                        () -> {
                            metrics.counters().tcpMessageTimeout();
                            c.close();
                        },
                        connections.limits().tcpMessageTimeout().toNanos(),
                        TimeUnit.NANOSECONDS);
    }

    private void cancelDeadline() {
        ScheduledFuture<?> d = deadline;
        deadline = null;
        if (d != null) {
            d.cancel(false);
        }
    }

    /** The two-byte length framing of RFC 1035 §4.2.2, reporting to the guard what is left after each read. */
    static final class Frames extends LengthFieldBasedFrameDecoder {
        private final TcpGuard guard;

        Frames(TcpGuard guard) {
            super(65535, 0, 2, 0, 2);
            this.guard = guard;
        }

        @Override
        protected @Nullable Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
            Object frame = super.decode(ctx, in);
            guard.framing(in.isReadable());
            return frame;
        }
    }
}
