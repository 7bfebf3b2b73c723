package org.safenet.dns.appliance.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.Peers;

/**
 * The .deb that {@code mvn package} builds: its control data and file list ({@code dpkg-deb -I},
 * {@code -c}), and, unpacked, a launcher that finds the JDK and runs the jar, a packaged config
 * that validates, a unit that verifies, maintainer scripts that parse.
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
                .contains("Depends: systemd")
                .contains("Java 25")
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
                .contains("./usr/share/doc/safenet-dns/configuration.md")
                .contains("./usr/share/doc/safenet-dns/admin-api.md");
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
