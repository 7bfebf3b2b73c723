package org.safenet.dns.blocklist.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.index.BlocklistPolicy;
import org.safenet.dns.blocklist.index.IndexLoader;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.resolver.policy.LocalRecord;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.resolver.wire.ParsedQuery;
import org.safenet.dns.testkit.SharedData;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;
import org.xbill.DNS.Type;

/** Imports into a real RocksDB in a temporary directory. */
class ListImporterComponentTest {
    @TempDir
    Path dir;

    private final Categories categories = Categories.of(Map.of("scam", "sinkhole", "phishing", "nxdomain"));

    private Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private ListImporter.Result importInto(
            BlocklistStore s, ListFormat f, String source, boolean replace, Path... files) throws Exception {
        return new ListImporter(s, List.of("gov.vn"), () -> 1_700_000_000_000L)
                .importFiles(f, "scam", source, replace, List.of(files));
    }

    @Test
    void reimport_countsUnchanged_andReplaceRemovesWhatIsGone() throws Exception {
        Path v1 = file("v1.txt", "a.example\nb.example\nc.example\n");
        Path v2 = file("v2.txt", "b.example\nc.example\nd.example\n");
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result first = importInto(s, ListFormat.DOMAINS, "feed", false, v1);
            assertThat(first.added()).isEqualTo(3);
            assertThat(first.version()).isEqualTo(1);
            ListImporter.Result same = importInto(s, ListFormat.DOMAINS, "feed", false, v1);
            assertThat(same.unchanged()).isEqualTo(3);
            assertThat(same.version()).as("no change, no new version").isEqualTo(1);
            ListImporter.Result replaced = importInto(s, ListFormat.DOMAINS, "feed", true, v2);
            assertThat(replaced.added()).isEqualTo(1);
            assertThat(replaced.unchanged()).isEqualTo(2);
            assertThat(replaced.removed()).isEqualTo(1);
            assertThat(Explainer.explain(s, categories, "x.a.example").blocked())
                    .isFalse();
            assertThat(Explainer.explain(s, categories, "x.d.example").blocked())
                    .isTrue();
        }
    }

    @Test
    void replace_leavesOtherSourcesAlone() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            importInto(s, ListFormat.DOMAINS, "national", false, file("n.txt", "n.example\n"));
            importInto(s, ListFormat.DOMAINS, "local", true, file("l.txt", "l.example\n"));
            assertThat(Explainer.explain(s, categories, "n.example").blocked()).isTrue();
        }
    }

    @Test
    void protectedDomainsAndPublicSuffixes_areRefusedAndReported() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result r = importInto(
                    s,
                    ListFormat.DOMAINS,
                    "feed",
                    false,
                    file("l.txt", "dichvucong.gov.vn\ngov.vn\nco.uk\nblogspot.com\nreal-scam.example\n"));
            assertThat(r.added()).isEqualTo(1);
            assertThat(r.rejectedCount()).isEqualTo(4);
            assertThat(r.rejected())
                    .anySatisfy(x -> assertThat(x).contains("dichvucong.gov.vn").contains("protected domain gov.vn"));
            assertThat(r.rejected())
                    .anySatisfy(x -> assertThat(x).contains("co.uk").contains("public suffix"));
        }
    }

    @Test
    void namesUnderAPrivateWildcardSuffix_areSitesAndImported() throws Exception {
        // Real entries of the phishing lists (blocked-domains-1m): tunnel hosts under "*.localto.net".
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result r = importInto(
                    s,
                    ListFormat.DOMAINS,
                    "feed",
                    false,
                    file("l.txt", "0cfijurk6.localto.net\nlocalto.net\ngithub.io\nsomeone.github.io\nco.ck\n"));
            assertThat(r.added()).as("the tunnel host and the github.io site").isEqualTo(2);
            assertThat(r.rejected())
                    .anySatisfy(x -> assertThat(x).contains("github.io.:").contains("public suffix"))
                    .anySatisfy(x -> assertThat(x).contains("co.ck").contains("public suffix"))
                    .anySatisfy(x -> assertThat(x).contains("localto.net.:").contains("*.localto.net"))
                    .noneSatisfy(x -> assertThat(x).contains("0cfijurk6"));
            assertThat(Explainer.explain(s, categories, "login.0cfijurk6.localto.net")
                            .blocked())
                    .isTrue();
        }
    }

    @Test
    void fileWithNothingValid_isAnErrorAndChangesNothing() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            Path good = file("good.txt", "ok.example\n");
            Path bad = file("bad.txt", "http://x/y\n1.2.3.4\n");
            assertThatThrownBy(() -> importInto(s, ListFormat.DOMAINS, "feed", false, good, bad))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("no valid entry")
                    .hasMessageContaining("nothing was imported");
            assertThat(s.listVersion()).isZero();
        }
    }

    @Test
    void compressedFiles_areReadByTheirMagicBytes() throws Exception {
        byte[] text = "gz.example\n".getBytes(StandardCharsets.UTF_8);
        Path gz = dir.resolve("list.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(text);
        }
        Path xz = dir.resolve("list.xz");
        try (OutputStream out = new XZOutputStream(Files.newOutputStream(xz), new LZMA2Options())) {
            out.write("xz.example\n".getBytes(StandardCharsets.UTF_8));
        }
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result r = importInto(s, ListFormat.DOMAINS, "feed", false, gz, xz);
            assertThat(r.added()).isEqualTo(2);
        }
    }

    @Test
    void rpzIpTriggers_areStoredAndLoaded() throws Exception {
        Path rpz = file("ip.rpz", """
                32.7.100.51.198.rpz-ip CNAME .
                24.0.100.51.198.rpz-ip CNAME rpz-passthru.
                bad.example CNAME .
                """);
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result r = importInto(s, ListFormat.RPZ, "ipfeed", false, rpz);
            assertThat(r.added()).isEqualTo(3);
            org.safenet.dns.blocklist.index.IndexLoader.LoadResult loaded =
                    new org.safenet.dns.blocklist.index.IndexLoader(categories::actionFor, () -> 0).load(s);
            org.safenet.dns.blocklist.index.BlocklistPolicy p =
                    new org.safenet.dns.blocklist.index.BlocklistPolicy(loaded.snapshot());
            assertThat(p.decideAddress(new byte[] {(byte) 198, 51, 100, 7}).action())
                    .isEqualTo(PolicyAction.NXDOMAIN);
            assertThat(p.decideAddress(new byte[] {(byte) 198, 51, 100, 9}).action())
                    .isEqualTo(PolicyAction.PASSTHRU);
            assertThat(p.decideAddress(new byte[] {(byte) 192, 0, 2, 1})).isNull();
            // --replace without the IP lines removes them.
            ListImporter.Result replaced =
                    importInto(s, ListFormat.RPZ, "ipfeed", true, file("ip2.rpz", "bad.example CNAME .\n"));
            assertThat(replaced.removed()).isEqualTo(2);
        }
    }

    @Test
    void rpzLocalData_severalRecordsForOneName_becomeOneSinkholeWithThoseAddresses() throws Exception {
        Path rpz = file("local.rpz", """
                walled.example A 192.0.2.55
                walled.example AAAA 2001:db8::55
                slow.example CNAME rpz-tcp-only.
                """);
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result r = importInto(s, ListFormat.RPZ, "walled", false, rpz);
            assertThat(r.added()).isEqualTo(2);
            org.safenet.dns.blocklist.index.BlocklistPolicy p = new org.safenet.dns.blocklist.index.BlocklistPolicy(
                    new org.safenet.dns.blocklist.index.IndexLoader(categories::actionFor, () -> 0)
                            .load(s)
                            .snapshot());
            org.safenet.dns.resolver.wire.ParsedQuery q = org.safenet.dns.resolver.wire.ParsedQuery.forName(
                    org.safenet.dns.resolver.wire.DnsNames.toWire("walled.example"));
            org.safenet.dns.resolver.policy.Verdict v = p.decide(q);
            assertThat(v.action()).isEqualTo(PolicyAction.SINKHOLE);
            io.netty.buffer.ByteBuf out = io.netty.buffer.Unpooled.buffer();
            try {
                new org.safenet.dns.resolver.policy.PolicyAnswers(
                                org.safenet.dns.resolver.policy.SinkholeSettings.defaults(), 1232)
                        .write(out, q, v);
                org.xbill.DNS.Message m = new org.xbill.DNS.Message(io.netty.buffer.ByteBufUtil.getBytes(out));
                assertThat(m.getSection(org.xbill.DNS.Section.ANSWER).getFirst().rdataToString())
                        .isEqualTo("192.0.2.55");
            } finally {
                out.release();
            }
            assertThat(p.decide(org.safenet.dns.resolver.wire.ParsedQuery.forName(
                                    org.safenet.dns.resolver.wire.DnsNames.toWire("slow.example")))
                            .action())
                    .isEqualTo(PolicyAction.TCP_ONLY);
        }
    }

    @Test
    void rpz_localDataOfEveryType_conflictsRefused_andIpTriggersOfBothKinds() throws Exception {
        Path rpz = file("policy.rpz", """
                $ORIGIN rpz.example.
                @ SOA ns.rpz.example. admin.rpz.example. 1 3600 600 86400 60
                  NS ns.rpz.example.
                garden.example TXT "you were redirected"
                garden.example MX 10 mail.garden.example.
                garden.example A 192.0.2.55
                garden.example A 192.0.2.55
                twice.example  CNAME .
                twice.example  CNAME .
                mixed.example  CNAME walled.example.
                mixed.example  A 192.0.2.56
                32.9.2.0.192.rpz-ip A 192.0.2.57
                24.0.2.0.198.rpz-client-ip CNAME rpz-passthru.
                """);
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result r = importInto(s, ListFormat.RPZ, "zone", false, rpz);
            assertThat(r.rejected())
                    .singleElement(STRING)
                    .startsWith("policy.rpz:11 mixed.example.: a second policy for the trigger of policy.rpz:10 (CNAME"
                            + " walled.example.)");
            assertThat(r.added())
                    .as("garden, twice, mixed, one rpz-ip, one rpz-client-ip")
                    .isEqualTo(5);
            BlocklistPolicy p = new BlocklistPolicy(
                    new IndexLoader(categories::actionFor, () -> 0).load(s).snapshot());
            Verdict garden = p.decide(ParsedQuery.forName(DnsNames.toWire("garden.example")));
            assertThat(garden.action()).isEqualTo(PolicyAction.SINKHOLE);
            assertThat(garden.localData()).extracting(LocalRecord::type).containsExactly(Type.TXT, Type.MX, Type.A);
            assertThat(p.decide(ParsedQuery.forName(DnsNames.toWire("mixed.example")))
                            .cnameTargetText())
                    .isEqualTo("walled.example.");
            Verdict ip = p.decideAddress(new byte[] {(byte) 192, 0, 2, 9});
            assertThat(ip.localData()).extracting(LocalRecord::type).containsExactly(Type.A);
            assertThat(p.decideAddress(new byte[] {(byte) 198, 0, 2, 9}))
                    .as("a client trigger is not an answer's")
                    .isNull();
            assertThat(p.hasClientRules()).isTrue();
            assertThat(p.decideClient(new byte[] {(byte) 198, 0, 2, 9}, -1).action())
                    .isEqualTo(PolicyAction.PASSTHRU);
            assertThat(p.decideClient(new byte[] {(byte) 198, 0, 3, 9}, -1)).isNull();
        }
    }

    @Test
    void publicSuffixTriggers_refusedByDefault_allowedPerSource_protectedAlways() throws Exception {
        Path rpz = file("tld.rpz", """
                zip       CNAME .
                *.zip     CNAME .
                intranet  CNAME .
                co.uk     CNAME .
                gov.vn    CNAME .
                bad.zip   CNAME .
                """);
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter importer = new ListImporter(s, List.of("gov.vn"), () -> 1_700_000_000_000L);
            ListImporter.Staged strict =
                    importer.stage(ListFormat.RPZ, "scam", "tld", SourceAction.LIST, List.of(rpz), false, false);
            assertThat(strict.block()).hasSize(1);
            assertThat(strict.rejected())
                    .hasSize(5)
                    .anySatisfy(r -> assertThat(r).contains("co.uk.: a public suffix"))
                    .anySatisfy(r -> assertThat(r).contains("zip.: a single label"))
                    .anySatisfy(r -> assertThat(r).contains("intranet.: a single label"))
                    .anySatisfy(r -> assertThat(r).contains("gov.vn.: protected domain"));
            assertThat(strict.publicSuffixTriggers()).isZero();
            ListImporter.Staged allowed =
                    importer.stage(ListFormat.RPZ, "scam", "tld", SourceAction.LIST, List.of(rpz), false, true);
            assertThat(allowed.publicSuffixTriggers())
                    .as("zip, *.zip, intranet, co.uk")
                    .isEqualTo(4);
            assertThat(allowed.rejected()).singleElement(STRING).contains("gov.vn.: protected domain");
            assertThat(allowed.block()).containsKey("zip/SUBTREE").containsKey("uk.co/EXACT");
        }
    }

    @Test
    void sourceAction_disabled_readsAndCountsButAppliesNothing() throws Exception {
        Path rpz = file("off.rpz", "a.example CNAME .\nb.example A 192.0.2.1\nbroken.example A x\n");
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Staged off = new ListImporter(s, List.of(), () -> 0L)
                    .stage(ListFormat.RPZ, "scam", "off", SourceAction.DISABLED, List.of(rpz));
            assertThat(off.size()).isZero();
            assertThat(off.reports().getFirst().entries()).isEqualTo(2);
            assertThat(off.invalid()).isEqualTo(1);
        }
    }

    @Test
    void realAdblockList_withExceptions_isExplained() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result r = importInto(
                    s,
                    ListFormat.ADBLOCK,
                    "hostsvn",
                    false,
                    SharedData.path("vn/hostsvn-threat-VN.adblock.txt"),
                    file("exceptions.txt", "@@||0088shop.com^\n"));
            // 4376 rules + 1 exception, but 3 names are listed twice, once in Unicode and once in
            // punycode (momovíđiệntửsố1.weebly.com and xn--momovints1-o8a64b3904adea8q.weebly.com):
            // stored in A-label form, each pair is one entry.
            assertThat(r.added()).as("%s", r).isEqualTo(4376 - 3 + 1);
            assertThat(r.rejectedCount()).isZero();
            Explainer.Explanation x = Explainer.explain(s, categories, "www.0088shop.com");
            assertThat(x.blocked()).as("the @@ exception wins").isFalse();
            assertThat(x.entry().action()).isEqualTo(org.safenet.dns.blocklist.format.ListEntry.Action.ALLOW);
            Explainer.Explanation y = Explainer.explain(s, categories, "0fb.co");
            assertThat(y.blocked()).isTrue();
            assertThat(y.action()).isEqualTo(PolicyAction.SINKHOLE);
        }
    }

    @Test
    void sameNameFromTwoSources_theHigherPrecedenceDecides_inTheIndexAndInExplain() throws Exception {
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            // Both list the same name; "national" says scam (sinkhole), "isp" says phishing (nxdomain).
            s.apply(new BlocklistStore.Changes()
                    .block(new org.safenet.dns.blocklist.store.StoredEntry(
                            "vn.vay-tien",
                            org.safenet.dns.blocklist.format.ListEntry.Match.SUBTREE,
                            org.safenet.dns.blocklist.format.ListEntry.Action.BLOCK,
                            "scam",
                            "national",
                            "",
                            1,
                            0,
                            null))
                    .block(new org.safenet.dns.blocklist.store.StoredEntry(
                            "vn.vay-tien",
                            org.safenet.dns.blocklist.format.ListEntry.Match.SUBTREE,
                            org.safenet.dns.blocklist.format.ListEntry.Action.BLOCK,
                            "phishing",
                            "isp",
                            "",
                            1,
                            0,
                            null)));
            for (int nationalFirst = 0; nationalFirst < 2; nationalFirst++) {
                boolean national = nationalFirst == 1;
                java.util.function.ToIntFunction<String> precedence =
                        source -> source.equals("national") == national ? 500 : 100;
                Explainer.Explanation x = Explainer.explain(s, categories, precedence, "www.vay-tien.vn");
                assertThat(x.entry().source()).isEqualTo(national ? "national" : "isp");
                assertThat(x.action()).isEqualTo(national ? PolicyAction.SINKHOLE : PolicyAction.NXDOMAIN);
                assertThat(x.notes()).singleElement().asString().contains("a source of lower or equal precedence");
                var loaded = new org.safenet.dns.blocklist.index.IndexLoader(categories::actionFor, () -> 0, precedence)
                        .load(s);
                assertThat(new org.safenet.dns.blocklist.index.BlocklistPolicy(loaded.snapshot())
                                .decide(org.safenet.dns.blocklist.index.PolicyProbe.query("www.vay-tien.vn"))
                                .action())
                        .as("the index agrees with explain")
                        .isEqualTo(x.action());
            }
        }
    }

    @Test
    void rpzFromASafeNetPrimary_keepsCategorySourceAndTheCategorysAction() throws Exception {
        // What a SafeNet DNS primary serves (RpzRecords): metadata first or anywhere, as an IXFR'd copy has it.
        Path rpz = file("primary.rpz", """
                $ORIGIN rpz.primary.test.
                @ SOA ns admin 7 300 60 86400 60
                @ NS ns
                phish.example CNAME .
                phish.example._safenet-meta TXT "category=phishing" "source=national" "action=block"
                sub.example._safenet-meta TXT "category=phishing" "source=school" "action=block"
                sub.example CNAME .
                *.sub.example CNAME .
                odd.example._safenet-meta TXT "category=astrology" "source=national"
                odd.example CNAME .
                plain.example CNAME .
                32.9.2.0.192.rpz-ip._safenet-meta TXT "category=phishing" "source=national" "action=block"
                32.9.2.0.192.rpz-ip CNAME .
                gone.example._safenet-meta TXT "category=scam" "source=national"
                bad.example._safenet-meta TXT "source=national"
                bad2.example._safenet-meta A 192.0.2.1
                """);
        try (BlocklistStore s = BlocklistStore.open(dir.resolve("store"))) {
            ListImporter.Result r = importInto(s, ListFormat.RPZ, "from-primary", false, rpz);
            assertThat(r.added())
                    .as("phish, the sub subtree, odd, plain, one rpz-ip")
                    .isEqualTo(5);
            assertThat(r.invalid())
                    .as("metadata without a category, metadata not TXT")
                    .isEqualTo(2);
            BlocklistPolicy p = new BlocklistPolicy(
                    new IndexLoader(categories::actionFor, () -> 0).load(s).snapshot());
            Verdict phish = p.decide(ParsedQuery.forName(DnsNames.toWire("phish.example")));
            assertThat(phish.category()).isEqualTo("phishing");
            assertThat(phish.action())
                    .as("the category's action here (phishing: nxdomain)")
                    .isEqualTo(PolicyAction.NXDOMAIN);
            assertThat(phish.source()).as("named in the EDE text").isEqualTo("national, list v1");
            Verdict sub = p.decide(ParsedQuery.forName(DnsNames.toWire("www.sub.example")));
            assertThat(sub.category())
                    .as("one record describes name and *.name")
                    .isEqualTo("phishing");
            assertThat(sub.source()).isEqualTo("school, list v1");
            Verdict odd = p.decide(ParsedQuery.forName(DnsNames.toWire("odd.example")));
            assertThat(odd.category())
                    .as("a category unknown here: the source's")
                    .isEqualTo("scam");
            assertThat(odd.action())
                    .as("no action=block: RPZ's NXDOMAIN as written")
                    .isEqualTo(PolicyAction.NXDOMAIN);
            Verdict plain = p.decide(ParsedQuery.forName(DnsNames.toWire("plain.example")));
            assertThat(plain.source())
                    .as("no metadata: the follower's own source")
                    .isEqualTo("from-primary, list v1");
            assertThat(p.decideAddress(new byte[] {(byte) 192, 0, 2, 9}).category())
                    .isEqualTo("phishing");
            assertThat(p.decide(ParsedQuery.forName(DnsNames.toWire("gone.example"))))
                    .isNull();
        }
    }
}
