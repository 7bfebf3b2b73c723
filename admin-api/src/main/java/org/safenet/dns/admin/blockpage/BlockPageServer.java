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
import org.safenet.dns.admin.appeals.ReportBox;
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
 * {@code GET /report} is the public scam report form and {@code POST /report} files one (form
 * fields {@code domain}, {@code category}, {@code description}, {@code contact}) within the
 * bounds {@link ReportBox} keeps. Pages are in Vietnamese or English, from {@code
 * Accept-Language} or {@code ?lang=}.
 *
 * <p>HTTPS cannot be served: the browser asked for the blocked site's name, and no certificate
 * for it can be shown, so HTTPS visitors see a connection or certificate error instead of the
 * page (documented in docs/operations.md). Requests are small and bounded ({@link #LIMITS}: 40
 * KiB bodies, 10 s for a whole request), one request per connection, on the shared {@link
 * HttpServer}.
 */
public final class BlockPageServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BlockPageServer.class);

    /**
     * The largest form: a report's fields at their limits (2,000 + 2,000 + 200 characters),
     * percent-encoded UTF-8 (up to 9 bytes a Vietnamese letter), fit.
     */
    static final int MAX_REQUEST_BYTES = 40 * 1024;

    /** Small bodies (an appeal or report form), 2.5 MiB in progress at once, 10 s for a request or between them. */
    static final HttpLimits LIMITS = new HttpLimits(MAX_REQUEST_BYTES, 64L * MAX_REQUEST_BYTES, 10, 10);

    private final BlocklistStore store;
    private final Supplier<Categories> categories;
    private final AppealBox appeals;
    private final ReportBox reports;
    private final ToIntFunction<String> precedence;
    private final HttpServer server;

    public BlockPageServer(
            InetSocketAddress listen,
            EventLoopGroup group,
            Transports transports,
            BlocklistStore store,
            Supplier<Categories> categories,
            AppealBox appeals,
            ReportBox reports)
            throws InterruptedException {
        this(listen, group, transports, store, categories, source -> 0, appeals, reports);
    }

    /** @param precedence of each source, so the page names the entry that decides (as the resolver does) */
    public BlockPageServer(
            InetSocketAddress listen,
            EventLoopGroup group,
            Transports transports,
            BlocklistStore store,
            Supplier<Categories> categories,
            ToIntFunction<String> precedence,
            AppealBox appeals,
            ReportBox reports)
            throws InterruptedException {
        this.reports = reports;
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
            } else {
                QueryStringDecoder uri = new QueryStringDecoder(req.uri());
                BlockPage.Texts t = BlockPage.Texts.of(BlockPage.language(
                        first(uri.parameters(), "lang"), req.headers().get(HttpHeaderNames.ACCEPT_LANGUAGE)));
                boolean get =
                        req.method().equals(HttpMethod.GET) || req.method().equals(HttpMethod.HEAD);
                if (req.method().equals(HttpMethod.POST) && uri.path().equals("/appeal")) {
                    response = appeal(ctx, req, t);
                } else if (req.method().equals(HttpMethod.POST) && uri.path().equals("/report")) {
                    response = report(ctx, req, t);
                } else if (get && uri.path().equals("/report")) {
                    response = html(
                            HttpResponseStatus.OK,
                            BlockPage.reportForm(t, first(uri.parameters(), "domain"), "scam", "", "", null));
                } else if (get) {
                    response = html(HttpResponseStatus.FORBIDDEN, warning(host, t));
                } else {
                    response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "GET, or POST /appeal or /report");
                }
            }
            response.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("block page connection closed after an error", cause);
            ctx.close();
        }

        private String warning(String host, BlockPage.Texts t) {
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
            return BlockPage.warning(t, host, category, reference);
        }

        private FullHttpResponse appeal(ChannelHandlerContext ctx, FullHttpRequest req, BlockPage.Texts t) {
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
                case FILED, MERGED -> html(HttpResponseStatus.OK, BlockPage.receipt(t, "receipt.appeal", host));
                case NOT_BLOCKED ->
                    html(HttpResponseStatus.UNPROCESSABLE_ENTITY, BlockPage.notTaken(t, host, "notTaken.notBlocked"));
                case RATE_LIMITED -> tryLater(t, host, false);
                case FULL -> tryLater(t, host, true);
            };
        }

        /** A citizen's scam report from the form: filed, merged into an open one, or refused with the form again. */
        private FullHttpResponse report(ChannelHandlerContext ctx, FullHttpRequest req, BlockPage.Texts t) {
            Map<String, List<String>> form =
                    new QueryStringDecoder(req.content().toString(StandardCharsets.UTF_8), false).parameters();
            String domain = first(form, "domain");
            String category = first(form, "category");
            String description = first(form, "description");
            String contact = first(form, "contact");
            InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            ReportBox.Filing filed;
            try {
                filed = reports.file(domain, category, description, contact, client);
            } catch (ReportBox.Invalid e) {
                return html(
                        HttpResponseStatus.BAD_REQUEST,
                        BlockPage.reportForm(
                                t,
                                cut(domain, ReportBox.MAX_URL_CHARS),
                                category,
                                cut(description, ReportBox.MAX_DESCRIPTION_CHARS),
                                cut(contact, ReportBox.MAX_CONTACT_CHARS),
                                e.field()));
            } catch (BlocklistStore.StoreException | RuntimeException e) {
                log.warn("report of {} not stored: {}", cut(domain, 253), e.getMessage());
                return html(
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        BlockPage.notTaken(t, cut(domain, 253), "notTaken.unavailable"));
            }
            return switch (filed.outcome()) {
                case FILED, MERGED ->
                    html(HttpResponseStatus.OK, BlockPage.receipt(t, "receipt.report", filed.domain()));
                case RATE_LIMITED -> tryLater(t, filed.domain(), false);
                case FULL -> tryLater(t, filed.domain(), true);
            };
        }
    }

    /** A filing not taken for now: too many from this client this hour (429), or the box is full (503). */
    private static FullHttpResponse tryLater(BlockPage.Texts t, String name, boolean full) {
        return withRetryAfter(
                html(
                        full ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.TOO_MANY_REQUESTS,
                        BlockPage.notTaken(t, name, full ? "notTaken.full" : "notTaken.rateLimited")),
                3600);
    }

    private static String cut(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
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
