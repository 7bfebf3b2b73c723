package org.safenet.dns.blocklist.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.resolver.wire.DnsNames;
import org.safenet.dns.testkit.SharedData;

/**
 * Parsers on the real lists in ../shared/data. The expected counts were taken independently with
 * grep/awk (commands in each test's comment), not from the parser.
 */
class ListParserTest {
    private final List<ListEntry> entries = new ArrayList<>();

    private ParseReport parseShared(ListFormat format, String file) throws IOException {
        Path p = SharedData.path(file);
        InputStream in = Files.newInputStream(p);
        if (file.endsWith(".gz")) {
            in = new GZIPInputStream(in);
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return ListParser.parse(format, r, file, entries::add);
        }
    }

    private ParseReport parse(ListFormat format, String text) throws IOException {
        return ListParser.parse(format, new BufferedReader(new StringReader(text)), "test", entries::add);
    }

    private static String name(ListEntry e) {
        byte[] n = e.name();
        return n == null ? "-" : DnsNames.toText(n, 0, n.length);
    }

    @Test
    void domains_hostsVnThreat_allValid() throws IOException {
        // grep -v '^\s*#' vn/hostsvn-threat.domains.txt | grep -c '\S'  -> 4966
        ParseReport r = parseShared(ListFormat.DOMAINS, "vn/hostsvn-threat.domains.txt");
        assertThat(r.entries()).isEqualTo(4966);
        assertThat(r.invalid()).isZero();
        assertThat(entries).allSatisfy(e -> assertThat(e.match()).isEqualTo(Match.SUBTREE));
    }

    @Test
    void domains_chongLuaDaoUrls_rejectsUrlsAndConvertsIdns() throws IOException {
        // awk classification of the 34468 data lines: 111 contain '/', ':' or '?' (URLs),
        // 10 are non-ASCII (IDNs, converted), 34347 plain names.
        ParseReport r = parseShared(ListFormat.DOMAINS, "vn/chongluadao-urls.txt");
        assertThat(r.entries()).isEqualTo(34347 + 10);
        assertThat(r.invalid()).isEqualTo(111);
        assertThat(r.invalidByReason()).containsOnlyKeys("a URL or address, not a domain name");
        assertThat(r.errors()).hasSize(100).allSatisfy(e -> assertThat(e.line()).isPositive());
        String aLabel = IDN.toASCII("cốccốc.vn") + ".";
        assertThat(entries).anySatisfy(e -> assertThat(name(e)).isEqualTo(aLabel));
    }

    @Test
    void hosts_hostsVnThreat_allValidAndExact() throws IOException {
        // grep -v '^\s*#' vn/hostsvn-threat-VN.hosts | grep -c '\S'  -> 4447, all "0.0.0.0 name"
        ParseReport r = parseShared(ListFormat.HOSTS, "vn/hostsvn-threat-VN.hosts");
        assertThat(r.entries()).isEqualTo(4447);
        assertThat(r.invalid()).isZero();
        assertThat(entries).allSatisfy(e -> assertThat(e.match()).isEqualTo(Match.EXACT));
    }

    @Test
    void adblock_hostsVnThreat_allValid() throws IOException {
        // grep -c '^||.*\^$' vn/hostsvn-threat-VN.adblock.txt  -> 4376; every other line is a '!' comment
        ParseReport r = parseShared(ListFormat.ADBLOCK, "vn/hostsvn-threat-VN.adblock.txt");
        assertThat(r.entries()).isEqualTo(4376);
        assertThat(r.invalid()).isZero();
    }

    @Test
    void rpz_chongLuaDao_allQnameNxdomain() throws IOException {
        // grep -v '^;' vn/chongluadao-vn-badsite-filter-rpz.conf | grep -c CNAME  -> 16842
        ParseReport r = parseShared(ListFormat.RPZ, "vn/chongluadao-vn-badsite-filter-rpz.conf");
        assertThat(r.entries()).isEqualTo(16842);
        assertThat(r.invalid()).isZero();
        assertThat(entries).allSatisfy(e -> assertThat(e.action()).isEqualTo(Action.NXDOMAIN));
    }

    @Test
    void rpz_hageziProMini_namesAndWildcards() throws IOException {
        // zcat aggregate/hagezi-pro-mini.rpz.gz | grep -c ' CNAME \.$' -> 98946, of which '^\*\.' -> 49473
        ParseReport r = parseShared(ListFormat.RPZ, "aggregate/hagezi-pro-mini.rpz.gz");
        assertThat(r.entries()).isEqualTo(98946);
        assertThat(r.invalid()).isZero();
        assertThat(entries.stream().filter(e -> e.match() == Match.DESCENDANTS).count())
                .isEqualTo(49473);
    }

    @Test
    void rpz_actionsOriginsAndIpTriggers() throws IOException {
        ParseReport r = parse(ListFormat.RPZ, """
                $TTL 60
                $ORIGIN rpz.example.
                @ SOA ns.rpz.example. admin.rpz.example. 1 3600 600 86400 60
                  NS ns.rpz.example.
                bad.com            CNAME .
                *.bad.com          CNAME .
                nodata.org         CNAME *.
                ok.bad.com         CNAME rpz-passthru.
                silent.net 300 IN  CNAME rpz-drop.
                tcp.net            CNAME rpz-tcp-only.
                walled.net         CNAME walled-garden.example.
                local.net          A 192.0.2.80
                local.net          AAAA 2001:db8::80
                abs.example.rpz.example. CNAME .
                32.4.3.2.1.rpz-ip  CNAME .
                24.0.2.0.198.rpz-ip CNAME rpz-passthru.
                128.1.zz.db8.2001.rpz-ip CNAME .
                ns.evil.rpz-nsdname CNAME .
                bad.com            MX 10 mail.bad.com.
                broken.net         A not-an-address
                """);
        assertThat(r.invalid()).as("%s", r.errors()).isEqualTo(3);
        assertThat(r.invalidByReason())
                .containsKeys(
                        "trigger type not supported (only QNAME and rpz-ip)",
                        "record type MX is not an RPZ action this importer supports");
        assertThat(entries)
                .extracting(e -> name(e) + " " + e.match() + " " + e.action() + " " + e.data() + " " + e.ipTrigger())
                .containsExactly(
                        "bad.com. EXACT NXDOMAIN null null",
                        "bad.com. DESCENDANTS NXDOMAIN null null",
                        "nodata.org. EXACT NODATA null null",
                        "ok.bad.com. EXACT PASSTHRU null null",
                        "silent.net. EXACT DROP null null",
                        "tcp.net. EXACT TCP_ONLY null null",
                        "walled.net. EXACT CNAME walled-garden.example. null",
                        "local.net. EXACT LOCAL_A 192.0.2.80 null",
                        "local.net. EXACT LOCAL_AAAA 2001:db8::80 null",
                        "abs.example. EXACT NXDOMAIN null null",
                        "- EXACT NXDOMAIN null 1.2.3.4/32",
                        "- EXACT PASSTHRU null 198.0.2.0/24",
                        "- EXACT NXDOMAIN null 2001:db8::1/128");
    }

    @Test
    void hosts_edgeCases() throws IOException {
        ParseReport r = parse(ListFormat.HOSTS, """
                # comment
                127.0.0.1 localhost
                ::1 localhost ip6-localhost
                0.0.0.0 a.example b.example   # two names, inline comment
                0.0.0.0 0.0.0.0
                0.0.0.0
                example.com
                0.0.0.0 UPPER.Example.COM.
                0.0.0.0 bad_char!.example
                """);
        assertThat(entries)
                .extracting(ListParserTest::name)
                .containsExactly("a.example.", "b.example.", "upper.example.com.");
        assertThat(r.ignored()).isEqualTo(4);
        assertThat(r.invalid()).isEqualTo(3);
        assertThat(r.errors()).extracting(ParseReport.LineError::line).containsExactly(6, 7, 9);
    }

    @Test
    void adblock_edgeCases() throws IOException {
        ParseReport r = parse(ListFormat.ADBLOCK, """
                [Adblock Plus 2.0]
                ! comment
                ||ads.example^
                @@||good.example^
                ||imp.example^$important
                ||third.example^$third-party
                /banner/*
                ||wild*.example^
                example.org
                """);
        assertThat(entries)
                .extracting(e -> name(e) + " " + e.action())
                .containsExactly("ads.example. BLOCK", "good.example. ALLOW", "imp.example. BLOCK");
        assertThat(r.invalid()).isEqualTo(4);
    }

    @Test
    void domains_edgeCases() throws IOException {
        ParseReport r = parse(
                ListFormat.DOMAINS,
                "\uFEFFfirst.example\n*.wild.example\n\ncom\n1.2.3.4\n" + "a".repeat(64)
                        + ".example\ntwo names.example\n");
        assertThat(entries).extracting(ListParserTest::name).containsExactly("first.example.", "wild.example.");
        assertThat(r.invalidByReason())
                .containsOnlyKeys(
                        "a single-label name (a TLD or host name)",
                        "an IP address, not a domain name",
                        "label longer than 63 octets in name '" + "a".repeat(64) + ".example'",
                        "more than one name on a line");
    }
}
