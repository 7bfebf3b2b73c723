package org.safenet.dns.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.resolver.dnssec.TrustAnchors;
import org.safenet.dns.resolver.dnssec.Validation;
import org.safenet.dns.resolver.recursion.ColdResolution;
import org.safenet.dns.resolver.recursion.IterativeResolver;
import org.safenet.dns.resolver.recursion.RecursionSettings;
import org.safenet.dns.resolver.recursion.RootHints;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.DnstapFrames;
import org.safenet.dns.testkit.KnotHierarchy;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Recursive mode with DNSSEC validation against a loopback hierarchy of real Knot DNS servers
 * ({@link KnotHierarchy}): a root, {@code test.}, and children signed with NSEC, NSEC3, unsigned,
 * with a broken signature and with expired signatures. The resolver starts from that root's hints
 * and trusts only that root's key.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecursionTest {
    @TempDir
    static Path dir;

    private static KnotHierarchy hierarchy;
    private static final List<AutoCloseable> closeAfter = new ArrayList<>();
    private static DnsProbe validating;
    private static DnsProbe withNegativeAnchor;
    private static IterativeResolver iterator;

    @BeforeAll
    static void start() throws Exception {
        hierarchy = KnotHierarchy.start(dir);
        validating = start(List.of());
        withNegativeAnchor = start(List.of("bogus.test", "expired.test."));
    }

    private static DnsProbe start(List<String> negativeAnchors) throws Exception {
        Resolver r = new Resolver(
                ResolverTests.settings(ResolverTests.upstream("127.0.0.1:9"), ResolverTests.defaultAccess(), 100),
                new SimpleMeterRegistry(),
                System::currentTimeMillis);
        closeAfter.add(r);
        RecursionSettings settings =
                RecursionSettings.defaults(RootHints.read(hierarchy.rootHints()), Duration.ofMillis(1500));
        IterativeResolver it = new IterativeResolver(settings, System::currentTimeMillis, hierarchy.port());
        if (iterator == null) {
            iterator = it;
        }
        Validation v = new Validation(it, TrustAnchors.of(List.of(hierarchy.rootAnchor())), negativeAnchors);
        ColdResolution cold = new ColdResolution(it, v, r.cache(), System::currentTimeMillis, 1000, Duration.ZERO);
        closeAfter.add(cold::close);
        r.missResolver(cold);
        r.start();
        return new DnsProbe(r.boundAddresses().getFirst());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : closeAfter.reversed()) {
            c.close();
        }
        if (hierarchy != null) {
            hierarchy.close();
        }
    }

    /** A query with DO (and so AD asked for), or with CD too. */
    private static Message ask(DnsProbe probe, String name, int type, boolean cd) throws IOException {
        Message q = DnsProbe.query(name + ".", type, 0);
        q.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        if (cd) {
            q.getHeader().setFlag(Flags.CD);
        }
        return probe.udp(q);
    }

    private static List<String> answers(Message m, int type) {
        return m.getSection(Section.ANSWER).stream()
                .filter(r -> r.getType() == type)
                .map(r -> r.rdataToString())
                .toList();
    }

    private static @Nullable ExtendedErrorCodeOption ede(Message m) {
        OPTRecord opt = m.getOPT();
        if (opt == null) {
            return null;
        }
        for (EDNSOption o : opt.getOptions()) {
            if (o instanceof ExtendedErrorCodeOption e) {
                return e;
            }
        }
        return null;
    }

    @Test
    void aSignedZoneIsSecure_withNsecAndNsec3_positiveAndNegative() throws Exception {
        Message nsec = ask(validating, "www.secure.test", Type.A, false);
        assertThat(nsec.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answers(nsec, Type.A)).containsExactly("192.0.2.1");
        assertThat(nsec.getHeader().getFlag(Flags.AD))
                .as("AD on a validated answer")
                .isTrue();
        assertThat(answers(nsec, Type.RRSIG))
                .as("DO: the signatures come along")
                .isNotEmpty();

        Message nsec3 = ask(validating, "www.nsec3.test", Type.A, false);
        assertThat(answers(nsec3, Type.A)).containsExactly("192.0.2.2");
        assertThat(nsec3.getHeader().getFlag(Flags.AD)).isTrue();

        for (String missing : List.of("nothere.secure.test", "nothere.nsec3.test")) {
            Message nx = ask(validating, missing, Type.A, false);
            assertThat(nx.getRcode()).as(missing).isEqualTo(Rcode.NXDOMAIN);
            assertThat(nx.getHeader().getFlag(Flags.AD))
                    .as(missing + ": a validated denial")
                    .isTrue();
        }
        Message nodata = ask(validating, "www.nsec3.test", Type.AAAA, false);
        assertThat(nodata.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(nodata.getSection(Section.ANSWER)).isEmpty();
        assertThat(nodata.getHeader().getFlag(Flags.AD))
                .as("NODATA proven by NSEC3")
                .isTrue();
    }

    @Test
    void aWildcardAnswerIsValidated_withItsNsecOrNsec3Proof() throws Exception {
        for (String zone : List.of("secure.test", "nsec3.test")) {
            Message m = ask(validating, "a.b.wild." + zone, Type.A, false);
            assertThat(m.getRcode()).as(zone).isEqualTo(Rcode.NOERROR);
            assertThat(answers(m, Type.A)).as(zone).containsExactly("192.0.2.9");
            assertThat(m.getHeader().getFlag(Flags.AD))
                    .as(zone + ": expanded from a wildcard, proven by the denial of a.b.wild")
                    .isTrue();
        }
    }

    @Test
    void theValidatedKeysAreCached_aNewNameInAKnownZoneCostsNoKeyLookups() throws Exception {
        ask(validating, "first.wild.secure.test", Type.A, false);
        long before = iterator.queriesSent();
        Message m = ask(validating, "second.wild.secure.test", Type.A, false);
        assertThat(m.getHeader().getFlag(Flags.AD)).isTrue();
        // One query, for the name itself: no DS or DNSKEY again, whatever letter case 0x20 gave the
        // names the keys came under, and wild.secure.test is known not to be a zone cut (the
        // minimised query for it was answered the first time).
        assertThat(iterator.queriesSent() - before).isEqualTo(1);
    }

    @Test
    void aCnameChainAcrossZonesIsFollowedAndValidated() throws Exception {
        Message m = ask(validating, "alias.secure.test", Type.A, false);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answers(m, Type.CNAME)).containsExactly("www.nsec3.test.");
        assertThat(answers(m, Type.A)).containsExactly("192.0.2.2");
        assertThat(m.getHeader().getFlag(Flags.AD)).isTrue();
    }

    @Test
    void anUnsignedDelegationIsInsecure_answeredWithoutAd() throws Exception {
        Message m = ask(validating, "www.unsigned.test", Type.A, false);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answers(m, Type.A)).containsExactly("192.0.2.3");
        assertThat(m.getHeader().getFlag(Flags.AD)).isFalse();
    }

    @Test
    void aBrokenSignatureIsBogus_servfailWithEde6() throws Exception {
        Message m = ask(validating, "www.bogus.test", Type.A, false);
        assertThat(m.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        ExtendedErrorCodeOption e = ede(m);
        assertThat(e).isNotNull();
        assertThat(e.getErrorCode()).isEqualTo(ExtendedErrorCodeOption.DNSSEC_BOGUS);
    }

    @Test
    void expiredSignaturesAreBogus_servfailWithEde7() throws Exception {
        Message m = ask(validating, "www.expired.test", Type.A, false);
        assertThat(m.getRcode()).isEqualTo(Rcode.SERVFAIL);
        ExtendedErrorCodeOption e = ede(m);
        assertThat(e).isNotNull();
        assertThat(e.getErrorCode()).as(e.getText()).isEqualTo(ExtendedErrorCodeOption.SIGNATURE_EXPIRED);
    }

    @Test
    void checkingDisabledGetsTheDataOfABogusZone() throws Exception {
        Message m = ask(validating, "www.bogus.test", Type.A, true);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answers(m, Type.A)).containsExactly("192.0.2.4");
        assertThat(m.getHeader().getFlag(Flags.AD)).isFalse();
    }

    @Test
    void aNegativeTrustAnchorLetsABrokenZoneThrough_withoutAd() throws Exception {
        for (String name : List.of("www.bogus.test", "www.expired.test")) {
            Message m = ask(withNegativeAnchor, name, Type.A, false);
            assertThat(m.getRcode()).as(name).isEqualTo(Rcode.NOERROR);
            assertThat(m.getHeader().getFlag(Flags.AD)).as(name).isFalse();
        }
        Message secure = ask(withNegativeAnchor, "www.secure.test", Type.A, false);
        assertThat(secure.getHeader().getFlag(Flags.AD))
                .as("validation goes on elsewhere")
                .isTrue();
    }

    @Test
    void aValidatedAnswerIsCached() throws Exception {
        ask(validating, "www.secure.test", Type.AAAA, false);
        long sent = iterator.queriesSent();
        Message again = ask(validating, "www.secure.test", Type.AAAA, false);
        assertThat(iterator.queriesSent()).as("answered from the cache").isEqualTo(sent);
        assertThat(again.getHeader().getFlag(Flags.AD)).isTrue();
    }

    @Test
    void aDelegationToManyGluelessServersCostsAFewLookups_nxnsAttack() throws Exception {
        long before = iterator.queriesSent();
        Message m = ask(validating, "www.nxns.test", Type.A, false);
        assertThat(m.getRcode()).isEqualTo(Rcode.SERVFAIL);
        ExtendedErrorCodeOption e = ede(m);
        assertThat(e).isNotNull();
        assertThat(e.getErrorCode()).as(e.getText()).isEqualTo(22); // No Reachable Authority
        // Without the bound every one of the 30 server names would be looked up (two queries or
        // more each); with it, at most 5 names within the per-question budget.
        assertThat(iterator.queriesSent() - before)
                .isLessThanOrEqualTo(RecursionSettings.defaults(RootHints.builtIn(), Duration.ofSeconds(1))
                        .maxQueries());
    }

    /** Last: stops the hierarchy to read the servers' query logs (Knot writes them whole at its stop). */
    @Test
    @Order(Integer.MAX_VALUE)
    void theServersHeardMinimisedMixedCaseQueriesWithCookies_andFewNxnsLookups() throws Exception {
        ask(validating, "deep.name.www.secure.test", Type.A, false);
        ask(validating, "www.nxns.test", Type.A, false);
        hierarchy.close();

        List<Message> atRoot = queriesAt(KnotHierarchy.ROOT_ADDRESS);
        assertThat(atRoot).isNotEmpty();
        for (Message q : atRoot) {
            assertThat(q.getQuestion().getName().labels())
                    .as("the root only hears the next label: " + q.getQuestion())
                    .isLessThanOrEqualTo(2);
        }
        List<Message> atLeaf = queriesAt(KnotHierarchy.LEAF_ADDRESS);
        assertThat(atLeaf.stream().map(q -> q.getQuestion().getName().toString().toLowerCase()))
                .as("the leaf is asked name.www.secure.test before the full name (RFC 9156)")
                .contains("name.www.secure.test.", "deep.name.www.secure.test.");
        List<Message> all = new ArrayList<>(atRoot);
        all.addAll(atLeaf);
        assertThat(all).as("0x20: some names go out in mixed case").anyMatch(q -> {
            String n = q.getQuestion().getName().toString();
            return !n.equals(n.toLowerCase()) && !n.equals(n.toUpperCase());
        });
        assertThat(all)
                .as("every query carries our client cookie")
                .allMatch(q -> q.getOPT() != null
                        && q.getOPT().getOptions().stream().anyMatch(o -> o instanceof CookieOption));

        long victimNames = queriesAt(KnotHierarchy.TLD_ADDRESS).stream()
                .map(q -> q.getQuestion().getName().toString().toLowerCase())
                .filter(n -> n.matches("ns[0-9]+\\.victim\\.test\\."))
                .distinct()
                .count();
        assertThat(victimNames).as("server names of nxns.test looked up").isBetween(1L, 5L);
    }

    /** The resolver's queries the server at {@code address} logged (dnstap), read after the hierarchy stopped. */
    private static List<Message> queriesAt(String address) throws IOException {
        List<Message> out = new ArrayList<>();
        for (byte[] frame : DnstapFrames.read(hierarchy.queryLog(address))) {
            UnknownFieldSet tap = UnknownFieldSet.parseFrom(frame);
            UnknownFieldSet message = UnknownFieldSet.parseFrom(
                    tap.getField(14).getLengthDelimitedList().getFirst());
            List<ByteString> query = message.getField(10).getLengthDelimitedList();
            if (!query.isEmpty()) {
                Message m = new Message(query.getFirst().toByteArray());
                if (!m.getHeader().getFlag(Flags.RD)) { // the resolver's, not the hierarchy's own probes
                    out.add(m);
                }
            }
        }
        return out;
    }
}
