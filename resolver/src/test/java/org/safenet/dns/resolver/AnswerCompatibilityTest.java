package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.FakeClock;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Answers stay byte-for-byte what they were: a recorded set of questions (misses, then hits after
 * the clock moved on, with and without EDNS, DO, mixed case, answers too big for UDP) is asked of a
 * resolver over real sockets, and every answer is compared with {@code golden/answers.txt.gz}, which
 * was written by the resolver before the cache and forwarder were reworked for memory and speed.
 * Rewrite it on purpose only ({@code -Dsafenet.golden.write=true}) when an answer is meant to change.
 */
class AnswerCompatibilityTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/answers.txt.gz");

    @Test
    void recordedQuestions_getTheRecordedAnswers() throws Exception {
        FakeClock clock = new FakeClock(1_760_000_000_000L);
        List<String> lines = new ArrayList<>();
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start()) {
            upstream.add("example.com. 3600 IN SOA ns.example.com. host.example.com. 1 7200 900 86400 60")
                    .add("www.example.com. 300 IN A 192.0.2.10")
                    .add("www.example.com. 300 IN A 192.0.2.11")
                    .add("www.example.com. 300 IN AAAA 2001:db8::10")
                    .add("alias.example.com. 120 IN CNAME www.example.com.")
                    .add("deep.example.com. 60 IN CNAME alias.example.com.")
                    .add("example.com. 900 IN MX 10 mail.example.com.")
                    .add("example.com. 900 IN TXT \"v=spf1 -all\" \"second string\"")
                    .add("short.example.com. 1 IN A 192.0.2.20")
                    .add("long.example.com. 604800 IN A 192.0.2.21");
            for (int i = 0; i < 40; i++) {
                upstream.add("big.example.com. 300 IN TXT \"" + "t".repeat(100) + i + "\"");
            }
            for (int i = 0; i < 60; i++) {
                upstream.add("n" + i + ".example.com. " + (30 + i * 97) + " IN A 198.51.100." + (i + 1));
                if (i % 3 == 0) {
                    upstream.add(
                            "n" + i + ".example.com. " + (45 + i) + " IN AAAA 2001:db8::" + Integer.toHexString(i + 1));
                }
            }
            ResolverSettings settings = new ResolverSettings(
                    new ResolverSettings.ServerSettings(
                            List.of(HostPort.parse("127.0.0.1:0", 53)), 2, 1232, Duration.ofSeconds(10), 100),
                    new UpstreamSettings(
                            List.of(HostPort.parse(upstream.hostPort(), 53)),
                            Duration.ofSeconds(2),
                            1,
                            Duration.ofSeconds(5),
                            List.of()),
                    new ResolverSettings.AccessSettings(ClientAccessList.DEFAULT_ALLOWED.stream()
                            .map(CidrPrefix::parse)
                            .toList()),
                    CacheSettings.defaults());
            try (Resolver resolver = new Resolver(settings, new SimpleMeterRegistry(), clock)) {
                DnsProbe probe = new DnsProbe(resolver.start().getFirst());
                List<String> names = new ArrayList<>(List.of(
                        "www.example.com.",
                        "WwW.ExAmple.COM.",
                        "alias.example.com.",
                        "deep.example.com.",
                        "example.com.",
                        "big.example.com.",
                        "short.example.com.",
                        "long.example.com.",
                        "nothing.example.com."));
                for (int i = 0; i < 60; i++) {
                    names.add("n" + i + ".example.com.");
                }
                int[] types = {Type.A, Type.AAAA, Type.MX, Type.TXT, Type.CNAME, Type.HTTPS};
                String[] variants = {"edns1232", "plain", "do", "edns512"};
                int id = 1;
                for (int pass = 0; pass < 2; pass++) {
                    for (String name : names) {
                        for (int type : types) {
                            for (String variant : variants) {
                                Message q = switch (variant) {
                                    case "plain" -> DnsProbe.query(name, type, 0);
                                    case "edns512" -> DnsProbe.query(name, type, 512);
                                    case "do" -> {
                                        Message m = DnsProbe.query(name, type, 0);
                                        m.addRecord(
                                                new OPTRecord(1232, 0, 0, org.xbill.DNS.ExtendedFlags.DO),
                                                Section.ADDITIONAL);
                                        yield m;
                                    }
                                    default -> DnsProbe.query(name, type, 1232);
                                };
                                q.getHeader().setID(id++ & 0xFFFF);
                                byte[] answer = probe.udpRaw(q.toWire());
                                assertThat(answer)
                                        .as("an answer to %s %s", name, variant)
                                        .isNotNull();
                                lines.add(pass + " " + name + " " + Type.string(type) + " " + variant + " "
                                        + HexFormat.of().formatHex(answer));
                            }
                        }
                    }
                    clock.advance(Duration.ofSeconds(7)); // the second pass is served from the cache, TTLs lowered
                }
            }
        }
        if (Boolean.getBoolean("safenet.golden.write")) {
            try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(GOLDEN))) {
                out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.US_ASCII));
            }
        }
        assertThat(GOLDEN).as("the recorded answers").exists();
        List<String> expected;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(GOLDEN))) {
            expected = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .lines()
                    .toList();
        }
        assertThat(lines).hasSize(expected.size());
        for (int i = 0; i < lines.size(); i++) {
            assertThat(lines.get(i)).as("answer %d", i).isEqualTo(expected.get(i));
        }
    }
}
