package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.appliance.admin.AdminTestAppliance.Reply;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

/**
 * The admin API against the outside testing's findings, on an appliance of its own (it adds a
 * route that fails): unauthenticated large bodies are refused on their headers while DNS
 * forwarding goes on, and a handler that throws an {@code Error} still gets a JSON answer.
 */
class AdminUnderAttackTest {
    @TempDir
    static Path dir;

    static ScriptedAuthServer upstream;
    static AdminTestAppliance app;

    @BeforeAll
    static void start() throws Exception {
        upstream = ScriptedAuthServer.start();
        upstream.add("example.org. 300 IN SOA ns.example.org. h.example.org. 1 3600 600 86400 300");
        for (int i = 0; i < 200; i++) {
            upstream.add("n" + i + ".example.org. 300 IN A 192.0.2.10");
        }
        app = AdminTestAppliance.start(dir, upstream.hostPort(), "");
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private Socket admin() throws IOException {
        return admin("127.0.0.1");
    }

    /** A connection to the admin API from {@code from} (a 127.x address). */
    private Socket admin(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", app.base.getPort()), 5000);
        s.setSoTimeout(30_000);
        return s;
    }

    private static String statusLineAndHeaders(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @Test
    void unauthenticatedLargeBodiesAreRefusedOnTheirHeadersWhileForwardingGoesOn() throws Exception {
        // 150 connections each announcing a 16 MB body without a token (the outside testing's
        // attack): every one is answered 401 before a byte of its body is sent.
        List<Socket> attackers = new ArrayList<>();
        try {
            for (int i = 0; i < 150; i++) {
                Socket s = admin("127.0.0.2");
                attackers.add(s);
                OutputStream out = s.getOutputStream();
                out.write(("POST /api/v1/entries/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                + (i % 2 == 0 ? "" : "Authorization: Bearer sn_000000000000_wrong\r\n")
                                + "Content-Length: 16000000\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            int refused = 0;
            for (Socket s : attackers) {
                String head = statusLineAndHeaders(s.getInputStream());
                if (head.startsWith("HTTP/1.1 401") || head.startsWith("HTTP/1.1 429")) {
                    refused++;
                }
            }
            assertThat(refused).isEqualTo(150);
            // Meanwhile DNS forwarding (cache misses, new upstream queries) answers every query.
            for (int i = 0; i < 200; i++) {
                Message m = app.query("127.0.0.1", "n" + i + ".example.org");
                assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
                assertThat(((ARecord) m.getSection(Section.ANSWER).getFirst())
                                .getAddress()
                                .getHostAddress())
                        .isEqualTo("192.0.2.10");
            }
        } finally {
            for (Socket s : attackers) {
                s.close();
            }
        }
        // The API still serves its operators afterwards; the attacker's address, with 75 wrong
        // tokens, is refused even with a valid one.
        assertThat(app.admin("GET", "/api/v1/stats", null).status()).isEqualTo(200);
        try (Socket s = admin("127.0.0.2")) {
            s.getOutputStream()
                    .write(("GET /api/v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + app.adminToken
                                    + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            assertThat(statusLineAndHeaders(s.getInputStream())).startsWith("HTTP/1.1 429");
        }
    }

    @Test
    void aHandlerThatThrowsAnErrorStillGetsAJsonAnswer() throws Exception {
        app.appliance.adminApi().routes().add("GET", "/api/v1/test/fails", null, r -> {
            throw new OutOfMemoryError("simulated: one request too large for the heap");
        });
        Reply r = app.call("GET", "/api/v1/test/fails", null, null);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.json().at("/error/code").asText()).isEqualTo("internal");
        assertThat(r.text()).doesNotContain("OutOfMemoryError").doesNotContain("simulated");
        assertThat(app.call("GET", "/healthz", null, null).status())
                .as("and the next call")
                .isEqualTo(200);
    }

    @Test
    void roleIsCheckedOnTheHeadersToo() throws Exception {
        // A viewer token may not post a body to an operator route: refused before the body.
        String viewer = app.admin("POST", "/api/v1/tokens", "{\"name\":\"v\",\"role\":\"viewer\"}")
                .json()
                .path("token")
                .asText();
        try (Socket s = admin()) {
            s.getOutputStream()
                    .write(("POST /api/v1/entries/bulk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + viewer
                                    + "\r\nContent-Length: 16000000\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            assertThat(statusLineAndHeaders(s.getInputStream())).startsWith("HTTP/1.1 403");
        }
    }
}
