package org.safenet.dns.blocklist.sync;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real HTTP server on loopback (the JDK's) serving list files as a feed publisher would: ETag
 * per content, 304 on a matching If-None-Match, and on request a server that trickles its body.
 */
final class FeedServer implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Long> trickleMillis = new ConcurrentHashMap<>();
    private volatile String requiredToken;
    /** Every request as "METHOD path If-None-Match", for assertions. */
    final List<String> requests = new CopyOnWriteArrayList<>();

    FeedServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    void put(String path, byte[] body) {
        files.put(path, body);
    }

    /** From now on every request needs {@code Authorization: Bearer token} (else 401). */
    void requireToken(String token) {
        this.requiredToken = token;
    }

    /** The body of {@code path} is sent in 1 KiB pieces {@code millis} apart. */
    void trickle(String path, long millis) {
        trickleMillis.put(path, millis);
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String inm = ex.getRequestHeaders().getFirst("If-None-Match");
        requests.add(ex.getRequestMethod() + " " + path + " " + inm);
        byte[] body = files.get(path);
        try (ex) {
            String token = requiredToken;
            if (token != null
                    && !("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.sendResponseHeaders(401, -1);
                return;
            }
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String etag = "\"" + Integer.toHexString(java.util.Arrays.hashCode(body)) + "-" + body.length + "\"";
            ex.getResponseHeaders().add("ETag", etag);
            if (etag.equals(inm)) {
                ex.sendResponseHeaders(304, -1);
                return;
            }
            Long pause = trickleMillis.get(path);
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            if (pause == null) {
                out.write(body);
                return;
            }
            for (int i = 0; i < body.length; i += 1024) {
                out.write(body, i, Math.min(1024, body.length - i));
                out.flush();
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        } catch (IOException clientWentAway) {
            // the appliance gave up (timeout, size limit): expected in those tests
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
