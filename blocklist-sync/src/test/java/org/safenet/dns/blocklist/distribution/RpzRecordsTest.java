package org.safenet.dns.blocklist.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.safenet.dns.blocklist.format.ListEntry;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;
import org.safenet.dns.blocklist.format.ListFormat;
import org.safenet.dns.blocklist.format.ListParser;
import org.safenet.dns.blocklist.format.RpzMeta;
import org.safenet.dns.blocklist.store.StoredEntry;
import org.safenet.dns.resolver.acl.CidrPrefix;

/** Exported RPZ records read back by our own RPZ parser give the same triggers and actions. */
class RpzRecordsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "192.0.2.1/32, NXDOMAIN, 32.1.2.0.192.rpz-ip CNAME .",
        "198.51.100.0/24, PASSTHRU, 24.0.100.51.198.rpz-ip CNAME rpz-passthru.",
        "2001:db8::1/128, NXDOMAIN, 128.1.zz.db8.2001.rpz-ip CNAME .",
        "2001:db8::/32, NODATA, 32.zz.db8.2001.rpz-ip CNAME *.",
        "2001:db8:0:1:0:0:0:5/128, DROP, 128.5.zz.1.0.db8.2001.rpz-ip CNAME rpz-drop."
    })
    void ipTrigger_roundTrips(String prefix, Action action, String expected) throws Exception {
        StoredEntry e = new StoredEntry(prefix, Match.EXACT, action, "malware", "s", "", 1, 0, null);
        List<String> records = RpzRecords.ofIp(e);
        String owner = expected.substring(0, expected.indexOf(' '));
        assertThat(records).containsExactly(owner + "._safenet-meta TXT \"category=malware\" \"source=s\"", expected);
        List<ListEntry> back = new ArrayList<>();
        ListParser.parse(
                ListFormat.RPZ,
                new BufferedReader(new StringReader(String.join("\n", records) + "\n")),
                "x",
                back::add);
        assertThat(back).filteredOn(b -> b.meta() == null).singleElement().satisfies(b -> {
            assertThat(b.ipTrigger()).isEqualTo(CidrPrefix.parse(prefix));
            assertThat(b.action()).isEqualTo(action);
        });
        assertThat(back).filteredOn(b -> b.meta() != null).singleElement().satisfies(m -> {
            assertThat(m.ipTrigger()).isEqualTo(CidrPrefix.parse(prefix));
            assertThat(m.meta()).isEqualTo(new RpzMeta("malware", "s", false));
        });
    }

    @Test
    void localDataAndClientTriggers_roundTrip() throws Exception {
        StoredEntry local = new StoredEntry(
                "net.garden",
                Match.EXACT,
                Action.LOCAL_DATA,
                "scam",
                "s",
                "",
                1,
                0,
                "120 TXT \"walled garden\"\nMX 10 mail.garden.net.");
        StoredEntry client = new StoredEntry(
                ListEntry.ipKey(CidrPrefix.parse("192.0.2.0/24"), true),
                Match.EXACT,
                Action.CNAME,
                "scam",
                "s",
                "",
                1,
                0,
                "walled.example.");
        List<String> records = new ArrayList<>(RpzRecords.of(local, false));
        records.addAll(RpzRecords.ofIp(client));
        assertThat(records)
                .containsExactly(
                        "garden.net._safenet-meta TXT \"category=scam\" \"source=s\"",
                        "garden.net 120 TXT \"walled garden\"",
                        "garden.net MX 10 mail.garden.net.",
                        "24.0.2.0.192.rpz-client-ip._safenet-meta TXT \"category=scam\" \"source=s\"",
                        "24.0.2.0.192.rpz-client-ip CNAME walled.example.");
        List<ListEntry> back = new ArrayList<>();
        ListParser.parse(
                ListFormat.RPZ,
                new BufferedReader(new StringReader(String.join("\n", records) + "\n")),
                "x",
                back::add);
        assertThat(back)
                .filteredOn(b -> b.meta() == null)
                .extracting(b -> b.action() + " " + b.data() + " " + b.clientIp())
                .containsExactly(
                        "LOCAL_DATA 120 TXT \"walled garden\" false",
                        "LOCAL_DATA MX 10 mail.garden.net. false",
                        "CNAME walled.example. true");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "com.example.www, EXACT, BLOCK, 'www.example.com._safenet-meta TXT \"category=scam\" \"source=s\" \"action=block\"|www.example.com CNAME .'",
        "com.example, SUBTREE, NXDOMAIN, 'example.com._safenet-meta TXT \"category=scam\" \"source=s\"|example.com CNAME .|*.example.com CNAME .'",
        "com.example, DESCENDANTS, NODATA, '*.example.com._safenet-meta TXT \"category=scam\" \"source=s\"|*.example.com CNAME *.'",
        "com.example.ok, EXACT, PASSTHRU, 'ok.example.com._safenet-meta TXT \"category=scam\" \"source=s\"|ok.example.com CNAME rpz-passthru.'"
    })
    void nameTrigger_records(String reversed, Match match, Action action, String expected) {
        StoredEntry e = new StoredEntry(reversed, match, action, "scam", "s", "", 1, 0, null);
        assertThat(RpzRecords.of(e, false)).containsExactly(expected.split("\\|"));
    }
}
