package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.DnsProbe;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.ScriptedAuthServer;
import org.xbill.DNS.Type;

/**
 * The .deb that {@code mvn package} builds: its control data and file list ({@code dpkg-deb -I},
 * {@code -c}), and, unpacked, a launcher that runs the jar on the package's own runtime (or a
 * Java the operator points to), a runtime with only the modules the appliance needs, a jar with
 * only this platform's natives, a bill of materials whose every license is allowed, a packaged
 * config that validates, a unit that verifies, maintainer scripts that parse; and its size.
 */
class DebPackageIT {
    @TempDir
    static Path unpacked;

    static Path deb;

    @BeforeAll
    static void find() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            deb = files.filter(p -> p.getFileName().toString().matches("safenet-dns_.*_amd64\\.deb"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no target/safenet-dns_*_amd64.deb: mvn package builds it"));
        }
        Peers.require("dpkg-deb", "dpkg");
        assertThat(run(Map.of(), "dpkg-deb", "-x", deb.toString(), unpacked.toString())
                        .exit())
                .isZero();
    }

    record Run(int exit, String out) {}

    static Run run(Map<String, String> env, String... command) throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().putAll(env);
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Run(p.exitValue(), out);
    }

    @Test
    void controlDataNamesThePackageItsNeedsAndItsConffiles() throws Exception {
        Run info = run(Map.of(), "dpkg-deb", "-I", deb.toString());
        assertThat(info.exit()).as(info.out()).isZero();
        assertThat(info.out())
                .contains("Package: safenet-dns")
                .containsPattern("Version: 0\\.1\\.0")
                .contains("Architecture: amd64")
                .contains("Depends: systemd, libc6")
                .doesNotContain("Recommends")
                .contains("its own Java runtime")
                .contains("postinst")
                .contains("prerm")
                .contains("postrm");
        Run conffiles = run(Map.of(), "dpkg-deb", "-f", deb.toString(), "Package");
        assertThat(conffiles.out().trim()).isEqualTo("safenet-dns");
        Path control = unpacked.resolve("control");
        assertThat(run(Map.of(), "dpkg-deb", "-e", deb.toString(), control.toString())
                        .exit())
                .isZero();
        assertThat(Files.readAllLines(control.resolve("conffiles")))
                .containsExactlyInAnyOrder("/etc/safenet/safenet.yaml", "/etc/default/safenet");
        for (String script : List.of("postinst", "prerm", "postrm")) {
            assertThat(run(Map.of(), "sh", "-n", control.resolve(script).toString())
                            .exit())
                    .as(script)
                    .isZero();
        }
        // Installing never starts or enables the resolver: port 53 is the operator's decision.
        List<String> commands = Files.readAllLines(control.resolve("postinst")).stream()
                .map(String::trim)
                .filter(l -> !l.startsWith("#") && !l.startsWith("echo"))
                .toList();
        assertThat(commands).noneMatch(l -> l.contains("systemctl start") || l.contains("systemctl enable"));
        assertThat(commands).anyMatch(l -> l.startsWith("systemd-sysusers"));
    }

    @Test
    void theFileListHasEverythingWithTheRightModes() throws Exception {
        Run list = run(Map.of(), "dpkg-deb", "-c", deb.toString());
        assertThat(list.exit()).isZero();
        assertThat(list.out())
                .containsPattern("-rwxr-xr-x root/root .* \\./usr/bin/safenet\\n")
                .containsPattern("-rw-r--r-- root/root .* \\./usr/share/safenet-dns/safenet\\.jar\\n")
                .containsPattern("-rw-r--r-- root/root .* \\./lib/systemd/system/safenet\\.service\\n")
                .containsPattern("-rw-r--r-- root/root .* \\./usr/lib/sysusers\\.d/safenet\\.conf\\n")
                .containsPattern("-rw-r--r-- root/root .* \\./etc/safenet/safenet\\.yaml\\n")
                .containsPattern("-rw-r--r-- root/root .* \\./etc/default/safenet\\n")
                .containsPattern("-rwxr-xr-x root/root .* \\./usr/lib/safenet-dns/runtime/bin/java\\n")
                .containsPattern("-rwxr-xr-x root/root .* \\./usr/lib/safenet-dns/runtime/lib/jspawnhelper\\n")
                .containsPattern("-rw-r--r-- root/root .* \\./usr/lib/safenet-dns/runtime/lib/server/libjvm\\.so\\n")
                .containsPattern("-rw-r--r-- root/root .* \\./usr/lib/safenet-dns/runtime/lib/modules\\n")
                .contains("./usr/share/doc/safenet-dns/sbom.cdx.json")
                .contains("./usr/share/doc/safenet-dns/configuration.md")
                .contains("./usr/share/doc/safenet-dns/admin-api.md");
    }

    /** The package stays small (docs/installation.md says where its bytes go). */
    @Test
    void thePackageIsAtMost40MiB() throws Exception {
        long size = Files.size(deb);
        System.out.printf(
                "DebPackageIT: %s is %.1f MiB; unpacked: runtime %.1f MiB, jar %.1f MiB%n",
                deb.getFileName(),
                size / 1048576.0,
                sizeOf(unpacked.resolve("usr/lib/safenet-dns/runtime")) / 1048576.0,
                Files.size(unpacked.resolve("usr/share/safenet-dns/safenet.jar")) / 1048576.0);
        assertThat(size).isLessThanOrEqualTo(40L << 20);
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    @Test
    void theRuntimeIsJava25WithOnlyTheModulesTheApplianceNeeds() throws Exception {
        String java = unpacked.resolve("usr/lib/safenet-dns/runtime/bin/java").toString();
        Run version = run(Map.of(), java, "-version");
        assertThat(version.exit()).as(version.out()).isZero();
        assertThat(version.out()).containsPattern("version \"25[.\"]");
        Run modules = run(Map.of(), java, "--list-modules");
        assertThat(modules.exit()).isZero();
        List<String> names = modules.out()
                .lines()
                .map(l -> l.replaceAll("@.*", "").trim())
                .filter(l -> !l.isEmpty())
                .toList();
        assertThat(names)
                .contains("java.base", "java.net.http", "jdk.jfr", "jdk.management", "jdk.unsupported", "jdk.jcmd")
                .doesNotContain("java.scripting", "jdk.compiler", "jdk.jshell", "jdk.httpserver", "java.smartcardio");
    }

    @Test
    void theJarCarriesOnlyThisPlatformsNatives() throws Exception {
        List<String> natives = new ArrayList<>();
        try (ZipFile jar = new ZipFile(
                unpacked.resolve("usr/share/safenet-dns/safenet.jar").toFile())) {
            jar.stream()
                    .map(ZipEntry::getName)
                    .filter(n ->
                            n.endsWith(".so") || n.endsWith(".jnilib") || n.endsWith(".dll") || n.endsWith(".dylib"))
                    .forEach(natives::add);
        }
        assertThat(natives)
                .containsExactlyInAnyOrder(
                        "librocksdbjni-linux64.so",
                        "META-INF/native/libnetty_transport_native_epoll_x86_64.so",
                        "META-INF/native/libnetty_tcnative_linux_x86_64.so"); // BoringSSL, decision 0013
    }

    /**
     * The licenses a dependency may have: permissive ones, and EPL-2.0 (logback, dual EPL/LGPL).
     * A dual-licensed library needs one of them (RocksDB: Apache-2.0 or GPLv2). Anything else fails
     * the build until someone has looked at it and added it here. Our own modules are exempt.
     */
    private static final Set<String> ALLOWED_LICENSES =
            Set.of("Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "CC0-1.0", "EPL-2.0");

    @Test
    void theBillOfMaterialsListsEveryLibraryUnderAnAllowedLicense() throws Exception {
        JsonNode bom = new ObjectMapper()
                .readTree(unpacked.resolve("usr/share/doc/safenet-dns/sbom.cdx.json")
                        .toFile());
        assertThat(bom.path("bomFormat").asText()).isEqualTo("CycloneDX");
        JsonNode components = bom.path("components");
        List<String> names = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (JsonNode c : components) {
            String name = c.path("group").asText() + ":" + c.path("name").asText() + ":"
                    + c.path("version").asText();
            names.add(name);
            List<String> licenses = new ArrayList<>();
            for (JsonNode l : c.path("licenses")) {
                JsonNode license = l.path("license");
                licenses.add(
                        license.hasNonNull("id")
                                ? license.path("id").asText()
                                : license.path("name").asText());
                if (l.hasNonNull("expression")) {
                    licenses.add(l.path("expression").asText());
                }
            }
            // One allowed license is enough for a dual-licensed library.
            boolean ours = c.path("group").asText().equals("org.safenet.dns");
            if (!ours && licenses.stream().noneMatch(ALLOWED_LICENSES::contains)) {
                refused.add(name + " " + licenses);
            }
        }
        assertThat(names)
                .anyMatch(n -> n.startsWith("org.rocksdb:rocksdbjni:"))
                .anyMatch(n -> n.startsWith("io.netty:netty-transport-native-epoll:"))
                .anyMatch(n -> n.startsWith("org.safenet.dns:safenet-resolver:"));
        assertThat(refused).as("dependencies whose license is not allowed").isEmpty();
    }

    @Test
    void theLauncherUsesThePackagesRuntimeAndTheApplianceAnswersOnIt() throws Exception {
        Path runtime = unpacked.resolve("usr/lib/safenet-dns/runtime");
        Path jar = unpacked.resolve("usr/share/safenet-dns/safenet.jar");
        Path data = unpacked.resolve("serve-data");
        Path list = unpacked.resolve("list.txt");
        Files.writeString(list, "pkgcheck.example\n");
        Map<String, String> env = new HashMap<>(Map.of(
                "SAFENET_RUNTIME",
                runtime.toString(),
                "SAFENET_JAR",
                jar.toString(),
                "SAFENET_NO_DEFAULTS",
                "1",
                "JAVA_HOME",
                "")); // the launcher takes a JAVA_HOME first: none here
        String launcher = unpacked.resolve("usr/bin/safenet").toString();
        Run version = run(env, launcher, "version");
        assertThat(version.exit()).as(version.out()).isZero();
        assertThat(version.out()).contains("(Java 25").contains(runtime.toString());
        Run imported = run(
                env,
                launcher,
                "import",
                "--data-dir",
                data.toString(),
                "--format",
                "domains",
                "--category",
                "scam",
                "--source",
                "pkg",
                list.toString());
        assertThat(imported.exit()).as(imported.out()).isZero();

        try (ScriptedAuthServer upstream = ScriptedAuthServer.start().add("www.example.org. 300 IN A 192.0.2.10");
                RunningAppliance serve = RunningAppliance.start(
                        runtime.resolve("bin/java").toString(),
                        jar.toString(),
                        data,
                        upstream.hostPort(),
                        "",
                        Map.of(),
                        List.of())) {
            DnsProbe dns = new DnsProbe(new InetSocketAddress("127.0.0.1", serve.dnsPort()));
            assertThat(DnsProbe.firstAnswer(dns.udp("www.pkgcheck.example.", Type.A)))
                    .isEqualTo("127.0.0.1");
            assertThat(DnsProbe.firstAnswer(dns.udp("www.example.org.", Type.A)))
                    .isEqualTo("192.0.2.10");
            // The admin API's JSON (Jackson, without java.desktop's java.beans in this runtime).
            String admin = serve.log().stream()
                    .map(Pattern.compile("admin API and dashboard on (http://127\\.0\\.0\\.1:\\d+/)")::matcher)
                    .filter(Matcher::find)
                    .map(m -> m.group(1))
                    .findFirst()
                    .orElseThrow();
            HttpResponse<String> stats = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(admin + "api/v1/stats"))
                                    .header(
                                            "Authorization",
                                            "Bearer "
                                                    + Files.readString(data.resolve("admin-token"))
                                                            .strip())
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(stats.statusCode()).as(stats.body()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(stats.body()).path("queries").asLong())
                    .isEqualTo(2);
        }
    }

    @Test
    void aClassDataSharingArchiveIsWrittenAtTheFirstStopAndUsedAfter() throws Exception {
        Path archive = unpacked.resolve("cds/safenet.jsa");
        Files.createDirectories(archive.getParent());
        Map<String, String> env = Map.of(
                "SAFENET_RUNTIME",
                        unpacked.resolve("usr/lib/safenet-dns/runtime").toString(),
                "SAFENET_JAR",
                        unpacked.resolve("usr/share/safenet-dns/safenet.jar").toString(),
                "SAFENET_NO_DEFAULTS", "1",
                "SAFENET_CDS_ARCHIVE", archive.toString(),
                "JAVA_HOME", "");
        String launcher = unpacked.resolve("usr/bin/safenet").toString();
        Run first = run(env, launcher, "version");
        assertThat(first.exit()).as(first.out()).isZero();
        assertThat(archive).isNotEmptyFile();
        // Nothing for the journal: the runtime's archives match the launcher's options.
        Run plain = run(env, launcher, "version");
        assertThat(plain.out().strip())
                .startsWith("SafeNet DNS")
                .doesNotContain("[cds]")
                .doesNotContain("[error]");
        Map<String, String> logging = new HashMap<>(env);
        logging.put("SAFENET_JAVA_OPTS", "-Xlog:cds=info");
        Run second = run(logging, launcher, "version");
        assertThat(second.exit()).as(second.out()).isZero();
        assertThat(second.out()).contains("SafeNet DNS").containsIgnoringCase("dynamic archive");
    }

    @Test
    void theUnpackedLauncherRunsTheJarAndThePackagedConfigIsValid() throws Exception {
        Map<String, String> env = Map.of(
                "JAVA_HOME", System.getProperty("java.home"),
                "SAFENET_JAR",
                        unpacked.resolve("usr/share/safenet-dns/safenet.jar").toString(),
                "SAFENET_NO_DEFAULTS", "1");
        String launcher = unpacked.resolve("usr/bin/safenet").toString();
        Run version = run(env, launcher, "version");
        assertThat(version.exit()).as(version.out()).isZero();
        assertThat(version.out()).contains("SafeNet DNS");
        Run check = run(
                env,
                launcher,
                "check-config",
                "--config",
                unpacked.resolve("etc/safenet/safenet.yaml").toString());
        assertThat(check.exit()).as(check.out()).isZero();
        assertThat(check.out()).contains("0.0.0.0:53").contains("/var/lib/safenet");
    }

    @Test
    void thePackagedUnitVerifies() throws Exception {
        Path analyze = Peers.require("systemd-analyze", "systemd");
        Path unit = unpacked.resolve("safenet.service");
        Files.writeString(
                unit,
                Files.readString(unpacked.resolve("lib/systemd/system/safenet.service"))
                        .replace(
                                "/usr/bin/safenet",
                                unpacked.resolve("usr/bin/safenet").toString()));
        Run verify = run(Map.of(), analyze.toString(), "verify", unit.toString());
        assertThat(verify.exit()).as(verify.out()).isZero();
    }
}
