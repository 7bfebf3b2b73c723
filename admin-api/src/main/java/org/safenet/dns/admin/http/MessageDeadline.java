package org.safenet.dns.admin.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Closes a connection that idles too long between requests, or whose request does not arrive
 * whole within its deadline (counted from its first byte: a slow sender gains nothing by sending a
 * byte at a time). While the server works on a request there is no deadline: a long operation is
 * not cut off. Sits before the codec; {@link BodyGate} tells it where a request ends and when its
 * answer left. Confined to the channel's event loop.
 */
final class MessageDeadline extends ChannelDuplexHandler {
    private enum State {
        IDLE,
        RECEIVING,
        WORKING
    }

    private final long idleNanos;
    private final long requestNanos;
    private State state = State.IDLE;
    private @Nullable ScheduledFuture<?> timer;
    private @Nullable ChannelHandlerContext ctx;

    MessageDeadline(int idleSeconds, int requestSeconds) {
        this.idleNanos = TimeUnit.SECONDS.toNanos(idleSeconds);
        this.requestNanos = TimeUnit.SECONDS.toNanos(requestSeconds);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            arm(idleNanos);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(idleNanos);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (state == State.IDLE) {
            state = State.RECEIVING;
            arm(requestNanos);
        }
        super.channelRead(ctx, msg);
    }

    /** The whole request arrived: the server's turn, without a deadline. */
    void requestReceived() {
        state = State.WORKING;
        cancel();
    }

    /** The answer left: the connection waits for the next request. */
    void answerSent() {
        if (state == State.WORKING) {
            state = State.IDLE;
            arm(idleNanos);
        }
    }

    private void arm(long nanos) {
        cancel();
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        timer = c.executor().schedule(() -> c.close(), nanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        ScheduledFuture<?> t = timer;
        timer = null;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }
}
