package org.safenet.dns.resolver.listen;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.ReadOnlyHttp2Headers;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.pipeline.ReplySink;
import org.safenet.dns.resolver.wire.EdnsPadding;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over HTTPS on one HTTP/2 connection, at the frame level: a GET is answered from its HEADERS
 * frame, a POST once its DATA ends, through the same pipeline as every other transport; the
 * answer is a HEADERS and a DATA frame on the request's stream, flushed at once, so each answer
 * is a TLS record of its own (dnsperf 2.10 loses answers that share a record: its DoH receive
 * path keeps one completed message per read, and a client in the field may have the same bug).
 * The socket write is not per answer: {@link DohServer} puts a {@code FlushConsolidationHandler}
 * below TLS, so the records of one read leave in one write when the read ends (answers from
 * upstream, outside a read, at once). Measured: 1.7x the answers per CPU-second of a write per
 * answer, and a third of the p99 at 20,000 queries a second (docs/benchmarks.md).
 *
 * <p>Why not Netty's {@code Http2MultiplexHandler}: it makes a child channel, a pipeline and an
 * aggregated {@code FullHttpRequest} per stream, i.e. per query, and flushes per stream; that was
 * most of the CPU of a DoH answer (docs/benchmarks.md). Here a query costs its frames and, on a
 * miss, one small sink remembering the stream.
 */
final class DohHttp2Handler extends ChannelInboundHandlerAdapter implements DohClientChannel {
    private static final Logger log = LoggerFactory.getLogger(DohHttp2Handler.class);
    private static final AsciiString MEDIA_TYPE = AsciiString.cached(DohRequests.MEDIA_TYPE);
    private static final AsciiString STATUS_OK = HttpResponseStatus.OK.codeAsText();

    private final QueryPipeline pipeline;
    private final ParsedQuery query = new ParsedQuery();
    /** POST bodies still arriving, by stream id. */
    private final IntObjectMap<PendingBody> bodies = new IntObjectHashMap<>(4);

    /**
     * A POST body still arriving, and the flow-control bytes it holds back. They are given back
     * (WINDOW_UPDATE) only when the body is complete or refused, so the partial bodies of one
     * connection never exceed its flow-control window (64 KiB by default): opening more streams
     * does not make us buffer more.
     */
    private static final class PendingBody {
        @Nullable
        ByteBuf content;

        int heldBytes;

        void release() {
            ByteBuf c = content;
            content = null;
            if (c != null) {
                c.release();
            }
        }
    }

    private @Nullable ChannelHandlerContext ctx;
    /** The stream of the query being handled, for {@link #sinkFor}. */
    private @Nullable Http2FrameStream current;

    /** The connection's slot: a query waiting for upstream makes it busy, so it is not closed to make room. */
    private final TcpGuard guard;

    DohHttp2Handler(QueryPipeline pipeline, TcpGuard guard) {
        this.pipeline = pipeline;
        this.guard = guard;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2HeadersFrame h) {
                onHeaders(h);
            } else if (msg instanceof Http2DataFrame d) {
                onData(ctx, d);
            } else if (msg instanceof Http2ResetFrame r) {
                // The codec gives a closed stream's held bytes back to the connection itself.
                PendingBody partial = bodies.remove(r.stream().id());
                if (partial != null) {
                    partial.release();
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHeaders(Http2HeadersFrame frame) {
        Http2Headers h = frame.headers();
        Http2FrameStream stream = frame.stream();
        PendingBody pending = bodies.get(stream.id());
        if (pending != null) {
            // Trailers after a POST body (no DoH client sends them, HTTP/2 allows them): they
            // end the body if they end the stream, and are otherwise ignored.
            ChannelHandlerContext c = ctx;
            if (frame.isEndStream() && c != null) {
                bodies.remove(stream.id());
                giveBack(c, stream, pending.heldBytes);
                ByteBuf buf = pending.content;
                pending.content = null;
                if (buf == null) {
                    refuse(stream, DohRequests.NOT_DNS);
                } else {
                    answer(stream, buf);
                }
            }
            return;
        }
        CharSequence method = h.method();
        CharSequence path = h.path();
        if (method == null || path == null) {
            refuse(stream, DohRequests.MALFORMED);
            return;
        }
        DohRequests.Refusal refusal =
                DohRequests.check(method, path, h.get(HttpHeaderNames.CONTENT_TYPE), contentLength(h));
        if (refusal != null) {
            refuse(stream, refusal);
            return;
        }
        if ("GET".contentEquals(method)) {
            ChannelHandlerContext c = ctx;
            if (c == null) {
                return;
            }
            ByteBuf q = c.alloc().buffer(path.length());
            DohRequests.Refusal why = DohRequests.getQuery(path, q);
            if (why != null) {
                q.release();
                refuse(stream, why);
                return;
            }
            answer(stream, q);
        } else if (frame.isEndStream()) {
            refuse(stream, DohRequests.NOT_DNS); // a POST without a body
        } else {
            PendingBody old = bodies.put(stream.id(), new PendingBody());
            if (old != null) {
                old.release();
            }
        }
    }

    private static long contentLength(Http2Headers h) {
        CharSequence v = h.get(HttpHeaderNames.CONTENT_LENGTH);
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void onData(ChannelHandlerContext ctx, Http2DataFrame frame) {
        Http2FrameStream stream = frame.stream();
        int bytes = frame.initialFlowControlledBytes();
        PendingBody body = bodies.get(stream.id());
        if (body == null) {
            giveBack(ctx, stream, bytes); // a GET's body, or the rest of a refused request
            return;
        }
        body.heldBytes += bytes;
        ByteBuf content = frame.content();
        ByteBuf buf = body.content;
        if ((buf == null ? 0 : buf.readableBytes()) + content.readableBytes() > DohRequests.MAX_BODY) {
            bodies.remove(stream.id());
            giveBack(ctx, stream, body.heldBytes);
            body.release();
            refuse(stream, DohRequests.TOO_LARGE);
            return;
        }
        if (buf == null) {
            buf = ctx.alloc().buffer(Math.max(content.readableBytes(), 64));
            body.content = buf;
        }
        buf.writeBytes(content);
        if (frame.isEndStream()) {
            bodies.remove(stream.id());
            giveBack(ctx, stream, body.heldBytes);
            body.content = null;
            answer(stream, buf);
        }
    }

    /**
     * Returns consumed bytes to the stream's and the connection's flow-control windows; with the
     * frame codec the handler must, or the windows close. Flushed by the codec when the read ends.
     */
    private static void giveBack(ChannelHandlerContext ctx, Http2FrameStream stream, int bytes) {
        if (bytes > 0) {
            ctx.write(new DefaultHttp2WindowUpdateFrame(bytes).stream(stream), ctx.voidPromise());
        }
    }

    /** Answers the DNS message of one stream; releases it. */
    private void answer(Http2FrameStream stream, ByteBuf message) {
        ChannelHandlerContext c = ctx;
        try {
            DohRequests.Refusal refusal = DohRequests.checkMessage(message);
            if (refusal != null || c == null) {
                if (refusal != null) {
                    refuse(stream, refusal);
                }
                return;
            }
            ByteBuf out = c.alloc().directBuffer(512);
            QueryPipeline.Outcome outcome;
            current = stream;
            try {
                outcome = pipeline.handle(message, client(), query, out, this);
            } catch (RuntimeException e) {
                out.release();
                throw e;
            } finally {
                current = null;
            }
            switch (outcome) {
                case ANSWERED -> send(stream, out);
                case FORWARDED -> {
                    out.release();
                    guard.owed();
                }
                default -> {
                    // DROP (rpz-drop, or a message we never answer): the stream is reset, no answer.
                    out.release();
                    reset(stream);
                }
            }
        } finally {
            message.release();
        }
    }

    private void send(Http2FrameStream stream, ByteBuf answer) {
        ChannelHandlerContext c = ctx;
        if (c == null || !streamOpen(stream)) {
            answer.release();
            return;
        }
        EdnsPadding.pad(answer, answer.readerIndex(), EdnsPadding.RESPONSE_BLOCK);
        // A flat, read-only header set: no hash table per answer.
        Http2Headers headers = ReadOnlyHttp2Headers.serverHeaders(
                false,
                STATUS_OK,
                HttpHeaderNames.CONTENT_TYPE,
                MEDIA_TYPE,
                HttpHeaderNames.CONTENT_LENGTH,
                DohRequests.decimal(answer.readableBytes()),
                HttpHeaderNames.CACHE_CONTROL,
                DohRequests.maxAge(DohRequests.minTtl(answer)));
        write(c, stream, headers, answer);
    }

    private void refuse(Http2FrameStream stream, DohRequests.Refusal refusal) {
        ChannelHandlerContext c = ctx;
        if (c == null || !streamOpen(stream)) {
            return;
        }
        ByteBuf body = ByteBufUtil.writeUtf8(c.alloc(), refusal.why() + "\n");
        Http2Headers headers = new DefaultHttp2Headers()
                .status(refusal.status().codeAsText())
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        write(c, stream, headers, body);
    }

    private void write(ChannelHandlerContext c, Http2FrameStream stream, Http2Headers headers, ByteBuf body) {
        c.write(new DefaultHttp2HeadersFrame(headers).stream(stream), c.newPromise());
        c.writeAndFlush(new DefaultHttp2DataFrame(body, true).stream(stream), c.newPromise());
    }

    private void reset(Http2FrameStream stream) {
        ChannelHandlerContext c = ctx;
        if (c != null && streamOpen(stream)) {
            c.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL).stream(stream), c.newPromise());
        }
    }

    /** The client may have reset the stream (or closed the connection) while its answer was upstream. */
    private static boolean streamOpen(Http2FrameStream stream) {
        Http2Stream.State s = stream.state();
        return s == Http2Stream.State.OPEN || s == Http2Stream.State.HALF_CLOSED_REMOTE;
    }

    private InetSocketAddress client() {
        ChannelHandlerContext c = ctx;
        return (InetSocketAddress) (c == null ? null : c.channel().remoteAddress());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (PendingBody b : bodies.values()) {
            b.release();
        }
        bodies.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (!guard.owesAnswers()) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("DNS over HTTPS: {} closed after an error", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }

    // ClientChannel (maxAnswerSize and transport from DohClientChannel)

    @Override
    public @Nullable InetSocketAddress localAddress() {
        ChannelHandlerContext c = ctx;
        return c == null ? null : (InetSocketAddress) c.channel().localAddress();
    }

    @Override
    public ReplySink sinkFor(InetSocketAddress client) {
        Http2FrameStream stream = current;
        if (stream == null) {
            throw new IllegalStateException("sinkFor outside a query");
        }
        return new StreamSink(stream);
    }

    /** Where an answer that comes later (from upstream) for one stream goes. */
    private final class StreamSink implements ReplySink {
        private final Http2FrameStream stream;

        StreamSink(Http2FrameStream stream) {
            this.stream = stream;
        }

        @Override
        public ByteBuf newAnswerBuffer() {
            ChannelHandlerContext c = ctx;
            return c == null ? Unpooled.buffer(512) : c.alloc().directBuffer(512);
        }

        @Override
        public void send(ByteBuf answer) {
            guard.paid();
            DohHttp2Handler.this.send(stream, answer);
        }

        @Override
        public EventLoop eventLoop() {
            ChannelHandlerContext c = ctx;
            if (c == null) {
                throw new IllegalStateException("not yet added to a channel");
            }
            return c.channel().eventLoop();
        }

        @Override
        public boolean open() {
            return streamOpen(stream);
        }

        @Override
        public void dropped() {
            guard.paid();
            reset(stream);
        }
    }
}
