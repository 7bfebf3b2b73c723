package org.safenet.dns.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.testkit.Peers;

/** The systemd unit passes {@code systemd-analyze verify} and keeps its hardening. */
class SystemdUnitTest {
    static final Path UNIT = Path.of("../systemd/safenet.service");

    @TempDir
    Path dir;

    @Test
    void theUnitVerifies() throws Exception {
        Path analyze = Peers.require("systemd-analyze", "systemd");
        // verify checks that ExecStart's program exists: point it at a stand-in, nothing else changes.
        Path launcher = dir.resolve("safenet");
        Files.writeString(launcher, "#!/bin/sh\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path unit = dir.resolve("safenet.service");
        Files.writeString(unit, Files.readString(UNIT).replace("/usr/bin/safenet", launcher.toString()));
        Process p = new ProcessBuilder(analyze.toString(), "verify", unit.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        // Lines about this unit would be warnings (unknown keys, bad values); a missing
        // sysinit.target in a container is about the machine, not the unit.
        assertThat(out.lines().filter(l -> l.startsWith("safenet.service") && !l.contains("sysinit.target")))
                .as(out)
                .isEmpty();
    }

    @Test
    void theUnitIsHardenedAndSupervised() throws Exception {
        String unit = Files.readString(UNIT);
        assertThat(unit)
                .contains("Type=notify")
                .contains("WatchdogSec=")
                .contains("AmbientCapabilities=CAP_NET_BIND_SERVICE\n")
                .contains("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n")
                .contains("NoNewPrivileges=yes")
                .contains("ProtectSystem=strict")
                .contains("ProtectHome=yes")
                .contains("PrivateTmp=yes")
                .contains("StateDirectory=safenet")
                .contains("ConfigurationDirectory=safenet")
                .contains("LimitNOFILE=")
                .contains("User=safenet")
                .contains("SuccessExitStatus=143")
                .contains("--data-dir /var/lib/safenet");
        assertThat(Files.readString(Path.of("../systemd/safenet.sysusers"))).contains("u safenet");
    }
}
