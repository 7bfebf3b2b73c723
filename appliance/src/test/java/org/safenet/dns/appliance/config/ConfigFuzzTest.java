package org.safenet.dns.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the YAML config loader: any file gives a config or a {@link
 * ConfigException} whose problems say what to fix, never another exception (a stack trace at
 * start instead of a message).
 */
class ConfigFuzzTest {
    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("safenet-config-fuzz", ".yaml");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void config(byte[] yaml) throws IOException {
        Files.write(FILE, yaml);
        try {
            assertThat(new ConfigLoader().load(FILE, ConfigLoader.Overrides.none()))
                    .isNotNull();
        } catch (ConfigException rejected) {
            assertThat(rejected.problems())
                    .isNotEmpty()
                    .allSatisfy(p -> assertThat(p).isNotBlank());
        }
    }
}
