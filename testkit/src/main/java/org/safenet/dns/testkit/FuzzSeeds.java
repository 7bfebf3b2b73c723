package org.safenet.dns.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Seeds a Jazzer fuzz target's working corpus ({@code .cifuzz-corpus/<class>/<method>/}, not in
 * the repository) from the real data in {@code ../shared/data}, when the target is about to fuzz
 * ({@code JAZZER_FUZZ} set): whole small files (BIND's packet seeds) or the head of a list. In a
 * normal test run it does nothing; the committed seeds of our own are replayed then.
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    /** True when Jazzer fuzzes in this run (rather than replaying its inputs). */
    public static boolean fuzzing() {
        String v = System.getenv("JAZZER_FUZZ");
        return v != null && !v.isBlank() && !v.equals("0");
    }

    private static Path corpus(Class<?> test, String method) throws IOException {
        return Files.createDirectories(Path.of(".cifuzz-corpus", test.getName(), method));
    }

    /** Copies every file of the shared folder {@code folder} into the corpus of {@code test#method}. */
    public static void files(Class<?> test, String method, String folder) {
        if (!fuzzing()) {
            return;
        }
        try (Stream<Path> files = Files.list(SharedData.path(folder))) {
            Path into = corpus(test, method);
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, into.resolve("shared-" + f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the first {@code lines} lines of the shared list {@code file} (gzipped or not) as one seed. */
    public static void head(Class<?> test, String method, String file, int lines) {
        if (!fuzzing()) {
            return;
        }
        Path source = SharedData.path(file);
        try (InputStream raw = Files.newInputStream(source);
                InputStream in = file.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            StringBuilder head = new StringBuilder();
            String line;
            for (int n = 0; n < lines && (line = r.readLine()) != null; n++) {
                head.append(line).append('\n');
            }
            Files.writeString(
                    corpus(test, method).resolve("shared-" + source.getFileName()), head, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
