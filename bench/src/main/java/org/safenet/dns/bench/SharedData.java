package org.safenet.dns.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds {@code shared/data/<relative>} in the working directory or above it (the repository sits beside shared/). */
public final class SharedData {
    private SharedData() {}

    public static Path find(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path f = dir.resolve("shared/data").resolve(relative);
            if (Files.isRegularFile(f)) {
                return f;
            }
            dir = dir.getParent();
        }
        throw new IllegalArgumentException(
                "shared/data/" + relative + " not found above " + Path.of("").toAbsolutePath()
                        + "; give the file explicitly (--popular / --blocked) or use --query-file");
    }
}
