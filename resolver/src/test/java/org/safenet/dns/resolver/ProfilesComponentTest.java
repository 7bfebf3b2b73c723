package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.cache.CacheSettings;
import org.safenet.dns.resolver.listen.Transports;
import org.safenet.dns.resolver.policy.ClientGroups;
import org.safenet.dns.resolver.policy.Policy;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.PolicyCategories;
import org.safenet.dns.resolver.policy.Profile;
import org.safenet.dns.resolver.policy.SafeSearch;
import org.safenet.dns.resolver.policy.Schedule;
import org.safenet.dns.resolver.policy.SinkholeSettings;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.upstream.UpstreamSettings;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.FakeClock;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Client groups and profiles over real loopback sockets: clients on different 127.0.0.x source
 * addresses, a scripted upstream, and a policy whose list the test changes while answers sit in
 * the cache.
 */
class ProfilesComponentTest {
    private static final String BLOCK_PAGE = "192.0.2.80";

    static {
        PolicyCategories.register(List.of("scam", "adult", "gambling"));
    }

    /** 2026-12-07 was a Monday; 09:00 UTC then. */
    private static final long MONDAY_9AM =
            LocalDateTime.of(2026, 12, 7, 9, 0).toInstant(ZoneOffset.UTC).toEpochMilli();

    private final FakeClock clock = new FakeClock(MONDAY_9AM);
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private ScriptedAuthServer upstream;
    private Resolver resolver;
    private InetSocketAddress server;

    /** A list the test edits: name -> verdict, address (dotted) -> verdict; the version moves with each edit. */
    private final Map<String, Verdict> names = new ConcurrentHashMap<>();

    private final Map<String, Verdict> addresses = new ConcurrentHashMap<>();
    private final AtomicLong version = new AtomicLong(1);

    private final Policy lists = new Policy() {
        @Override
        public @Nullable Verdict decide(ParsedQuery q) {
            return decide(q, -1);
        }

        @Override
        public @Nullable Verdict decide(ParsedQuery q, int mask) {
            // Most specific first, like the real index: the name, then its parents.
            String n = q.nameText();
            while (true) {
                Verdict v = names.get(n);
                if (v != null && (mask >>> v.categorySlot() & 1) != 0) {
                    return v;
                }
                int dot = n.indexOf('.');
                if (dot < 0 || dot == n.length() - 1) {
                    return null;
                }
                n = n.substring(dot + 1);
            }
        }

        @Override
        public @Nullable Verdict decideAddress(byte[] address, int mask) {
            try {
                Verdict v = addresses.get(InetAddress.getByAddress(address).getHostAddress());
                return v != null && (mask >>> v.categorySlot() & 1) != 0 ? v : null;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public long version() {
            return version.get();
        }
    };

    private static Verdict listed(String category) {
        return Verdict.ofCategory(PolicyAction.SINKHOLE, category, "test list", Verdict.EDE_BLOCKED);
    }

    @BeforeEach
    void start() throws Exception {
        upstream = ScriptedAuthServer.start()
                .add("example.com. 3600 IN SOA ns.example.com. host.example.com. 1 7200 900 86400 60")
                .add("www.example.com. 300 IN A 192.0.2.10")
                .add("cloaked.example.com. 300 IN CNAME tracker.adnet.example.")
                .add("tracker.adnet.example. 300 IN A 198.51.100.7")
                .add("moved.example.com. 300 IN A 203.0.113.9")
                .add("casino.example. 300 IN A 192.0.2.66")
                .add("tiktok.com. 300 IN A 192.0.2.77")
                .add("clips.example.com. 300 IN CNAME tiktok.com.")
                .add("www.google.com. 300 IN A 192.0.2.1")
                .add("forcesafesearch.google.com. 300 IN A 216.239.38.120")
                .add("forcesafesearch.google.com. 300 IN AAAA 2001:4860:4802:32::78")
                .add("www.youtube.com. 300 IN A 192.0.2.2")
                .add("restrict.youtube.com. 300 IN A 216.239.38.119")
                .add("walled.example.com. 300 IN A 192.0.2.99");
        closeAfter.add(upstream);
        ResolverSettings settings = new ResolverSettings(
                new ResolverSettings.ServerSettings(
                        List.of(HostPort.parse("127.0.0.1:0", 53)), 2, 1232, Duration.ofSeconds(10), 100),
                new UpstreamSettings(
                        List.of(HostPort.parse(upstream.hostPort(), 53)),
                        Duration.ofSeconds(2),
                        2,
                        Duration.ofSeconds(5),
                        List.of()),
                new ResolverSettings.AccessSettings(ClientAccessList.DEFAULT_ALLOWED.stream()
                        .map(CidrPrefix::parse)
                        .toList()),
                CacheSettings.defaults());
        resolver = new Resolver(
                settings,
                new SimpleMeterRegistry(),
                clock,
                Transports.best(),
                lists,
                new SinkholeSettings(
                        List.of(InetAddress.getByName(BLOCK_PAGE)), Duration.ofSeconds(60), Duration.ofMinutes(5)));
        closeAfter.add(resolver);
        server = resolver.start().getFirst();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
    }

    private static Profile.Builder enforcing(String name, String... categories) {
        Profile.Builder b = Profile.builder(name);
        for (String c : categories) {
            b.category(c, PolicyAction.SINKHOLE);
        }
        return b;
    }

    private static ClientGroups.Group group(String name, Profile p, String... prefixes) {
        return new ClientGroups.Group(
                name, Arrays.stream(prefixes).map(CidrPrefix::parse).toList(), List.of(), p);
    }

    /** An A query for {@code name} sent from {@code source} (a 127.x address), optionally with ECS. */
    private Message ask(String source, String name, int type, @Nullable String ecs) throws IOException {
        Message q = DnsProbe.query(name, type, 1232);
        if (ecs != null) {
            OPTRecord opt = (OPTRecord) q.getSection(Section.ADDITIONAL).getFirst();
            q.removeRecord(opt, Section.ADDITIONAL);
            String[] parts = ecs.split("/");
            List<EDNSOption> options =
                    List.of(new ClientSubnetOption(Integer.parseInt(parts[1]), InetAddress.getByName(parts[0])));
            q.addRecord(new OPTRecord(1232, 0, 0, 0, options), Section.ADDITIONAL);
        }
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(source), 0))) {
            s.setSoTimeout(3000);
            byte[] wire = q.toWire();
            s.send(new DatagramPacket(wire, wire.length, server));
            byte[] buf = new byte[4096];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            return new Message(Arrays.copyOf(buf, p.getLength()));
        }
    }

    private Message ask(String source, String name) throws IOException {
        return ask(source, name, Type.A, null);
    }

    private static List<String> answers(Message m) {
        return m.getSection(Section.ANSWER).stream()
                .map(rr -> rr.rdataToString())
                .toList();
    }

    private static @Nullable String edeText(Message m) {
        OPTRecord opt = m.getOPT();
        if (opt == null) {
            return null;
        }
        for (EDNSOption o : opt.getOptions()) {
            if (o instanceof ExtendedErrorCodeOption e) {
                return e.getText();
            }
        }
        return null;
    }

    @Test
    void eachGroupGetsItsProfile_mostSpecificPrefixWins_unmatchedGetDefault() throws Exception {
        names.put("casino.example.", listed("gambling"));
        Profile def = enforcing("default", "scam").build(0);
        Profile school = enforcing("school", "scam", "gambling").build(1);
        Profile staff = enforcing("staff", "scam").block("tiktok.com").build(2);
        resolver.profiles(
                new ClientGroups(
                        List.of(def, school, staff),
                        List.of(group("students", school, "127.0.0.0/24"), group("teachers", staff, "127.0.0.9/32")),
                        List.of()),
                ZoneOffset.UTC);

        Message student = ask("127.0.0.5", "casino.example.");
        assertThat(answers(student)).containsExactly(BLOCK_PAGE);
        assertThat(edeText(student)).contains("gambling").contains("[profile school]");
        assertThat(answers(ask("127.0.0.5", "tiktok.com."))).containsExactly("192.0.2.77");

        // 127.0.0.9 is inside the students' /24 too: the /32 is more specific.
        assertThat(answers(ask("127.0.0.9", "casino.example."))).containsExactly("192.0.2.66");
        Message teacher = ask("127.0.0.9", "tiktok.com.");
        assertThat(answers(teacher)).containsExactly(BLOCK_PAGE);
        assertThat(edeText(teacher)).isEqualTo("SafeNet DNS: custom (profile staff)");

        // Outside every group: default, which does not enforce gambling.
        assertThat(answers(ask("127.0.1.1", "casino.example."))).containsExactly("192.0.2.66");
        assertThat(resolver.metrics().blockedByProfile()[1]).isEqualTo(1);
        assertThat(resolver.metrics().blockedByProfile()[2]).isEqualTo(1);
    }

    @Test
    void clientSubnet_decidesOnlyForTrustedForwarders() throws Exception {
        names.put("casino.example.", listed("gambling"));
        Profile def = enforcing("default").build(0);
        Profile school = enforcing("school", "gambling").build(1);
        resolver.profiles(
                new ClientGroups(
                        List.of(def, school),
                        List.of(group("students", school, "10.1.0.0/16")),
                        List.of(CidrPrefix.parse("127.0.0.7/32"))),
                ZoneOffset.UTC);
        // A trusted forwarder relays a student's query: the ECS subnet is the client.
        assertThat(answers(ask("127.0.0.7", "casino.example.", Type.A, "10.1.2.0/24")))
                .containsExactly(BLOCK_PAGE);
        // The same option from anyone else is ignored: the source address decides (default).
        assertThat(answers(ask("127.0.0.8", "casino.example.", Type.A, "10.1.2.0/24")))
                .containsExactly("192.0.2.66");
        // The trusted forwarder's own queries without ECS: default.
        assertThat(answers(ask("127.0.0.7", "casino.example.", Type.A, null))).containsExactly("192.0.2.66");
    }

    @Test
    void safeSearch_isTheCnameAndTheTargetsAddresses_andNeverLeaksThroughTheCache() throws Exception {
        Profile def = enforcing("default").build(0);
        Profile.Builder b = enforcing("school");
        SafeSearch.apply(b, true, SafeSearch.YouTube.STRICT);
        Profile school = b.build(1);
        resolver.profiles(
                new ClientGroups(List.of(def, school), List.of(group("students", school, "127.0.0.2/32")), List.of()),
                ZoneOffset.UTC);

        for (int round = 0; round < 2; round++) { // the second round is answered from the cache
            Message safe = ask("127.0.0.2", "www.google.com.");
            assertThat(safe.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(safe.getSection(Section.ANSWER)).hasSize(2);
            assertThat(safe.getSection(Section.ANSWER).get(0).getType()).isEqualTo(Type.CNAME);
            assertThat(safe.getSection(Section.ANSWER).get(0).getName().toString())
                    .isEqualTo("www.google.com.");
            assertThat(answers(safe)).containsExactly("forcesafesearch.google.com.", "216.239.38.120");
            assertThat(safe.getSection(Section.ANSWER).get(1).getName().toString())
                    .isEqualTo("forcesafesearch.google.com.");
            Message plain = ask("127.0.0.3", "www.google.com.");
            assertThat(answers(plain)).as("another profile, round " + round).containsExactly("192.0.2.1");
        }
        Message six = ask("127.0.0.2", "www.google.com.", Type.AAAA, null);
        assertThat(answers(six)).containsExactly("forcesafesearch.google.com.", "2001:4860:4802:32:0:0:0:78");
        assertThat(answers(ask("127.0.0.2", "www.youtube.com.")))
                .containsExactly("restrict.youtube.com.", "216.239.38.119");
        assertThat(answers(ask("127.0.0.3", "www.youtube.com."))).containsExactly("192.0.2.2");
        // Other Google names are not search: untouched.
        assertThat(answers(ask("127.0.0.2", "www.example.com."))).containsExactly("192.0.2.10");
    }

    @Test
    void rpzCnameAction_isFollowedByTheTargetsRecords() throws Exception {
        names.put("garden.example.com.", new Verdict(PolicyAction.CNAME, "scam", "rpz", 15, "walled.example.com."));
        Message m = ask("127.0.0.1", "garden.example.com.");
        assertThat(answers(m)).containsExactly("walled.example.com.", "192.0.2.99");
        assertThat(answers(ask("127.0.0.1", "garden.example.com.")))
                .containsExactly("walled.example.com.", "192.0.2.99");
    }

    @Test
    void cachedAnswers_areCheckedAgainAfterAListChange_forCnameTargetAddressAndName() throws Exception {
        assertThat(answers(ask("127.0.0.1", "cloaked.example.com.")))
                .containsExactly("tracker.adnet.example.", "198.51.100.7");
        assertThat(answers(ask("127.0.0.1", "moved.example.com."))).containsExactly("203.0.113.9");
        assertThat(answers(ask("127.0.0.1", "www.example.com."))).containsExactly("192.0.2.10");
        int asked = upstream.queries();

        // Triggers added while those answers sit in the cache (TTL 300 s).
        names.put("tracker.adnet.example.", listed("scam"));
        addresses.put("203.0.113.9", listed("scam"));
        names.put("www.example.com.", listed("scam"));
        version.incrementAndGet();

        assertThat(answers(ask("127.0.0.1", "cloaked.example.com.")))
                .as("CNAME target")
                .containsExactly(BLOCK_PAGE);
        assertThat(answers(ask("127.0.0.1", "moved.example.com.")))
                .as("response IP")
                .containsExactly(BLOCK_PAGE);
        assertThat(answers(ask("127.0.0.1", "www.example.com."))).as("QNAME").containsExactly(BLOCK_PAGE);
        assertThat(upstream.queries()).as("all from the cache").isEqualTo(asked);

        // Removed again: the cached answers are good again, still without asking the upstream.
        names.clear();
        addresses.clear();
        version.incrementAndGet();
        assertThat(answers(ask("127.0.0.1", "cloaked.example.com.")))
                .containsExactly("tracker.adnet.example.", "198.51.100.7");
        assertThat(upstream.queries()).isEqualTo(asked);
    }

    @Test
    void cachedAnswers_areCheckedPerProfile() throws Exception {
        Profile def = enforcing("default", "scam").build(0);
        Profile adultFree = enforcing("family", "scam", "adult").build(1);
        resolver.profiles(
                new ClientGroups(
                        List.of(def, adultFree), List.of(group("family", adultFree, "127.0.0.4/32")), List.of()),
                ZoneOffset.UTC);
        names.put("tracker.adnet.example.", listed("adult"));
        version.incrementAndGet();
        // Cached by a default client first; the family client gets it blocked from the same entry.
        assertThat(answers(ask("127.0.0.1", "cloaked.example.com.")))
                .containsExactly("tracker.adnet.example.", "198.51.100.7");
        assertThat(answers(ask("127.0.0.4", "cloaked.example.com."))).containsExactly(BLOCK_PAGE);
        assertThat(answers(ask("127.0.0.1", "cloaked.example.com.")))
                .containsExactly("tracker.adnet.example.", "198.51.100.7");
        // A profile reload re-checks too: family no longer enforces adult.
        resolver.profiles(
                new ClientGroups(
                        List.of(def, enforcing("family", "scam").build(1)),
                        List.of(group("family", enforcing("family", "scam").build(1), "127.0.0.4/32")),
                        List.of()),
                ZoneOffset.UTC);
        assertThat(answers(ask("127.0.0.4", "cloaked.example.com.")))
                .containsExactly("tracker.adnet.example.", "198.51.100.7");
    }

    @Test
    void schedules_blockInsideTheWindowOnly_atTheBoundariesAndAcrossMidnight() throws Exception {
        Profile def = enforcing("default").build(0);
        Profile.Builder b = enforcing("school");
        long tiktok = b.service("tiktok", List.of("tiktok.com"), false);
        int weekdays = Schedule.daysMask(
                Set.of(DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY, DayOfWeek.FRIDAY));
        b.schedule(new Schedule("lessons", weekdays, 7 * 60, 16 * 60 + 30, tiktok, 0));
        b.schedule(new Schedule("night", Schedule.daysMask(Set.of(DayOfWeek.SUNDAY)), 22 * 60, 6 * 60, tiktok, 0));
        Profile school = b.build(1);
        ZoneId vietnam = ZoneId.of("Asia/Ho_Chi_Minh"); // UTC+7
        resolver.profiles(
                new ClientGroups(List.of(def, school), List.of(group("students", school, "127.0.0.2/32")), List.of()),
                vietnam);

        record At(String local, boolean blocked) {}
        List<At> cases = List.of(
                new At("2026-12-07T06:59", false), // Monday, before lessons
                new At("2026-12-07T07:00", true), // first minute
                new At("2026-12-07T12:00", true),
                new At("2026-12-07T16:29", true), // last minute
                new At("2026-12-07T16:30", false), // window closed
                new At("2026-12-12T10:00", false), // Saturday
                new At("2026-12-13T21:59", false), // Sunday evening, before the night window
                new At("2026-12-13T22:00", true), // Sunday night
                new At("2026-12-14T05:59", true), // Monday morning, still Sunday's night window
                new At("2026-12-14T06:00", false)); // the night window closed; lessons not yet
        for (At at : cases) {
            long millis =
                    LocalDateTime.parse(at.local()).atZone(vietnam).toInstant().toEpochMilli();
            clock.advance(Duration.ofMillis(millis - clock.getAsLong()));
            Message m = ask("127.0.0.2", "tiktok.com.");
            if (at.blocked()) {
                assertThat(answers(m)).as(at.local()).containsExactly(BLOCK_PAGE);
                assertThat(edeText(m)).as(at.local()).contains("schedule").contains("tiktok");
            } else {
                assertThat(answers(m)).as(at.local()).containsExactly("192.0.2.77");
            }
            assertThat(answers(ask("127.0.0.3", "tiktok.com.")))
                    .as("default at " + at.local())
                    .containsExactly("192.0.2.77");
            // A name that leads into the service, answered from the cache a minute later, follows
            // the schedule too (06:59 clean and cached, 07:00 blocked from the same entry).
            List<String> chain = answers(ask("127.0.0.2", "clips.example.com."));
            if (at.blocked()) {
                assertThat(chain).as("chain at " + at.local()).containsExactly(BLOCK_PAGE);
            } else {
                assertThat(chain).as("chain at " + at.local()).containsExactly("tiktok.com.", "192.0.2.77");
            }
        }
    }
}
