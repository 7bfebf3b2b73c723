package org.safenet.dns.admin.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.listen.Transports;

/**
 * The shared HTTP server over real sockets: refusals on the headers before the body is read, the
 * bound on bodies in progress, a deadline for a whole request that a byte-at-a-time sender cannot
 * stretch, and no deadline while the server works.
 */
class HttpServerTest {
    /** Idle 1 s, a whole request 2 s, bodies of 1,000 bytes, 2,500 in progress at once. */
    private static final HttpLimits LIMITS = new HttpLimits(1_000, 2_500, 1, 2);

    private MultiThreadIoEventLoopGroup group;
    private HttpServer server;

    @BeforeEach
    void start() throws Exception {
        Transports t = Transports.best();
        group = t.newGroup(1);
        server = new HttpServer(
                new InetSocketAddress("127.0.0.1", 0),
                group,
                t,
                null,
                LIMITS,
                (ctx, head) -> head.headers().contains("X-Key", "open", false)
                        ? null
                        : response(HttpResponseStatus.UNAUTHORIZED, "no key"),
                (status, code, message) -> response(HttpResponseStatus.valueOf(status), code),
                () -> new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                        String body = req.content().toString(StandardCharsets.UTF_8);
                        long work = Long.parseLong(req.headers().get("X-Work", "0"));
                        // Work longer than the request deadline, off the event loop, as the admin API does.
                        Thread.ofVirtual().start(() -> {
                            sleep(work);
                            ctx.executor().execute(() -> {
                                FullHttpResponse r = response(HttpResponseStatus.OK, "got " + body.length());
                                HttpUtil.setKeepAlive(r, HttpUtil.isKeepAlive(req));
                                ctx.writeAndFlush(r);
                            });
                        });
                    }
                });
    }

    @AfterEach
    void stop() {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static FullHttpResponse response(HttpResponseStatus status, String text) {
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        return r;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(server.address(), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Reads one response's status line and headers and its Content-Length body. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return head.toString();
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @Test
    void aRefusedRequestIsAnsweredOnItsHeadersBeforeAnyOfItsBodyIsSent() throws IOException {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 900\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // Nothing of the body sent: the answer is already there.
            assertThat(readResponse(s.getInputStream()))
                    .startsWith("HTTP/1.1 401")
                    .contains("no key");
            // The client may still send the body it announced; it is read and dropped, then the connection ends.
            out.write(new byte[900]);
            out.flush();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void aBodyOverTheLimitIsRefusedOnItsDeclaredLength() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream()
                    .write("POST /x HTTP/1.1\r\nHost: a\r\nX-Key: open\r\nContent-Length: 1001\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(s.getInputStream()))
                    .startsWith("HTTP/1.1 413")
                    .contains("body_too_large");
        }
    }

    @Test
    void bodiesInProgressTogetherAreBoundedAndTheirShareReturnsWhenAnswered() throws IOException {
        List<Socket> holding = new ArrayList<>();
        try {
            // Two bodies of 1,000 announced and not yet sent hold 2,000 of the 2,500.
            for (int i = 0; i < 2; i++) {
                Socket s = connect();
                holding.add(s);
                s.getOutputStream()
                        .write("POST /x HTTP/1.1\r\nHost: a\r\nX-Key: open\r\nContent-Length: 1000\r\n\r\nabc"
                                .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            // The server has seen both before the third arrives.
            for (int i = 0; i < 10_000 && server.pendingBodyBytes() < 2_000; i++) {
                sleep(1);
            }
            assertThat(server.pendingBodyBytes()).isEqualTo(2_000);
            try (Socket third = connect()) {
                third.getOutputStream()
                        .write("POST /x HTTP/1.1\r\nHost: a\r\nX-Key: open\r\nContent-Length: 600\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                String r = readResponse(third.getInputStream());
                assertThat(r).startsWith("HTTP/1.1 503").contains("busy").containsIgnoringCase("retry-after: 1");
            }
            // The first body completes and is answered: its share returns.
            holding.getFirst().getOutputStream().write(new byte[997]);
            holding.getFirst().getOutputStream().flush();
            assertThat(readResponse(holding.getFirst().getInputStream()))
                    .startsWith("HTTP/1.1 200")
                    .contains("got 1000");
            try (Socket fourth = connect()) {
                fourth.getOutputStream()
                        .write(("POST /x HTTP/1.1\r\nHost: a\r\nX-Key: open\r\nContent-Length: 600\r\n\r\n"
                                        + "x".repeat(600))
                                .getBytes(StandardCharsets.US_ASCII));
                assertThat(readResponse(fourth.getInputStream()))
                        .startsWith("HTTP/1.1 200")
                        .contains("got 600");
            }
        } finally {
            for (Socket s : holding) {
                s.close();
            }
        }
    }

    @Test
    void aByteAtATimeSenderIsCutOffAtTheRequestDeadlineThoughNeverIdleForLong() throws IOException {
        byte[] request = ("GET /slow HTTP/1.1\r\nHost: a\r\nX-Key: open\r\n" + "X-Pad: " + "p".repeat(100) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        int sent = 0;
        boolean cut = false;
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            // One byte every 300 ms: well inside the 1 s idle limit; the whole request would take 40 s.
            for (; sent < request.length; sent++) {
                try {
                    out.write(request[sent]);
                    out.flush();
                } catch (SocketException closed) {
                    cut = true;
                    break;
                }
                sleep(300);
                if (s.getInputStream().available() == 0 && closedByPeer(s)) {
                    cut = true;
                    break;
                }
            }
        }
        assertThat(cut)
                .as("the connection was closed before the request was whole")
                .isTrue();
        assertThat(sent).isLessThan(request.length);
    }

    /** True if the server closed the connection (a read returns end of stream at once). */
    private static boolean closedByPeer(Socket s) throws IOException {
        int timeout = s.getSoTimeout();
        s.setSoTimeout(1);
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException reset) {
            return true;
        } finally {
            s.setSoTimeout(timeout);
        }
    }

    @Test
    void workLongerThanTheRequestDeadlineIsStillAnsweredAndTheConnectionKept() throws IOException {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("GET /work HTTP/1.1\r\nHost: a\r\nX-Key: open\r\nX-Work: 3000\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
            out.write("GET /again HTTP/1.1\r\nHost: a\r\nX-Key: open\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws IOException {
        try (Socket s = connect()) {
            // No assertion on how long: only that the server, not the client, ends it.
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }
}
