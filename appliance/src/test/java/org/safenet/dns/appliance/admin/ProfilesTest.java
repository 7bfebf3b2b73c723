package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.KnotServer;
import org.safenet.dns.testkit.Peers;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Profiles and client groups in a whole appliance, against a real Knot DNS upstream serving the
 * root zone (so it can answer google.com, youtube.com and the rest on loopback): the YAML of the
 * issue, dig from different 127.0.0.x addresses, the admin API's CRUD and explain, and a reload.
 */
class ProfilesTest {
    @TempDir
    Path dir;

    private KnotServer knot;
    private AdminTestAppliance app;

    /** The school of issue 14: students filtered harder, SafeSearch, TikTok and games closed. */
    private static final String SCHOOL = """
            profiles:
              - name: school
                categories: {gambling: sinkhole, adult: sinkhole, ads: nxdomain}
                safeSearch: true
                youtube: strict
                blockedServices: [tiktok]
                schedules:
                  - {name: lessons, days: [all], from: "00:00", to: "24:00", block: [social, games]}
                blockDohBypass: true
            clients:
              - {name: students, match: ["127.0.0.0/30", "fd00:1::/48"], profile: school}
            policy:
              timeZone: Asia/Ho_Chi_Minh
            """;

    @BeforeEach
    void startKnot() throws IOException {
        Path knotDir = Files.createDirectories(dir.resolve("knot"));
        knot = KnotServer.start(knotDir, ".", """
                $ORIGIN .
                $TTL 300
                @                              SOA ns.root. admin.root. 1 7200 900 86400 60
                @                              NS  ns.root.
                ns.root.                       A   127.0.0.1
                www.google.com.                A   192.0.2.1
                google.com.                    A   192.0.2.1
                www.google.com.vn.             A   192.0.2.3
                forcesafesearch.google.com.    A   216.239.38.120
                www.youtube.com.               A   192.0.2.2
                restrict.youtube.com.          A   216.239.38.119
                www.bing.com.                  A   192.0.2.4
                strict.bing.com.               A   204.79.197.220
                tiktok.com.                    A   192.0.2.77
                www.tiktok.com.                A   192.0.2.77
                www.facebook.com.              A   192.0.2.78
                roblox.com.                    A   192.0.2.79
                use-application-dns.net.       A   192.0.2.81
                dns.google.                    A   8.8.8.8
                www.example.com.               A   192.0.2.10
                cloaked.example.com.           CNAME tracker.adnet.example.
                tracker.adnet.example.         A   198.51.100.7
                """);
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (knot != null) {
            knot.close();
        }
    }

    private static String dig(String source, InetSocketAddress server, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                "dig",
                "-b",
                source,
                "@" + server.getAddress().getHostAddress(),
                "-p",
                String.valueOf(server.getPort()),
                "+time=3",
                "+tries=1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private List<String> shortAnswer(String source, String name) throws IOException, InterruptedException {
        return dig(source, app.dns, "+short", name, "A").lines().toList();
    }

    @Test
    void theSchoolYaml_studentsGetSafeSearchAndBlocks_othersThePlainAnswers_nothingLeaksThroughTheCache()
            throws Exception {
        Peers.require("dig", "dnsutils");
        app = AdminTestAppliance.start(dir, knot.hostPort(), SCHOOL);
        String student = "127.0.0.2";
        String staff = "127.0.0.9";
        for (int round = 0; round < 2; round++) { // the second round is served from the cache
            String full = dig(student, app.dns, "www.google.com", "A");
            assertThat(full).contains("ANSWER: 2");
            assertThat(full)
                    .containsPattern(
                            "www\\.google\\.com\\.\\s+\\d+\\s+IN\\s+CNAME\\s+forcesafesearch\\.google\\.com\\.")
                    .containsPattern("forcesafesearch\\.google\\.com\\.\\s+\\d+\\s+IN\\s+A\\s+216\\.239\\.38\\.120");
            assertThat(shortAnswer(staff, "www.google.com")).containsExactly("192.0.2.1");
            assertThat(shortAnswer(student, "www.google.com.vn"))
                    .containsExactly("forcesafesearch.google.com.", "216.239.38.120");
            assertThat(shortAnswer(staff, "www.google.com.vn")).containsExactly("192.0.2.3");
            assertThat(shortAnswer(student, "www.youtube.com"))
                    .containsExactly("restrict.youtube.com.", "216.239.38.119");
            assertThat(shortAnswer(staff, "www.youtube.com")).containsExactly("192.0.2.2");
            assertThat(shortAnswer(student, "www.bing.com")).containsExactly("strict.bing.com.", "204.79.197.220");
        }
        // Blocked services, always (tiktok) and in the schedule (social, games), sinkholed with the profile named.
        String tiktok = dig(student, app.dns, "www.tiktok.com", "A");
        assertThat(tiktok).contains("127.0.0.1").contains("profile school").contains("tiktok");
        assertThat(shortAnswer(student, "www.facebook.com")).containsExactly("127.0.0.1");
        assertThat(dig(student, app.dns, "roblox.com", "A")).contains("schedule lessons");
        assertThat(shortAnswer(staff, "www.tiktok.com")).containsExactly("192.0.2.77");
        assertThat(shortAnswer(staff, "roblox.com")).containsExactly("192.0.2.79");
        // DoH bypass: Firefox's canary and a public DoH resolver are NXDOMAIN for students only.
        assertThat(dig(student, app.dns, "use-application-dns.net", "A")).contains("status: NXDOMAIN");
        assertThat(dig(student, app.dns, "dns.google", "A")).contains("status: NXDOMAIN");
        assertThat(shortAnswer(staff, "use-application-dns.net")).containsExactly("192.0.2.81");

        // explain says why, for each client.
        JsonNode forStudent = app.admin("GET", "/api/v1/explain?name=www.tiktok.com&client=" + student, null)
                .json()
                .path("forClient");
        assertThat(forStudent.path("group").asText()).isEqualTo("students");
        assertThat(forStudent.path("profile").asText()).isEqualTo("school");
        assertThat(forStudent.path("decision").asText()).isEqualTo("blocked");
        assertThat(forStudent.path("source").asText()).contains("service tiktok");
        JsonNode safe = app.admin("GET", "/api/v1/explain?name=www.google.com&client=" + student, null)
                .json()
                .path("forClient");
        assertThat(safe.path("decision").asText()).isEqualTo("redirected");
        assertThat(safe.path("redirect").asText()).isEqualTo("forcesafesearch.google.com.");
        JsonNode forStaff = app.admin("GET", "/api/v1/explain?name=www.tiktok.com&client=" + staff, null)
                .json()
                .path("forClient");
        assertThat(forStaff.path("profile").asText()).isEqualTo("default");
        assertThat(forStaff.path("group").isNull()).isTrue();
        assertThat(forStaff.path("decision").asText()).isEqualTo("not_listed");

        // Blocks are counted per profile.
        JsonNode school = app.admin("GET", "/api/v1/profiles/school", null).json();
        assertThat(school.path("blocked").asLong()).isGreaterThanOrEqualTo(5);
        assertThat(school.path("origin").asText()).isEqualTo("config");
        assertThat(app.admin("GET", "/metrics", null).text())
                .containsPattern("safenet_blocked_profile_total\\{profile=\"school\"} [1-9]");
        // ...and kept in the statistics store with the rest.
        JsonNode stats = app.admin("GET", "/api/v1/stats", null).json();
        assertThat(stats.path("blockedByProfile").path("school").asLong()).isGreaterThanOrEqualTo(5);
        assertThat(stats.path("blockedByProfile").has("default")).isFalse();
    }

    @Test
    void profilesAndGroups_throughTheApi_areLiveAudited_validated_andKeptOverARestart() throws Exception {
        app = AdminTestAppliance.start(dir, knot.hostPort(), "");
        String family = "127.0.0.5";
        assertThat(answers(app.dns, family, "www.facebook.com")).containsExactly("192.0.2.78");

        AdminTestAppliance.Reply created = app.admin(
                "POST",
                "/api/v1/profiles",
                "{\"name\":\"family\",\"blockedServices\":[\"facebook\"],\"categories\":{\"adult\":\"sinkhole\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().path("origin").asText()).isEqualTo("api");
        AdminTestAppliance.Reply group =
                app.admin("PUT", "/api/v1/clients/home", "{\"match\":[\"127.0.0.5/32\"],\"profile\":\"family\"}");
        assertThat(group.status()).as(group.text()).isEqualTo(200);
        assertThat(answers(app.dns, family, "www.facebook.com")).containsExactly("127.0.0.1");
        assertThat(answers(app.dns, "127.0.0.6", "www.facebook.com")).containsExactly("192.0.2.78");

        // Bad input changes nothing and says why.
        AdminTestAppliance.Reply unknownService =
                app.admin("PUT", "/api/v1/profiles/family", "{\"blockedServices\":[\"myspace\"]}");
        assertThat(unknownService.status()).isEqualTo(400);
        assertThat(unknownService.json().at("/error/message").asText())
                .contains("unknown service 'myspace'")
                .contains("tiktok");
        AdminTestAppliance.Reply unknownField = app.admin("PUT", "/api/v1/profiles/family", "{\"colour\":\"red\"}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.json().at("/error/message").asText()).contains("colour");
        AdminTestAppliance.Reply noProfile =
                app.admin("PUT", "/api/v1/clients/x", "{\"match\":[\"10.0.0.0/8\"],\"profile\":\"nope\"}");
        assertThat(noProfile.status()).isEqualTo(400);
        assertThat(noProfile.json().at("/error/message").asText())
                .contains("nope")
                .contains("does not exist");
        AdminTestAppliance.Reply badPrefix =
                app.admin("PUT", "/api/v1/clients/x", "{\"match\":[\"10.0.0.0/99\"],\"profile\":\"family\"}");
        assertThat(badPrefix.status()).isEqualTo(400);
        assertThat(answers(app.dns, family, "www.facebook.com")).containsExactly("127.0.0.1");
        assertThat(app.admin("DELETE", "/api/v1/profiles/family", null).status())
                .as("a group still names it")
                .isEqualTo(409);
        assertThat(app.call("PUT", "/api/v1/profiles/family", null, "{}").status())
                .isEqualTo(401);

        JsonNode audit = app.admin("GET", "/api/v1/audit?limit=50", null).json().path("items");
        assertThat(AdminApiTest.find(audit, "action", "profile.put")
                        .path("target")
                        .asText())
                .isEqualTo("family");
        assertThat(AdminApiTest.find(audit, "action", "client.put")
                        .path("target")
                        .asText())
                .isEqualTo("home");

        // A restart keeps what the API made.
        app.close();
        app = AdminTestAppliance.start(dir, knot.hostPort(), "");
        assertThat(answers(app.dns, family, "www.facebook.com")).containsExactly("127.0.0.1");
        assertThat(app.admin("DELETE", "/api/v1/clients/home", null).status()).isEqualTo(200);
        assertThat(app.admin("DELETE", "/api/v1/profiles/family", null).status())
                .isEqualTo(200);
        assertThat(answers(app.dns, family, "www.facebook.com")).containsExactly("192.0.2.78");
        assertThat(app.admin("GET", "/api/v1/profiles/family", null).status()).isEqualTo(404);
        assertThat(app.admin("GET", "/api/v1/services", null)
                        .json()
                        .path("services")
                        .toString())
                .contains("\"tiktok\"")
                .contains("tiktok.com");
    }

    @Test
    void aGroupByListenAddress_getsItsProfile_butAPrefixMatchWins() throws Exception {
        int port = KnotServer.freePort();
        String extra = """
                profiles:
                  - {name: kids, blockedServices: [tiktok]}
                  - {name: open, categories: {scam: "off"}}
                clients:
                  - {name: kids-resolver, listen: ["127.0.0.1:%d"], profile: kids}
                  - {name: lab, match: ["127.0.0.8/29"], profile: open}
                """.formatted(port);
        app = AdminTestAppliance.start(
                dir, knot.hostPort(), extra, "\"127.0.0.1:" + port + "\", \"127.0.0.2:" + port + "\"");
        InetSocketAddress kidsResolver = new InetSocketAddress("127.0.0.1", port);
        InetSocketAddress otherResolver = new InetSocketAddress("127.0.0.2", port);
        assertThat(answers(kidsResolver, "127.0.0.3", "tiktok.com")).containsExactly("127.0.0.1");
        assertThat(answers(otherResolver, "127.0.0.3", "tiktok.com")).containsExactly("192.0.2.77");
        // 127.0.0.9 is in the lab's prefix: that wins over the listen address.
        assertThat(answers(kidsResolver, "127.0.0.9", "tiktok.com")).containsExactly("192.0.2.77");
    }

    @Test
    void aReload_changesProfilesLive_withoutLosingAQuery() throws Exception {
        app = AdminTestAppliance.start(dir, knot.hostPort(), "");
        assertThat(answers(app.dns, "127.0.0.2", "tiktok.com")).containsExactly("192.0.2.77");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger lost = new AtomicInteger();
        Thread load = new Thread(() -> {
            for (int i = 0; i < 20_000 && running.get(); i++) { // bounded
                try {
                    answers(app.dns, "127.0.0.3", i % 2 == 0 ? "www.example.com" : "tiktok.com");
                    answered.incrementAndGet();
                } catch (IOException e) {
                    lost.incrementAndGet();
                }
            }
        });
        load.start();
        Thread.sleep(200);
        AdminTestAppliance.writeConfig(dir.resolve("safenet.yaml"), dir, knot.hostPort(), """
                profiles:
                  - {name: kids, blockedServices: [tiktok]}
                clients:
                  - {name: kids, match: ["127.0.0.0/29"], profile: kids}
                """, "\"127.0.0.1:0\"");
        AdminTestAppliance.Reply reload = app.admin("POST", "/api/v1/config/reload", null);
        assertThat(reload.status()).as(reload.text()).isEqualTo(200);
        assertThat(reload.text()).contains("profiles");
        // Live as soon as the reload has answered.
        assertThat(answers(app.dns, "127.0.0.2", "tiktok.com")).containsExactly("127.0.0.1");
        Thread.sleep(200);
        running.set(false);
        load.join();
        assertThat(lost.get()).as("queries lost around the reload").isZero();
        assertThat(answered.get()).isPositive();
    }

    @Test
    void anEntryAddedThroughTheApi_blocksAnAnswerAlreadyCached_forTheProfilesThatEnforceIt() throws Exception {
        app = AdminTestAppliance.start(dir, knot.hostPort(), """
                profiles:
                  - {name: relaxed, categories: {phishing: "off"}}
                clients:
                  - {name: lab, match: ["127.0.0.7/32"], profile: relaxed}
                """);
        assertThat(answers(app.dns, "127.0.0.2", "cloaked.example.com"))
                .containsExactly("tracker.adnet.example.", "198.51.100.7");
        long hits = cacheHits();
        // The CNAME's target is listed while the answer sits in the cache (TTL 300 s).
        AdminTestAppliance.Reply added =
                app.admin("POST", "/api/v1/entries", "{\"name\":\"adnet.example\",\"category\":\"phishing\"}");
        assertThat(added.status()).as(added.text()).isEqualTo(201);
        assertThat(answers(app.dns, "127.0.0.2", "cloaked.example.com")).containsExactly("127.0.0.1");
        // A profile that does not enforce phishing still gets the cached answer.
        assertThat(answers(app.dns, "127.0.0.7", "cloaked.example.com"))
                .containsExactly("tracker.adnet.example.", "198.51.100.7");
        // Counters are per event loop, read from here a moment late: wait until both hits show.
        org.awaitility.Awaitility.await().until(() -> cacheHits() >= hits + 2);
        assertThat(cacheHits()).as("both answered from the cache").isEqualTo(hits + 2);
        // Removed again: the cached answer is good again for everyone.
        assertThat(app.admin("DELETE", "/api/v1/entries/adnet.example", null).status())
                .isEqualTo(200);
        assertThat(answers(app.dns, "127.0.0.2", "cloaked.example.com"))
                .containsExactly("tracker.adnet.example.", "198.51.100.7");
    }

    private long cacheHits() {
        return app.appliance.resolver().metrics().totals().cacheHits();
    }

    /** The A answers (rdata text) to {@code name} from {@code source} via {@code server}. */
    private static List<String> answers(InetSocketAddress server, String source, String name) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(source), 0))) {
            s.setSoTimeout(3000);
            byte[] q = DnsProbe.query(name + ".", Type.A, 1232).toWire();
            s.send(new DatagramPacket(q, q.length, server));
            byte[] buf = new byte[4096];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            Message m = new Message(Arrays.copyOf(buf, p.getLength()));
            return m.getSection(Section.ANSWER).stream()
                    .map(rr -> rr.rdataToString())
                    .toList();
        }
    }
}
