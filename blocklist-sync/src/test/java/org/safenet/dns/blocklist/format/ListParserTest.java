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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // grep -c ' CNAME \.$' FILE (every policy record of these feeds is a QNAME NXDOMAIN)
        "aggregate/hagezi-fake.rpz, 27442",
        "malware/urlhaus-filter-rpz.conf, 2689"
    })
    void rpz_realFeeds_everyRecordRead_noneInvalid(String file, int records) throws IOException {
        ParseReport r = parseShared(ListFormat.RPZ, file);
        assertThat(r.entries()).isEqualTo(records);
        assertThat(r.invalid()).as("%s", r.errors()).isZero();
    }

    @Test
    void rpz_everyTriggerAndAction_inTheWholeZoneFileSyntax() throws IOException {
        ParseReport r = parse(ListFormat.RPZ, """
                $TTL 1h
                $ORIGIN rpz.example.
                @ 3600 IN SOA ns.rpz.example. admin.rpz.example. (
                        1      ; serial
                        3600   ; refresh
                        600 86400 60 )
                  NS ns.rpz.example.
                bad.com            CNAME .
                *.bad.com          CNAME .
                nodata.org         CNAME *.
                ok.bad.com         CNAME rpz-passthru.
                silent.net 300 IN  CNAME rpz-drop.
                tcp.net IN 300     CNAME rpz-tcp-only.
                walled.net         CNAME walled-garden.example.
                rel.net            CNAME garden      ; relative to $ORIGIN
                local.net          A 192.0.2.80
                                   AAAA 2001:db8::80   ; a blank owner: the previous one
                local.net          TXT "two strings" "and; a semicolon"
                local.net          MX ( 10
                                        mail.example. )
                abs.example.rpz.example. CNAME .
                32.4.3.2.1.rpz-ip  CNAME .
                24.0.2.0.198.rpz-ip CNAME rpz-passthru.
                128.1.zz.db8.2001.rpz-ip CNAME .
                32.55.2.0.192.rpz-ip A 192.0.2.99
                24.0.2.0.198.rpz-client-ip CNAME rpz-drop.
                legacy.net CNAME legacy.net.   ; the older passthru: a CNAME to the trigger itself
                zip                CNAME .
                $ORIGIN sub.rpz.example.
                deep CNAME .
                ns.evil.rpz-nsdname.rpz.example. CNAME .
                32.1.0.0.127.rpz-nsip.rpz.example. CNAME .
                broken.net.rpz.example.  A not-an-address
                wild.net.rpz.example.    CNAME *.garden.example.
                $INCLUDE other.zone
                dname.net.rpz.example.   DNAME x.example.
                odd.net.rpz.example.     CH TXT "chaos"
                open.net.rpz.example.    TXT "never closed
                mx.net.rpz.example.      MX ( 10 mail.example.
                """);
        assertThat(r.invalidByReason())
                .as("%s", r.errors())
                .containsOnlyKeys(
                        "RPZ-NSDNAME triggers need the name servers behind an answer, which a forwarding resolver"
                                + " does not see (they come with recursion)",
                        "RPZ-NSIP triggers need the name servers behind an answer, which a forwarding resolver"
                                + " does not see (they come with recursion)",
                        "local data A is not valid: Invalid address: not-an-address",
                        "a CNAME to *.garden.example. (the query name under another name) is not supported",
                        "$INCLUDE is not followed: a policy zone must come as one file (as in a zone transfer)",
                        "DNAME is not an RPZ action (a CNAME is)",
                        "class CH: a policy zone is class IN",
                        "a quoted string is never closed",
                        "a parenthesis opened here is never closed");
        assertThat(r.errors())
                .extracting(ParseReport.LineError::line)
                .containsExactly(31, 32, 33, 34, 35, 36, 37, 38, 39);
        assertThat(entries)
                .extracting(e -> e.line() + " " + name(e) + " " + e.match() + " " + e.action() + " " + e.data() + " "
                        + e.ipTrigger() + (e.clientIp() ? " client" : ""))
                .containsExactly(
                        "8 bad.com. EXACT NXDOMAIN null null",
                        "9 bad.com. DESCENDANTS NXDOMAIN null null",
                        "10 nodata.org. EXACT NODATA null null",
                        "11 ok.bad.com. EXACT PASSTHRU null null",
                        "12 silent.net. EXACT DROP null null",
                        "13 tcp.net. EXACT TCP_ONLY null null",
                        "14 walled.net. EXACT CNAME walled-garden.example. null",
                        "15 rel.net. EXACT CNAME garden.rpz.example. null",
                        "16 local.net. EXACT LOCAL_DATA 3600 A 192.0.2.80 null",
                        "17 local.net. EXACT LOCAL_DATA 3600 AAAA 2001:db8:0:0:0:0:0:80 null",
                        "18 local.net. EXACT LOCAL_DATA 3600 TXT \"two strings\" \"and; a semicolon\" null",
                        "19 local.net. EXACT LOCAL_DATA 3600 MX 10 mail.example. null",
                        "21 abs.example. EXACT NXDOMAIN null null",
                        "22 - EXACT NXDOMAIN null 1.2.3.4/32",
                        "23 - EXACT PASSTHRU null 198.0.2.0/24",
                        "24 - EXACT NXDOMAIN null 2001:db8::1/128",
                        "25 - EXACT LOCAL_DATA 3600 A 192.0.2.99 192.0.2.55/32",
                        "26 - EXACT DROP null 198.0.2.0/24 client",
                        "27 legacy.net. EXACT PASSTHRU null null",
                        "28 zip. EXACT NXDOMAIN null null",
                        "30 deep.sub. EXACT NXDOMAIN null null");
        assertThat(r.ignored()).as("$TTL, $ORIGIN x2, SOA, NS").isEqualTo(5);
        assertThat(r.lines()).isEqualTo(39);
    }

    @Test
    void rpz_aZoneWithoutOriginOrSoa_takesOwnersAsTheTriggers() throws IOException {
        ParseReport r = parse(ListFormat.RPZ, """
                ; a bare policy file, as many feeds are
                bad.example CNAME .
                bad.example. CNAME .
                *.bad.example CNAME rpz-drop.
                """);
        assertThat(r.invalid()).as("%s", r.errors()).isZero();
        assertThat(entries)
                .extracting(e -> name(e) + " " + e.match() + " " + e.action())
                .containsExactly(
                        "bad.example. EXACT NXDOMAIN", "bad.example. EXACT NXDOMAIN", "bad.example. DESCENDANTS DROP");
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
