package org.safenet.dns.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the real public data sets in {@code ../shared/data} (beside the checkout, in CI and on
 * developers' machines). They are never copied into the repository: several are GPL.
 */
public final class SharedData {
    private SharedData() {}

    /** The file or folder at {@code relative} under shared/data; fails clearly if it is not there. */
    public static Path path(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("shared").resolve("data");
            if (Files.isDirectory(candidate)) {
                Path p = candidate.resolve(relative);
                if (!Files.exists(p)) {
                    throw new IllegalStateException(p + " is missing from shared/data");
                }
                return p;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "no shared/data folder above " + Path.of("").toAbsolutePath()
                        + ": the tests read real data sets from ../shared/data beside the checkout");
    }
}
