package org.safenet.dns.admin.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.blocklist.store.BlocklistStore;

/** Token bootstrap and storage against a real store. */
class TokensTest {
    @TempDir
    Path dir;

    @Test
    void theFirstStartWritesAnAdminTokenReadableByItsOwnerOnly() throws Exception {
        try (BlocklistStore store = BlocklistStore.open(dir.resolve("store"))) {
            Tokens tokens = new Tokens(store.metaRecords("token/"), System::currentTimeMillis);
            Path file = dir.resolve("admin-token");
            tokens.bootstrap(null, file);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
            String text = Files.readString(file).trim();
            assertThat(tokens.authenticate(text).role()).isEqualTo(Role.ADMIN);
            // Stored hashed: the secret is nowhere in the record.
            assertThat(tokens.list())
                    .singleElement()
                    .satisfies(t -> assertThat(t.toString()).doesNotContain(text));
            // A second start keeps the token and writes no new file.
            Files.delete(file);
            tokens.bootstrap(null, file);
            assertThat(file).doesNotExist();
            assertThat(tokens.list()).hasSize(1);
        }
    }

    @Test
    void theEnvironmentTokenIsAnAdminTokenWithItsOwnId() throws Exception {
        try (BlocklistStore store = BlocklistStore.open(dir.resolve("store"))) {
            Tokens tokens = new Tokens(store.metaRecords("token/"), System::currentTimeMillis);
            tokens.bootstrap("first-secret-from-the-environment", dir.resolve("unused"));
            tokens.bootstrap("second-secret-from-the-environment", dir.resolve("unused"));
            assertThat(dir.resolve("unused")).doesNotExist();
            Tokens.Token first = tokens.authenticate("first-secret-from-the-environment");
            Tokens.Token second = tokens.authenticate("second-secret-from-the-environment");
            assertThat(first.role()).isEqualTo(Role.ADMIN);
            assertThat(first.id()).startsWith("env-").isNotEqualTo(second.id());
            assertThat(tokens.revoke(first.id())).isTrue();
            assertThat(tokens.authenticate("first-secret-from-the-environment")).isNull();
            assertThat(tokens.authenticate("second-secret-from-the-environment"))
                    .isNotNull();
            assertThatThrownBy(() -> tokens.bootstrap("short", dir.resolve("unused")))
                    .hasMessageContaining("too short");
        }
    }
}
