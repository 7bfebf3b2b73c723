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
                1232);
        return new QueryPipeline(
                ClientAccessList.of("127.0.0.0/8"), policy, answers, cache, forwarder, metrics, () -> nowMillis, 1232);
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
