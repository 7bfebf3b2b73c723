package org.safenet.dns.resolver.dnssec;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** OpenSSL's verdicts are the JDK's: for good signatures, tampered ones and tampered data. */
class NativeSignaturesTest {
    @BeforeAll
    static void install() {
        assertThat(NativeSignatures.install())
                .as("libcrypto.so.3 (Debian's libssl3) is on this machine")
                .isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"SHA256withECDSA, EC, secp256r1", "SHA384withECDSA, EC, secp384r1", "Ed25519, Ed25519, ''"})
    void agreesWithTheJdk_andSigningStaysWithTheJdk(String algorithm, String keyType, String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(keyType);
        if (!curve.isEmpty()) {
            g.initialize(new ECGenParameterSpec(curve));
        }
        KeyPair pair = g.generateKeyPair();
        Random random = new Random(7);
        for (int i = 0; i < 20; i++) {
            byte[] data = new byte[1 + random.nextInt(600)];
            random.nextBytes(data);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(pair.getPrivate());
            signer.update(data);
            byte[] signature = signer.sign();
            assertThat(signer.getProvider().getName()).isNotEqualTo("SafeNetOpenSSL");

            assertThat(check(algorithm, pair, data, signature)).isTrue();
            byte[] otherData = data.clone();
            otherData[random.nextInt(otherData.length)] ^= 1;
            assertThat(check(algorithm, pair, otherData, signature)).isFalse();
            byte[] otherSignature = signature.clone();
            otherSignature[otherSignature.length - 1 - random.nextInt(8)] ^= 0x10;
            assertThat(check(algorithm, pair, data, otherSignature)).isFalse();
        }
    }

    /** OpenSSL's verdict, checked against the JDK's own. */
    private static boolean check(String algorithm, KeyPair pair, byte[] data, byte[] signature) throws Exception {
        Signature ours = Signature.getInstance(algorithm);
        ours.initVerify(pair.getPublic());
        ours.update(data);
        boolean verdict = verifyQuietly(ours, signature);
        assertThat(ours.getProvider().getName()).isEqualTo("SafeNetOpenSSL");
        Signature jdk = Signature.getInstance(algorithm, "SunEC");
        jdk.initVerify(pair.getPublic());
        jdk.update(data);
        assertThat(verdict).isEqualTo(verifyQuietly(jdk, signature));
        return verdict;
    }

    /** A signature the JDK cannot even parse counts as not valid, as in dnsjava. */
    private static boolean verifyQuietly(Signature s, byte[] signature) {
        try {
            return s.verify(signature);
        } catch (SignatureException e) {
            return false;
        }
    }
}
