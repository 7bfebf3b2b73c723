package org.safenet.dns.resolver.dnssec;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ECDSA (P-256, P-384) and Ed25519 signature checks by the system's OpenSSL (libcrypto 3, called
 * through the JDK's foreign function API), as a JCA provider ahead of the JDK's own for
 * verification only. The JDK checks one P-256 signature in about 1 ms on this machine's cores,
 * OpenSSL in about 0.08 ms; DNSSEC validation of a cache miss checks one to three (decision
 * 0017). dnsjava asks {@code Signature.getInstance} by name, so a provider is the one place to
 * put it. Signing, and every other algorithm, stays with the JDK; without libcrypto nothing is
 * installed and the JDK checks everything, only slower.
 */
public final class NativeSignatures {
    private static final Logger log = LoggerFactory.getLogger(NativeSignatures.class);
    private static final String NAME = "SafeNetOpenSSL";

    private static volatile @Nullable Natives natives;

    private NativeSignatures() {}

    /** libcrypto's functions this needs, looked up once. */
    private record Natives(
            MethodHandle d2iPubkey,
            MethodHandle pkeyFree,
            MethodHandle mdCtxNew,
            MethodHandle mdCtxFree,
            MethodHandle digestVerifyInit,
            MethodHandle digestVerify,
            MemorySegment sha256,
            MemorySegment sha384) {}

    /**
     * Puts the provider first for the algorithms it serves, once; returns whether it could (false
     * without libcrypto.so.3 or native access).
     */
    public static synchronized boolean install() {
        if (Security.getProvider(NAME) != null) {
            return true;
        }
        try {
            natives = load();
        } catch (Throwable e) { // UnsatisfiedLinkError, IllegalCallerException without native access, ...
            log.info("DNSSEC signatures are checked by the JDK (OpenSSL's libcrypto is not usable: {})", e.toString());
            return false;
        }
        Provider p = new OpenSslProvider();
        Security.insertProviderAt(p, 1);
        log.info("DNSSEC signatures (ECDSA, Ed25519) are checked by OpenSSL's libcrypto");
        return true;
    }

    /** The provider: three verification services. */
    private static final class OpenSslProvider extends Provider {
        private static final long serialVersionUID = 1L;

        OpenSslProvider() {
            super(NAME, "1.0", "ECDSA and Ed25519 verification by OpenSSL's libcrypto");
            for (Map.Entry<String, String> e : Map.of(
                            "SHA256withECDSA", "sha256",
                            "SHA384withECDSA", "sha384",
                            "Ed25519", "none")
                    .entrySet()) {
                String digest = e.getValue();
                putService(new Service(this, "Signature", e.getKey(), Verifier.class.getName(), null, null) {
                    @Override
                    public Object newInstance(@Nullable Object parameter) {
                        return new Verifier(digest);
                    }

                    /** Public keys only: a signing caller is handed on to the JDK's provider. */
                    @Override
                    public boolean supportsParameter(@Nullable Object parameter) {
                        return parameter instanceof PublicKey;
                    }
                });
            }
        }
    }

    private static Natives load() {
        Linker linker = Linker.nativeLinker();
        SymbolLookup crypto = SymbolLookup.libraryLookup("libcrypto.so.3", Arena.global());
        ValueLayout ptr = ValueLayout.ADDRESS;
        MethodHandle sha256 = linker.downcallHandle(crypto.findOrThrow("EVP_sha256"), FunctionDescriptor.of(ptr));
        MethodHandle sha384 = linker.downcallHandle(crypto.findOrThrow("EVP_sha384"), FunctionDescriptor.of(ptr));
        try {
            return new Natives(
                    linker.downcallHandle(
                            crypto.findOrThrow("d2i_PUBKEY"),
                            FunctionDescriptor.of(ptr, ptr, ptr, ValueLayout.JAVA_LONG)),
                    linker.downcallHandle(crypto.findOrThrow("EVP_PKEY_free"), FunctionDescriptor.ofVoid(ptr)),
                    linker.downcallHandle(crypto.findOrThrow("EVP_MD_CTX_new"), FunctionDescriptor.of(ptr)),
                    linker.downcallHandle(crypto.findOrThrow("EVP_MD_CTX_free"), FunctionDescriptor.ofVoid(ptr)),
                    linker.downcallHandle(
                            crypto.findOrThrow("EVP_DigestVerifyInit"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ptr, ptr, ptr, ptr, ptr)),
                    linker.downcallHandle(
                            crypto.findOrThrow("EVP_DigestVerify"),
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT, ptr, ptr, ValueLayout.JAVA_LONG, ptr, ValueLayout.JAVA_LONG)),
                    (MemorySegment) sha256.invokeExact(),
                    (MemorySegment) sha384.invokeExact());
        } catch (Throwable e) {
            throw new IllegalStateException("libcrypto's digests are not available", e);
        }
    }

    /**
     * Whether {@code signature} (DER for ECDSA, raw for Ed25519) over {@code data} checks out
     * with {@code publicKey} (X.509 SubjectPublicKeyInfo, as {@link PublicKey#getEncoded()}).
     */
    static boolean verify(String digest, byte[] publicKey, byte[] data, byte[] signature) throws SignatureException {
        Natives n = natives;
        if (n == null) {
            throw new SignatureException("libcrypto is not loaded");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keyBytes = arena.allocateFrom(ValueLayout.JAVA_BYTE, publicKey);
            MemorySegment cursor = arena.allocateFrom(ValueLayout.ADDRESS, keyBytes);
            MemorySegment pkey =
                    (MemorySegment) n.d2iPubkey.invokeExact(MemorySegment.NULL, cursor, (long) publicKey.length);
            if (pkey.equals(MemorySegment.NULL)) {
                throw new SignatureException("OpenSSL does not read this public key");
            }
            MemorySegment ctx = MemorySegment.NULL;
            try {
                ctx = (MemorySegment) n.mdCtxNew.invokeExact();
                MemorySegment md = switch (digest) {
                    case "sha256" -> n.sha256;
                    case "sha384" -> n.sha384;
                    default -> MemorySegment.NULL;
                };
                int ok = (int) n.digestVerifyInit.invokeExact(ctx, MemorySegment.NULL, md, MemorySegment.NULL, pkey);
                if (ok != 1) {
                    throw new SignatureException("OpenSSL could not set up the check");
                }
                MemorySegment sig = arena.allocateFrom(ValueLayout.JAVA_BYTE, signature);
                MemorySegment tbs = arena.allocateFrom(ValueLayout.JAVA_BYTE, data);
                int result =
                        (int) n.digestVerify.invokeExact(ctx, sig, (long) signature.length, tbs, (long) data.length);
                return result == 1;
            } finally {
                if (!ctx.equals(MemorySegment.NULL)) {
                    n.mdCtxFree.invokeExact(ctx);
                }
                n.pkeyFree.invokeExact(pkey);
            }
        } catch (SignatureException e) {
            throw e;
        } catch (Throwable e) {
            throw new SignatureException("OpenSSL's check failed", e);
        }
    }

    /**
     * Signatures that checked out, by a digest of algorithm, key, data and signature: a wildcard's
     * signature, an NSEC proof or a refreshed answer whose signature did not change is not checked
     * again (a verdict is a pure function of the four). Only good verdicts are kept, so a flood of
     * forged signatures cannot evict them faster than they come; bounded, least recently used out.
     */
    private static final Map<String, Boolean> VERIFIED =
            Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > 20_000;
                }
            });

    private static String fingerprint(String digest, byte[] key, byte[] data, byte[] signature) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(digest.getBytes(StandardCharsets.US_ASCII));
            for (byte[] part : new byte[][] {key, data, signature}) {
                sha.update((byte) (part.length >>> 8));
                sha.update((byte) part.length);
                sha.update(part);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One {@code Signature} object: collects the data, checks it at {@link #engineVerify}. */
    public static final class Verifier extends SignatureSpi {
        private final String digest;
        private byte @Nullable [] key;
        private byte[] data = new byte[512];
        private int length;

        Verifier(String digest) {
            this.digest = digest;
        }

        @Override
        protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
            byte[] encoded = publicKey.getEncoded();
            if (encoded == null) {
                throw new InvalidKeyException("a public key without an X.509 encoding");
            }
            key = encoded;
            length = 0;
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            throw new InvalidKeyException("verification only: signing is the JDK's");
        }

        @Override
        protected void engineUpdate(byte b) {
            engineUpdate(new byte[] {b}, 0, 1);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
            if (length + len > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, length + len));
            }
            System.arraycopy(b, off, data, length, len);
            length += len;
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            throw new SignatureException("verification only");
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            byte[] k = key;
            if (k == null) {
                throw new SignatureException("not initialised for verification");
            }
            try {
                byte[] signed = Arrays.copyOf(data, length);
                String key = fingerprint(digest, k, signed, sigBytes);
                if (VERIFIED.containsKey(key)) {
                    return true;
                }
                boolean ok = verify(digest, k, signed, sigBytes);
                if (ok) {
                    VERIFIED.put(key, Boolean.TRUE);
                }
                return ok;
            } finally {
                length = 0;
            }
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new InvalidParameterException("no parameters");
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new InvalidParameterException("no parameters");
        }
    }
}
