package org.safenet.dns.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.safenet.dns.resolver.DurationText;
import org.safenet.dns.resolver.HostPort;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.acl.ClientAccessList;
import org.safenet.dns.resolver.upstream.UpstreamAddress;
import org.safenet.dns.resolver.upstream.UpstreamTls;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private final ConfigLoader loader = new ConfigLoader();

    private Path file(String yaml) throws Exception {
        Path p = dir.resolve("safenet.yaml");
        Files.writeString(p, yaml, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void load_noFile_givesEmbeddedDefaults() throws Exception {
        ApplianceConfig c = loader.load(null, ConfigLoader.Overrides.none());
        assertThat(c.server().listen()).containsExactly(HostPort.parse("127.0.0.1:5353", 53));
        assertThat(c.server().ednsUdpSize()).isEqualTo(1232);
        assertThat(c.upstream().servers()).as("empty: /etc/resolv.conf is used").isEmpty();
        assertThat(c.upstream().timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.cache().maxEntries()).isEqualTo(200_000);
        assertThat(c.cache().serveStale()).isTrue();
        assertThat(c.dataDir()).isEqualTo(Path.of("data"));
    }

    @Test
    void defaults_accessList_isTheResolversDefault() throws Exception {
        ApplianceConfig c = loader.load(null, ConfigLoader.Overrides.none());
        assertThat(c.access().allow())
                .containsExactlyElementsOf(ClientAccessList.DEFAULT_ALLOWED.stream()
                        .map(CidrPrefix::parse)
                        .toList());
    }

    @Test
    void load_partialFile_keepsOtherDefaults() throws Exception {
        ApplianceConfig c = loader.load(file("""
                upstream:
                  servers: ["192.0.2.53", "[2001:db8::53]:5353"]
                  forwardZones:
                    - zone: school.local
                      servers: ["10.0.0.53"]
                cache:
                  maxTtl: 2h
                """), ConfigLoader.Overrides.none());
        assertThat(c.upstream().servers())
                .extracting(UpstreamAddress::toString)
                .containsExactly("192.0.2.53:53", "[2001:db8::53]:5353");
        assertThat(c.upstream().forwardZones())
                .singleElement()
                .satisfies(z -> assertThat(z.zone()).isEqualTo("school.local"));
        assertThat(c.cache().maxTtl()).isEqualTo(Duration.ofHours(2));
        assertThat(c.cache().negativeMaxTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(c.server().listen()).hasSize(1);
    }

    @Test
    void load_upstreamTransports_asWritten() throws Exception {
        ApplianceConfig c = loader.load(file("""
                upstream:
                  servers: ["tls://1.1.1.1#Cloudflare-DNS.com", "tls://[2606:4700:4700::1111]:8853", "tcp://192.0.2.53", "udp://192.0.2.54:5353"]
                """), ConfigLoader.Overrides.none());
        assertThat(c.upstream().servers())
                .extracting(UpstreamAddress::toString)
                .containsExactly(
                        "tls://1.1.1.1:853#cloudflare-dns.com",
                        "tls://[2606:4700:4700::1111]:8853",
                        "tcp://192.0.2.53:53",
                        "192.0.2.54:5353");
        assertThat(c.upstream().tls()).isEqualTo(UpstreamTls.SYSTEM);
    }

    @Test
    void load_commandLineOverrides_winOverFile() throws Exception {
        ApplianceConfig c = loader.load(
                file("server:\n  listen: [\"127.0.0.1:53\"]\n"),
                new ConfigLoader.Overrides(
                        List.of("127.0.0.2:5300", "[::1]:5300"), List.of("127.0.0.1:9953"), "/var/lib/x"));
        assertThat(c.server().listen()).extracting(HostPort::toString).containsExactly("127.0.0.2:5300", "[::1]:5300");
        assertThat(c.upstream().servers()).extracting(UpstreamAddress::toString).containsExactly("127.0.0.1:9953");
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/x"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown key          | 'cache:\\n  maxEntriez: 5\\n'                      | cache.maxEntriez (FILE line 2): unknown key
            bad duration unit    | 'upstream:\\n  timeout: 3x\\n'                     | upstream.timeout (FILE line 2): '3x' has an unknown unit
            host name as address | 'upstream:\\n  servers: [dns.google]\\n'           | upstream.servers[0] (FILE line 2): 'dns.google' is not an IP address
            port out of range    | 'server:\\n  listen: [\"127.0.0.1:70000\"]\\n'     | server.listen[0] (FILE line 2): port 70000 is outside 0..65535
            bad prefix           | 'access:\\n  allow: [10.0.0.0/40]\\n'              | access.allow[0] (FILE line 2): bad prefix '10.0.0.0/40'
            min above max ttl    | 'cache:\\n  minTtl: 2h\\n  maxTtl: 1h\\n'          | cache (FILE line 1): minTtl 7200s is above maxTtl 3600s
            missing value        | 'cache:\\n  maxTtl:\\n'                            | cache.maxTtl (FILE line 2): a value is required
            key set twice        | 'cache:\\n  maxTtl: 1h\\n  maxTtl: 2h\\n'          | cache.maxTtl (FILE line 3): set twice
            wrong type           | 'server:\\n  threads: many\\n'                     | server.threads (FILE line 2)
            dot without tls      | 'server:\\n  dotListen: [\"127.0.0.1:853\"]\\n'        | dotListen needs server.tls (certificate and key)
            tls half given       | 'server:\\n  tls: {certificate: /x.pem}\\n'         | server.tls needs both certificate and key
            tiny edns size       | 'server:\\n  ednsUdpSize: 100\\n'                  | ednsUdpSize 100 is outside 512..65535
            unknown scheme       | 'upstream:\\n  servers: [\"https://1.1.1.1\"]\\n'   | upstream 'https://1.1.1.1': unknown scheme 'https://' (udp://, tcp:// or tls://
            name on plain udp    | 'upstream:\\n  servers: [\"192.0.2.1#dns.example\"]\\n' | an authentication name (#dns.example) is only for tls:// upstreams
            pin names nobody     | 'upstream:\\n  servers: [\"tls://192.0.2.1#a.example\"]\\n  tls: {pins: {b.example: [\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"]}}\\n' | upstream.tls.pins names 'b.example', which is neither
            pin not a digest     | 'upstream:\\n  servers: [\"tls://192.0.2.1#a.example\"]\\n  tls: {pins: {a.example: [\"AAAA\"]}}\\n' | is 3 bytes, a SHA-256 digest is 32
            ca file missing      | 'upstream:\\n  tls: {ca: /nonexistent/ca.pem}\\n' | cannot read upstream.tls.ca /nonexistent/ca.pem
            bad zone name        | 'upstream:\\n  forwardZones:\\n    - zone: a..b\\n      servers: [10.0.0.1]\\n' | empty label in name 'a..b'
            list not a mapping   | '- a\\n- b\\n'                                     | the top level must be a mapping
            source without url   | 'sync:\\n  sources:\\n    - {name: vn, type: http, category: scam}\\n' | source vn: needs url (http:// or https://)
            source bad type      | 'sync:\\n  sources:\\n    - {name: vn, type: ftp, category: scam}\\n' | source vn: type 'ftp' (one of http, national, file, rpz)
            source bad category  | 'sync:\\n  sources:\\n    - {name: vn, type: file, path: /x, category: fun}\\n' | unknown category 'fun'
            national unsigned    | 'sync:\\n  sources:\\n    - {name: n, type: national, url: \"https://x/m.json\", category: scam}\\n' | source n: needs publicKey
            unknown tsig key     | 'sync:\\n  sources:\\n    - {name: r, type: rpz, primary: \"10.0.0.1\", zone: rpz.x, tsigKey: k, category: scam}\\n' | tsigKey k is not among sync.tsigKeys
            source bad action    | 'sync:\\n  sources:\\n    - {name: vn, type: file, path: /x, category: scam, action: redirect}\\n' | source vn: action 'redirect' (one of list (or given), block, nxdomain
            cname without target | 'sync:\\n  sources:\\n    - {name: vn, type: file, path: /x, category: scam, action: cname}\\n' | source vn: action cname needs a target: cname NAME
            distribution open    | 'distribution:\\n  enabled: true\\n'              | neither allowTransfer nor tsigKey says who may transfer
            unknown service      | 'profiles:\\n  - {name: school, blockedServices: [myspace]}\\n' | profiles: school: unknown service 'myspace' (known: tiktok
            missing profile      | 'clients:\\n  - {name: kids, match: [10.1.0.0/16], profile: scool}\\n' | clients: kids names profile 'scool', which does not exist
            group matches none   | 'profiles:\\n  - {name: a}\\nclients:\\n  - {name: kids, profile: a}\\n' | client group kids matches nothing
            bad schedule time    | 'profiles:\\n  - name: a\\n    schedules:\\n      - {days: [mon], from: \"07:00\", to: \"25:00\", block: [games]}\\n' | 25:00' is not a time of day
            schedule blocks what | 'profiles:\\n  - name: a\\n    schedules:\\n      - {days: [mon], from: \"07:00\", to: \"08:00\", block: [homework]}\\n' | homework' is neither a service
            bad day              | 'profiles:\\n  - name: a\\n    schedules:\\n      - {days: [someday], from: \"07:00\", to: \"08:00\", block: [games]}\\n' | someday' is not a day
            bad youtube          | 'profiles:\\n  - {name: a, youtube: loose}\\n' | youtube: 'loose' is not one of strict, moderate, off
            bad profile name     | 'profiles:\\n  - {name: \"Top Class\"}\\n' | profile name 'Top Class'
            bad over limit       | 'limits:\\n  overLimit: slow\\n'                | limits.overLimit: 'slow' is not tc or drop
            negative qps         | 'limits:\\n  clientQps: -1\\n'                  | limits.clientQps must be 0 (off) or more
            bad limit prefix     | 'limits:\\n  ipv6Prefix: 128\\n'                | limits.ipv6Prefix must be 16 to 64
            network in client    | 'limits:\\n  ipv4Prefix: 24\\n  ipv4NetworkPrefix: 28\\n' | limits.ipv4NetworkPrefix must be 8 to limits.ipv4Prefix (24), not 28
            negative network qps | 'limits:\\n  networkQps: -5\\n'                | limits.networkQps must be 0 (off) or more
            bad time zone        | 'policy:\\n  timeZone: Mars/Olympus\\n'        | policy.timeZone: 'Mars/Olympus' is not a time zone
            dnstap two targets   | 'dnstap:\\n  file: /x.dnstap\\n  socket: /run/x.sock\\n' | dnstap: set one of socket, tcp and file, not 2
            dnstap bad message   | 'dnstap:\\n  file: /x.dnstap\\n  messages: [auth_query]\\n' | auth_query' is not one of client_query, client_response, forwarder_query, forwarder_response
            dnstap bad clients   | 'dnstap:\\n  clients: anonymous\\n'           | must be full, truncate or hash
            dnstap bad sample    | 'dnstap:\\n  sample: 0\\n'                    | dnstap.sample: must be 1 or more
            dnstap no messages   | 'dnstap:\\n  tcp: \"127.0.0.1:6000\"\\n  messages: []\\n' | dnstap.messages: name at least one message type
            bad upstream mode    | 'upstream:\\n  mode: iterative\\n'            | upstream.mode: 'iterative' is not forward or recursive
            bad authority port   | 'upstream:\\n  authorityPort: 0\\n'             | upstream.authorityPort: 0 is not a port
            root hints missing   | 'upstream:\\n  rootHints: /nonexistent/named.root\\n' | upstream.rootHints: /nonexistent/named.root
            bad validate value   | 'dnssec:\\n  validate: maybe\\n'                | dnssec.validate: 'maybe' is not true, false or auto
            anchor not a DS      | 'dnssec:\\n  trustAnchors: [\". IN A 192.0.2.1\"]\\n' | dnssec.trustAnchors: . IN A 192.0.2.1: . A is not a DS or DNSKEY record
            anchor file missing  | 'dnssec:\\n  trustAnchors: [/nonexistent/root.key]\\n' | dnssec.trustAnchors: /nonexistent/root.key cannot be read
            bad negative anchor  | 'dnssec:\\n  negativeTrustAnchors: [\"a..b\"]\\n' | dnssec.negativeTrustAnchors: 'a..b' is not a domain name
            validating over tls  | 'upstream:\\n  servers: [\"tls://192.0.2.1#a.example\"]\\ndnssec:\\n  validate: true\\n' | dnssec.validate: true with tls:// upstreams is not supported yet
            """)
    void load_badValue_namesKeyLineAndReason(String name, String yaml, String expected) throws Exception {
        Path f = file(yaml.replace("\\n", "\n"));
        assertThatThrownBy(() -> loader.load(f, ConfigLoader.Overrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(expected.replace("FILE", f.toString()));
    }

    @Test
    void load_recursiveMode_validatesByDefault_andTakesBooleansAndAnchorFiles() throws Exception {
        Path key = dir.resolve("root.key");
        Files.writeString(
                key,
                "; Unbound's format\n. 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
        ApplianceConfig c = loader.load(file("""
                        upstream:
                          mode: recursive
                        dnssec:
                          trustAnchors: [%s]
                          negativeTrustAnchors: [broken.example]
                        """.formatted(key)), ConfigLoader.Overrides.none());
        assertThat(c.upstream().recursive()).isTrue();
        assertThat(c.dnssec().validating(true)).isTrue();
        assertThat(c.upstream().hints().servers()).hasSize(13);
        ApplianceConfig off = loader.load(file("dnssec:\n  validate: false\n"), ConfigLoader.Overrides.none());
        assertThat(off.dnssec().validating(true)).as("a YAML boolean reads").isFalse();
        ApplianceConfig defaults = loader.load(null, ConfigLoader.Overrides.none());
        assertThat(defaults.upstream().recursive()).isFalse();
        assertThat(defaults.dnssec().validating(false))
                .as("forwarding does not validate by default")
                .isFalse();
    }

    @Test
    void load_sourcePolicyOverrides_asBindAndUnboundNameThem() throws Exception {
        ApplianceConfig c = loader.load(file("""
                        sync:
                          sources:
                            - {name: garden, type: file, path: /x.rpz, format: rpz, category: scam, action: "cname walled.example."}
                            - {name: trial, type: file, path: /y.rpz, format: rpz, category: scam, action: disabled}
                            - {name: tlds, type: file, path: /z.rpz, format: rpz, category: scam, action: given, allowPublicSuffixes: true}
                        """), ConfigLoader.Overrides.none());
        assertThat(c.sync().specs())
                .extracting(s -> s.name() + " " + s.action() + " " + s.allowPublicSuffixes())
                .containsExactly("garden cname walled.example. false", "trial disabled false", "tlds list true");
    }

    @Test
    void load_badOverride_namesTheFlag() {
        assertThatThrownBy(
                        () -> loader.load(null, new ConfigLoader.Overrides(List.of("localhost:53"), List.of(), null)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("server.listen[0] (--listen)");
    }

    @Test
    void load_brokenYaml_saysWhereAndWhy() throws Exception {
        Path f = file("cache: [1\n");
        assertThatThrownBy(() -> loader.load(f, ConfigLoader.Overrides.none()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void load_missingFile_saysSo() {
        assertThatThrownBy(() -> loader.load(dir.resolve("nope.yaml"), ConfigLoader.Overrides.none()))
                .hasMessageContaining("no such file");
    }

    @ParameterizedTest
    @CsvSource({"1500ms, 1500", "30s, 30000", "30, 30000", "5m, 300000", "2h, 7200000", "1d, 86400000"})
    void durationText_parsesOperatorUnits(String text, long millis) {
        assertThat(DurationText.parse(text)).isEqualTo(Duration.ofMillis(millis));
        assertThat(DurationText.parse(DurationText.format(Duration.ofMillis(millis))))
                .isEqualTo(Duration.ofMillis(millis));
    }
}
