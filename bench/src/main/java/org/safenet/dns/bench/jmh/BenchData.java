package org.safenet.dns.bench.jmh;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.safenet.dns.bench.SharedData;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.PacketCache;
import org.safenet.dns.resolver.listen.Transports;
import org.safenet.dns.resolver.pipeline.QueryPipeline;
import org.safenet.dns.resolver.policy.Policy;
import org.safenet.dns.resolver.policy.PolicyAnswers;
import org.safenet.dns.resolver.stats.ResolverMetrics;
import org.safenet.dns.resolver.upstream.Forwarder;
import org.safenet.dns.resolver.upstream.UpstreamRouter;
import org.safenet.dns.resolver.upstream.UpstreamSettings;

/** Real names for benchmarks, from ../shared/data (never copied into the repository). */
public final class BenchData {
    private BenchData() {}

    /** The first {@code n} names of shared/data/derived/top-domains.txt. */
    public static List<String> topDomains(int n) {
        return names("derived/top-domains.txt", n);
    }

    /** Every name of shared/data/derived/blocked-domains-1m.txt.gz (1.46M real listed names). */
    public static List<String> blockedList() {
        return names("derived/blocked-domains-1m.txt.gz", Integer.MAX_VALUE);
    }

    private static List<String> names(String relative, int limit) {
        Path file = SharedData.find(relative);
        List<String> out = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
                BufferedReader r = new BufferedReader(new InputStreamReader(
                        relative.endsWith(".gz") ? new GZIPInputStream(raw) : raw, StandardCharsets.UTF_8))) {
            String line;
            while (out.size() < limit && (line = r.readLine()) != null) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    out.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * The whole query pipeline over {@code cache} and {@code policy}, ACL 127.0.0.0/8, clock fixed
     * at {@code nowMillis}; its forwarder points at a discard port, for benchmarks whose queries
     * are all answered from the cache or the policy.
     */
    public static QueryPipeline pipeline(Policy policy, PolicyAnswers answers, PacketCache cache, long nowMillis) {
        return pipeline(policy, answers, cache, nowMillis, null);
    }

    /** As above, with the per-loop client and name statistics on ({@code clientKeys} not null) or off. */
    public static QueryPipeline pipeline(
            Policy policy,
            PolicyAnswers answers,
            PacketCache cache,
            long nowMillis,
            org.safenet.dns.resolver.stats.ClientKeys.@org.jspecify.annotations.Nullable Mode clientKeys) {
        ResolverMetrics metrics = new ResolverMetrics(new SimpleMeterRegistry());
        if (clientKeys != null) {
            metrics.enableClientStats(new org.safenet.dns.resolver.stats.ClientKeys(clientKeys, 86_400_000L));
        }
        UpstreamSettings upstream = new UpstreamSettings(
                List.of(HostPort.parse("127.0.0.1:9", 53)), Duration.ofSeconds(1), 1, Duration.ofSeconds(5), List.of());
        Forwarder forwarder = new Forwarder(
                new UpstreamRouter(upstream, metrics),
                upstream,
                cache,
                Transports.nio(),
                metrics,
                () -> nowMillis,
                1232,
                1);
        return new QueryPipeline(
                ClientAccessList.of("127.0.0.0/8"), policy, answers, cache, forwarder, metrics, () -> nowMillis, 1232);
    }

    /**
     * Three client groups and three profiles beside default, the shape of a school: students
     * (127.0.0.0/24: SafeSearch, TikTok always, social and games in a schedule open now, DoH
     * bypass blocked, adult and gambling on), staff by listen address (none of the bench's
     * queries match it), and a family range (127.0.1.0/24: adult on). The bench's clients fall
     * into students, family and default (127.0.2.x and 127.0.3.x).
     */
    public static org.safenet.dns.resolver.policy.ClientGroups threeProfiles() {
        org.safenet.dns.resolver.policy.PolicyCategories.register(
                List.of("scam", "phishing", "malware", "adult", "gambling"));
        org.safenet.dns.resolver.policy.Profile.Builder def =
                org.safenet.dns.resolver.policy.Profile.builder("default").allCategories();
        org.safenet.dns.resolver.policy.Profile.Builder school =
                org.safenet.dns.resolver.policy.Profile.builder("school").allCategories();
        school.service("tiktok", List.of("tiktok.com", "tiktokv.com", "tiktokcdn.com"), true);
        long social = school.service("facebook", List.of("facebook.com", "fbcdn.net", "messenger.com"), false);
        long games = school.service("roblox", List.of("roblox.com", "rbxcdn.com"), false);
        school.schedule(new org.safenet.dns.resolver.policy.Schedule(
                "lessons", 0x7F, 0, org.safenet.dns.resolver.policy.Schedule.MINUTES_PER_DAY, social | games, 0));
        org.safenet.dns.resolver.policy.SafeSearch.apply(
                school, true, org.safenet.dns.resolver.policy.SafeSearch.YouTube.STRICT);
        school.blockDohBypass(List.of("use-application-dns.net", "mask.icloud.com", "dns.google"));
        org.safenet.dns.resolver.policy.Profile.Builder family =
                org.safenet.dns.resolver.policy.Profile.builder("family").allCategories();
        family.block("casino.example");
        org.safenet.dns.resolver.policy.Profile.Builder staff =
                org.safenet.dns.resolver.policy.Profile.builder("staff").allCategories();
        org.safenet.dns.resolver.policy.Profile d = def.build(0);
        org.safenet.dns.resolver.policy.Profile s = school.build(1);
        org.safenet.dns.resolver.policy.Profile f = family.build(2);
        org.safenet.dns.resolver.policy.Profile t = staff.build(3);
        return new org.safenet.dns.resolver.policy.ClientGroups(
                List.of(d, s, f, t),
                List.of(
                        new org.safenet.dns.resolver.policy.ClientGroups.Group(
                                "students",
                                List.of(org.safenet.dns.resolver.acl.CidrPrefix.parse("127.0.0.0/24")),
                                List.of(),
                                s),
                        new org.safenet.dns.resolver.policy.ClientGroups.Group(
                                "staff", List.of(), List.of(new InetSocketAddress("127.0.0.53", 53)), t),
                        new org.safenet.dns.resolver.policy.ClientGroups.Group(
                                "family",
                                List.of(org.safenet.dns.resolver.acl.CidrPrefix.parse("127.0.1.0/24")),
                                List.of(),
                                f)),
                List.of());
    }

    /** 1024 client addresses in 127.0.0.0/8 (the benchmarks' ACL), spread over four /24s. */
    public static InetSocketAddress[] clients() {
        InetSocketAddress[] out = new InetSocketAddress[1024];
        for (int i = 0; i < out.length; i++) {
            out[i] = new InetSocketAddress("127.0." + (i >>> 8) + "." + (i & 0xFF), 40000);
        }
        return out;
    }

    /** A wire-format query (RD set, optional EDNS OPT) for {@code name}/{@code type}, ID {@code id}. */
    public static byte[] query(int id, String name, int type, boolean edns) {
        List<Byte> out = new ArrayList<>();
        int[] header = {id >>> 8, id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0};
        for (int b : header) {
            out.add((byte) b);
        }
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            out.add((byte) label.length());
            for (char c : label.toCharArray()) {
                out.add((byte) c);
            }
        }
        out.add((byte) 0);
        out.add((byte) (type >>> 8));
        out.add((byte) type);
        out.add((byte) 0);
        out.add((byte) 1);
        if (edns) {
            int[] opt = {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0};
            for (int b : opt) {
                out.add((byte) b);
            }
        }
        byte[] bytes = new byte[out.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = out.get(i);
        }
        return bytes;
    }
}
