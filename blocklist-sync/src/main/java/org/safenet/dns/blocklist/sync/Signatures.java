package org.safenet.dns.blocklist.sync;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/** SHA-256 and Ed25519 (RFC 8032, the JDK's "Ed25519" provider) for feed verification. */
public final class Signatures {
    private Signatures() {}

    /** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes. */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    /** Reads an Ed25519 public key: base64 of the 32 raw bytes or of the X.509 (SPKI) encoding, or a PEM. */
    public static PublicKey publicKey(String text) {
        String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("publicKey is not base64: " + e.getMessage(), e);
        }
        if (bytes.length == 32) {
            byte[] spki = new byte[ED25519_SPKI_PREFIX.length + 32];
            System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
            System.arraycopy(bytes, 0, spki, ED25519_SPKI_PREFIX.length, 32);
            bytes = spki;
        }
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "publicKey is not an Ed25519 public key (32 raw bytes or X.509, base64): " + e.getMessage(), e);
        }
    }

    /** True if {@code signature} (64 raw bytes, or their base64) signs {@code data}'s bytes. */
    public static boolean verify(PublicKey key, Path data, byte[] signature) throws IOException {
        byte[] sig = decodeSignature(signature);
        if (sig == null) {
            return false;
        }
        try (InputStream in = Files.newInputStream(data)) {
            Signature v = Signature.getInstance("Ed25519");
            v.initVerify(key);
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                v.update(buf, 0, n);
            }
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] decodeSignature(byte[] raw) {
        if (raw.length == 64) {
            return raw;
        }
        try {
            byte[] b = Base64.getDecoder().decode(new String(raw, java.nio.charset.StandardCharsets.US_ASCII).trim());
            return b.length == 64 ? b : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Lowercase hex SHA-256 of a file. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
