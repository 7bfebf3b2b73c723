package org.safenet.dns.resolver.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;

class ClientGroupsTest {
    private final Profile def = Profile.builder("default").build(0);
    private final Profile a = Profile.builder("a").build(1);
    private final Profile b = Profile.builder("b").build(2);
    private final ParsedQuery q = ParsedQuery.forName(DnsNames.toWire("example.com"));

    private ClientGroups groups(ClientGroups.Group... gs) {
        return new ClientGroups(List.of(def, a, b), List.of(gs), List.of());
    }

    private static ClientGroups.Group group(
            String name, Profile p, List<String> match, List<InetSocketAddress> listen) {
        return new ClientGroups.Group(
                name, match.stream().map(CidrPrefix::parse).toList(), listen, p);
    }

    private String profile(ClientGroups g, String client, InetSocketAddress local) throws Exception {
        return g.profileFor(InetAddress.getByName(client), local, q).name();
    }

    @Test
    void ipv6Prefixes_mostSpecificWins_andIpv4MappedIsIpv4() throws Exception {
        ClientGroups g = groups(
                group("wide", a, List.of("fd00:1::/48", "10.0.0.0/8"), List.of()),
                group("narrow", b, List.of("fd00:1:0:5::/64", "10.1.0.0/16"), List.of()));
        InetSocketAddress local = new InetSocketAddress("::1", 53);
        assertThat(profile(g, "fd00:1::7", local)).isEqualTo("a");
        assertThat(profile(g, "fd00:1:0:5::7", local)).isEqualTo("b");
        assertThat(profile(g, "fd00:2::7", local)).isEqualTo("default");
        assertThat(profile(g, "::ffff:10.1.2.3", local)).isEqualTo("b");
        assertThat(profile(g, "10.2.0.1", local)).isEqualTo("a");
    }

    @Test
    void listenAndPrefix_bothMustMatch_andListenOnlyLosesToAnyPrefix() throws Exception {
        InetSocketAddress staffResolver = new InetSocketAddress("10.0.0.53", 53);
        InetSocketAddress other = new InetSocketAddress("10.0.0.54", 53);
        ClientGroups g = groups(
                group("staff", a, List.of(), List.of(staffResolver)),
                group("students", b, List.of("10.1.0.0/16"), List.of()));
        assertThat(profile(g, "10.9.9.9", staffResolver)).isEqualTo("a");
        assertThat(profile(g, "10.9.9.9", other)).isEqualTo("default");
        assertThat(profile(g, "10.1.2.3", staffResolver))
                .as("a student stays a student")
                .isEqualTo("b");
        ClientGroups both = groups(group("lab", a, List.of("10.2.0.0/16"), List.of(staffResolver)));
        assertThat(profile(both, "10.2.0.1", staffResolver)).isEqualTo("a");
        assertThat(profile(both, "10.2.0.1", other)).isEqualTo("default");
    }

    @Test
    void aGroupMatchingNothing_orNoDefaultProfile_isRefused() {
        assertThatThrownBy(() -> group("x", a, List.of(), List.of())).hasMessageContaining("matches nothing");
        assertThatThrownBy(() -> new ClientGroups(List.of(a), List.of(), List.of()))
                .hasMessageContaining("default profile is missing");
    }

    @Test
    void domainSet_subtreeAndExactEntries_mostSpecificWins() {
        DomainSet s = new DomainSet.Builder()
                .add("example.com", 1)
                .add("deep.www.example.com", 2)
                .addExact("google.com", 3)
                .build();
        assertThat(s.lookup(ParsedQuery.forName(DnsNames.toWire("example.com"))))
                .isEqualTo(1);
        assertThat(s.lookup(ParsedQuery.forName(DnsNames.toWire("a.b.example.com"))))
                .isEqualTo(1);
        assertThat(s.lookup(ParsedQuery.forName(DnsNames.toWire("x.deep.www.example.com"))))
                .isEqualTo(2);
        assertThat(s.lookup(ParsedQuery.forName(DnsNames.toWire("google.com")))).isEqualTo(3);
        assertThat(s.lookup(ParsedQuery.forName(DnsNames.toWire("mail.google.com"))))
                .as("an exact entry does not cover the names below it")
                .isEqualTo(DomainSet.NONE);
        assertThat(s.lookup(ParsedQuery.forName(DnsNames.toWire("notexample.com"))))
                .isEqualTo(DomainSet.NONE);
        assertThatThrownBy(() -> new DomainSet.Builder().add(".", 0)).hasMessageContaining("root");
    }

    @Test
    void schedule_parsesTimesAndRefusesNonsense() {
        assertThat(Schedule.minuteOfDay("07:30")).isEqualTo(450);
        assertThat(Schedule.minuteOfDay("24:00")).isEqualTo(1440);
        assertThatThrownBy(() -> Schedule.minuteOfDay("7h30")).hasMessageContaining("HH:MM");
        assertThatThrownBy(() -> Schedule.minuteOfDay("24:30")).hasMessageContaining("between 00:00 and 24:00");
        assertThatThrownBy(() -> new Schedule("x", 0, 0, 60, 0, 0)).hasMessageContaining("no days");
    }

    @Test
    void weekClock_countsMinutesFromMondayInTheZone() {
        // 2026-12-06 17:00 UTC is Monday 2026-12-07 00:00 in Vietnam (UTC+7).
        long millis = java.time.Instant.parse("2026-12-06T17:00:00Z").toEpochMilli();
        WeekClock vn = new WeekClock(java.time.ZoneId.of("Asia/Ho_Chi_Minh"), () -> millis);
        assertThat(vn.minuteOfWeek()).isZero();
        WeekClock utc = new WeekClock(java.time.ZoneOffset.UTC, () -> millis);
        assertThat(utc.minuteOfWeek()).isEqualTo(6 * 1440 + 17 * 60); // Sunday 17:00
    }
}
