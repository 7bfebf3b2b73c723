package org.safenet.dns.resolver.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.safenet.dns.resolver.ResolverSettings.TlsFiles;
import org.safenet.dns.testkit.TestCertificates;

/** Certificate files that change, and files that do not load: the last good certificate stays. */
class TlsMaterialTest {
    @TempDir
    Path dir;

    private TlsFiles make(String name, int days) throws Exception {
        TestCertificates.Files f = TestCertificates.make(dir, name, name, days);
        return new TlsFiles(f.certificate().toString(), f.key().toString());
    }

    /**
     * The package ships BoringSSL for Linux on x86-64 and arm64; if its native library stopped
     * loading, the listeners would fall back to the JDK's TLS silently but for a log line, at a
     * quarter of the handshake rate.
     */
    @Test
    void boringSsl_isTheProvider_whereThePackageShipsIt() {
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(
                System.getProperty("os.name").equals("Linux") && (arch.equals("amd64") || arch.equals("aarch64")),
                "BoringSSL is shipped for Linux x86-64 and arm64 only");
        assertThat(OpenSsl.unavailabilityCause()).isNull();
        assertThat(TlsMaterial.PROVIDER).isEqualTo(SslProvider.OPENSSL);
        assertThat(TlsMaterial.providerName()).startsWith("BoringSSL");
    }

    @Test
    void halfWrittenFiles_keepTheCertificateInUse_aGoodOneReplacesIt() throws Exception {
        TlsFiles files = make("a.test", 30);
        long[] now = {0};
        TlsMaterial m = new TlsMaterial(files, () -> now[0], "dot");
        Instant first = m.notAfter();
        Files.writeString(Path.of(files.certificate()), "-----BEGIN CERT", StandardCharsets.UTF_8);
        bump(files);
        assertThat(m.reloadIfChanged()).isFalse();
        assertThat(m.notAfter()).isEqualTo(first);
        assertThat(m.context()).isNotNull();

        TlsFiles longer = make("b.test", 90);
        Files.copy(Path.of(longer.certificate()), Path.of(files.certificate()), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(Path.of(longer.key()), Path.of(files.key()), StandardCopyOption.REPLACE_EXISTING);
        bump(files);
        now[0] += 2_000_000_000L; // the next connection, two seconds later, looks at the files
        m.context();
        assertThat(m.notAfter()).isAfter(first.plusSeconds(50L * 86_400));
        assertThat(m.reloads()).isEqualTo(1);
    }

    @Test
    void aKeyThatIsNotTheCertificates_isRefusedAtStart_withTheReason() throws Exception {
        TlsFiles a = make("a.test", 30);
        TlsFiles b = make("b.test", 30);
        assertThatThrownBy(() -> new TlsMaterial(new TlsFiles(a.certificate(), b.key()), "dot"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("do not load");
        assertThatThrownBy(() ->
                        new TlsMaterial(new TlsFiles(dir.resolve("none.pem").toString(), b.key()), "dot"))
                .isInstanceOf(IOException.class);
    }

    /** File times have a resolution; make the change visible whatever it is. */
    private static void bump(TlsFiles f) throws IOException {
        FileTime later = FileTime.from(Instant.now().plusSeconds(5 + (long) (Math.random() * 1000)));
        Files.setLastModifiedTime(Path.of(f.certificate()), later);
        Files.setLastModifiedTime(Path.of(f.key()), later);
    }
}
