package org.safenet.dns.admin.blockpage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.safenet.dns.admin.appeals.AppealBox;
import org.safenet.dns.admin.http.HttpLimits;
import org.safenet.dns.admin.http.HttpServer;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.importer.Explainer;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.listen.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block page: an HTTP server on the sinkhole address. Any GET, for any Host, gets the
 * warning page for that host (with its category, from the store); a POST to {@code /appeal}
 * files an appeal (host, reason, time, client address) for the operators, within the bounds
 * {@link AppealBox} keeps (only for listed names, a few per client an hour, merged per host).
 *
 * <p>HTTPS cannot be served: the browser asked for the blocked site's name, and no certificate
 * for it can be shown, so HTTPS visitors see a connection or certificate error instead of the
 * page (documented in docs/operations.md). Requests are small and bounded ({@link #LIMITS}: 16
 * KiB bodies, 10 s for a whole request), one request per connection, on the shared {@link
 * HttpServer}.
 */
public final class BlockPageServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BlockPageServer.class);

    static final int MAX_REQUEST_BYTES = 16 * 1024;

    /** Small bodies (an appeal form), 1 MiB in progress at once, 10 s for a request or between them. */
    static final HttpLimits LIMITS = new HttpLimits(MAX_REQUEST_BYTES, 64L * MAX_REQUEST_BYTES, 10, 10);

    private final BlocklistStore store;
    private final Supplier<Categories> categories;
    private final AppealBox appeals;
    private final ToIntFunction<String> precedence;
    private final HttpServer server;

    public BlockPageServer(
            InetSocketAddress listen,
            EventLoopGroup group,
            Transports transports,
            BlocklistStore store,
            Supplier<Categories> categories,
            AppealBox appeals)
            throws InterruptedException {
        this(listen, group, transports, store, categories, source -> 0, appeals);
    }

    /** @param precedence of each source, so the page names the entry that decides (as the resolver does) */
    public BlockPageServer(
            InetSocketAddress listen,
            EventLoopGroup group,
            Transports transports,
            BlocklistStore store,
            Supplier<Categories> categories,
            ToIntFunction<String> precedence,
            AppealBox appeals)
            throws InterruptedException {
        this.precedence = precedence;
        this.store = store;
        this.categories = categories;
        this.appeals = appeals;
        this.server = new HttpServer(
                listen,
                group,
                transports,
                null,
                LIMITS,
                (ctx, head) -> null,
                (status, code, message) -> text(HttpResponseStatus.valueOf(status), message),
                Handler::new);
    }

    public InetSocketAddress address() {
        return server.address();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String host = hostOf(req);
            FullHttpResponse response;
            if (!req.decoderResult().isSuccess()) {
                response = text(HttpResponseStatus.BAD_REQUEST, "bad request");
            } else if (req.method().equals(HttpMethod.POST)
                    && new QueryStringDecoder(req.uri()).path().equals("/appeal")) {
                response = appeal(ctx, req);
            } else if (req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD)) {
                response = html(HttpResponseStatus.FORBIDDEN, warning(host));
            } else {
                response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "GET or POST /appeal");
            }
            response.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("block page connection closed after an error", cause);
            ctx.close();
        }

        private String warning(String host) {
            String category = null;
            String reference = "-";
            try {
                Explainer.Explanation x = Explainer.explain(store, categories.get(), precedence, host);
                if (x.entry() != null) {
                    category = x.entry().category();
                }
                reference = "v" + x.version() + "/" + x.name();
            } catch (BlocklistStore.StoreException | IllegalArgumentException notAName) {
                // a Host header that is no domain name (an IP, garbage): the page still shows
            }
            return BlockPage.warning(host, category, reference);
        }

        private FullHttpResponse appeal(ChannelHandlerContext ctx, FullHttpRequest req) {
            Map<String, List<String>> form =
                    new QueryStringDecoder(req.content().toString(StandardCharsets.UTF_8), false).parameters();
            String host = first(form, "host").toLowerCase(Locale.ROOT);
            String reason = first(form, "reason");
            if (host.isBlank() || reason.isBlank()) {
                return text(HttpResponseStatus.BAD_REQUEST, "host and reason are required");
            }
            if (host.length() > 253) {
                return text(HttpResponseStatus.BAD_REQUEST, "host is not a domain name");
            }
            InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            AppealBox.Filing filed;
            try {
                filed = appeals.file(host, reason, client);
            } catch (BlocklistStore.StoreException | RuntimeException e) {
                log.warn("appeal for {} not stored: {}", host, e.getMessage());
                return text(
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "the appeal could not be stored; please try again later");
            }
            return switch (filed.outcome()) {
                case FILED, MERGED -> html(HttpResponseStatus.OK, BlockPage.receipt(host));
                case NOT_BLOCKED ->
                    html(
                            HttpResponseStatus.UNPROCESSABLE_ENTITY,
                            BlockPage.notTaken(
                                    host,
                                    "tên này không có trong danh sách chặn. Nếu mạng của bạn vẫn chặn nó, hãy hỏi quản trị viên mạng.",
                                    "this name is not on the blocklist. If your network still blocks it, ask its administrator."));
                case RATE_LIMITED ->
                    withRetryAfter(
                            html(
                                    HttpResponseStatus.TOO_MANY_REQUESTS,
                                    BlockPage.notTaken(
                                            host,
                                            "bạn đã gửi quá nhiều yêu cầu trong giờ này; hãy thử lại sau.",
                                            "you sent too many requests this hour; please try again later.")),
                            3600);
                case FULL ->
                    withRetryAfter(
                            html(
                                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                                    BlockPage.notTaken(
                                            host,
                                            "có quá nhiều yêu cầu đang chờ xem xét; hãy thử lại sau.",
                                            "too many requests are waiting for review; please try again later.")),
                            3600);
            };
        }
    }

    private static FullHttpResponse withRetryAfter(FullHttpResponse r, int seconds) {
        r.headers().set(HttpHeaderNames.RETRY_AFTER, seconds);
        return r;
    }

    private static String first(Map<String, List<String>> form, String key) {
        List<String> v = form.get(key);
        return v == null || v.isEmpty() ? "" : v.getFirst().strip();
    }

    /** The Host the browser asked for, without a port; bounded, lowercased. */
    static String hostOf(FullHttpRequest req) {
        String host = req.headers().get(HttpHeaderNames.HOST, "");
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            host = end > 0 ? host.substring(1, end) : host;
        } else if (host.indexOf(':') >= 0) {
            host = host.substring(0, host.indexOf(':'));
        }
        host = host.toLowerCase(Locale.ROOT);
        return host.length() > 255 ? host.substring(0, 255) : host;
    }

    private static FullHttpResponse html(HttpResponseStatus status, String body) {
        return response(status, body, "text/html; charset=utf-8");
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return response(status, body + "\n", "text/plain; charset=utf-8");
    }

    private static FullHttpResponse response(HttpResponseStatus status, String body, String type) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        r.headers().set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
        r.headers().set("X-Content-Type-Options", "nosniff");
        HttpUtil.setContentLength(r, content.readableBytes());
        return r;
    }

    @Override
    public void close() {
        server.close();
    }
}
