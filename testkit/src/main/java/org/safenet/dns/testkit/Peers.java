package org.safenet.dns.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds real peer programs (dig, kdig, knotd) from Debian packages. On a developer's machine
 * without them an interop test is skipped with a note on what to install; with {@code
 * SAFENET_REQUIRE_PEERS=1} (set by .ci/run) a missing peer fails the test instead.
 */
public final class Peers {
    private Peers() {}

    public static Path require(String program, String debianPackage) {
        for (String dir : new String[] {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"}) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String message = program + " not found: apt-get install " + debianPackage;
        if ("1".equals(System.getenv("SAFENET_REQUIRE_PEERS"))) {
            throw new IllegalStateException(message);
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }
}
