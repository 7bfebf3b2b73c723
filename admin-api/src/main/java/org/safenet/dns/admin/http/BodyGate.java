package org.safenet.dns.admin.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Decides on a request's headers before its body is read: the caller's gate (the admin API checks
 * the token here, so an unauthenticated body is never buffered), the declared body size, and the
 * bytes of bodies in progress over all connections. A refused request is answered at once and its
 * body, if the client sends it anyway, is read and dropped until it ends (or the request deadline
 * passes), so the client reads the answer instead of a reset connection. Tells {@link
 * MessageDeadline} where each request ends and when its answer left.
 */
final class BodyGate extends ChannelDuplexHandler {
    private final HttpLimits limits;
    private final AtomicLong pendingBodyBytes;
    private final HttpServer.Gate gate;
    private final HttpServer.Refusals refusals;
    private final MessageDeadline deadline;

    /** Body bytes this connection holds of {@link #pendingBodyBytes}, until its answer leaves. */
    private long reserved;
    /** Dropping the rest of a refused request; the connection closes when it ends. */
    private boolean discarding;

    BodyGate(
            HttpLimits limits,
            AtomicLong pendingBodyBytes,
            HttpServer.Gate gate,
            HttpServer.Refusals refusals,
            MessageDeadline deadline) {
        this.limits = limits;
        this.pendingBodyBytes = pendingBodyBytes;
        this.gate = gate;
        this.refusals = refusals;
        this.deadline = deadline;
    }

    static String tooLarge(HttpLimits limits) {
        return "the request body is over " + limits.maxBodyBytes() + " bytes";
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (discarding) {
            boolean last = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            if (last) {
                ctx.close();
            }
            return;
        }
        if (msg instanceof HttpRequest head) {
            FullHttpResponse refusal = admit(ctx, head);
            if (refusal != null) {
                refuse(ctx, head, refusal);
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof LastHttpContent) {
            deadline.requestReceived();
        }
        super.channelRead(ctx, msg);
    }

    private @Nullable FullHttpResponse admit(ChannelHandlerContext ctx, HttpRequest head) {
        if (!head.decoderResult().isSuccess()) {
            return refusals.refusal(400, "bad_request", "the request is not valid HTTP/1.1");
        }
        long declared = HttpUtil.getContentLength(head, -1L);
        if (declared > limits.maxBodyBytes()) {
            return refusals.refusal(413, "body_too_large", tooLarge(limits));
        }
        FullHttpResponse refused = gate.admit(ctx, head);
        if (refused != null) {
            return refused;
        }
        long body = declared >= 0 ? declared : HttpUtil.isTransferEncodingChunked(head) ? limits.maxBodyBytes() : 0;
        if (body > 0) {
            if (pendingBodyBytes.addAndGet(body) > limits.maxPendingBodyBytes()) {
                pendingBodyBytes.addAndGet(-body);
                FullHttpResponse busy =
                        refusals.refusal(503, "busy", "too many large requests at once; try again in a moment");
                busy.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
                return busy;
            }
            reserved += body;
        }
        return null;
    }

    private void refuse(ChannelHandlerContext ctx, HttpRequest head, FullHttpResponse refusal) {
        refusal.headers().set(HttpHeaderNames.CONNECTION, "close");
        boolean bodyComing = !HttpUtil.is100ContinueExpected(head)
                && (HttpUtil.getContentLength(head, 0L) > 0 || HttpUtil.isTransferEncodingChunked(head));
        if (bodyComing) {
            // Still under the request's deadline, which bounds how long the rest may take.
            discarding = true;
            ctx.writeAndFlush(refusal);
        } else {
            ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        boolean answered = msg instanceof FullHttpResponse || msg instanceof LastHttpContent;
        super.write(ctx, msg, promise);
        if (answered && !discarding) {
            release();
            promise.addListener(f -> deadline.answerSent());
        }
    }

    private void release() {
        if (reserved > 0) {
            pendingBodyBytes.addAndGet(-reserved);
            reserved = 0;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        release();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        release();
        super.exceptionCaught(ctx, cause);
    }
}
