package org.safenet.dns.blocklist.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing (Jazzer) of the national feed's manifest, which comes over the network:
 * any bytes give a manifest or an {@link IOException} that says why not, never another exception.
 */
class NationalManifestFuzzTest {
    private static final URI BASE = URI.create("https://feed.example/v1/");

    @FuzzTest(maxDuration = "30s")
    void manifest(byte[] json) {
        try {
            NationalManifest m = NationalManifest.parse(json, BASE);
            assertThat(m).isNotNull();
            m.diffFrom(0);
            m.diffFrom(Long.MAX_VALUE);
        } catch (IOException rejected) {
            assertThat(rejected.getMessage()).isNotBlank();
        }
    }

    private static byte[] manifest(String listUrl) {
        return ("{\"format\": \"safenet-national-feed/1\", \"serial\": 1, \"list\": {\"url\": \"" + listUrl
                        + "\", \"sha256\": \"" + "ab".repeat(32) + "\", \"format\": \"domains\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void listUrlsMustBeHttpAndValid() throws IOException {
        assertThat(NationalManifest.parse(manifest("list-1.txt.gz"), BASE).toString())
                .isNotBlank();
        assertThatThrownBy(() -> NationalManifest.parse(manifest("file:///etc/shadow"), BASE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not an http or https URL");
        // What the fuzzer found: a URL the URI parser rejects used to escape as IllegalArgumentException.
        assertThatThrownBy(() -> NationalManifest.parse(manifest("diff-20261122]1.txt.gz"), BASE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not a valid URL");
    }
}
