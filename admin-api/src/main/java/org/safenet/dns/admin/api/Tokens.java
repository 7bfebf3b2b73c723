package org.safenet.dns.admin.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.Records;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin API tokens: 256 random bits, shown once when created, stored only as their SHA-256 (the
 * record key), so a copy of the store gives no access. A token reads {@code sn_<id>_<secret>};
 * the id names it in lists and the audit trail without revealing it.
 */
public final class Tokens {
    private static final Logger log = LoggerFactory.getLogger(Tokens.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The environment variable that supplies the bootstrap admin token. */
    public static final String BOOTSTRAP_ENV = "SAFENET_ADMIN_TOKEN";

    /** A stored token (never the secret). */
    public record Token(String id, String name, Role role, long createdMillis, String createdBy) {}

    private final Records records;
    private final LongSupplier clock;

    public Tokens(Records records, LongSupplier clock) {
        this.records = records;
        this.clock = clock;
    }

    /** Creates a token; the returned text is the only time its secret exists outside the caller. */
    public String create(String name, Role role, String createdBy) throws BlocklistStore.StoreException {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        byte[] idBytes = new byte[6];
        RANDOM.nextBytes(idBytes);
        String id = HexFormat.of().formatHex(idBytes);
        String text = "sn_" + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        store(text, new Token(id, name, role, clock.getAsLong(), createdBy));
        return text;
    }

    private void store(String text, Token t) throws BlocklistStore.StoreException {
        String value = t.id() + "\t" + t.role().text() + "\t" + t.createdMillis() + "\t" + t.createdBy() + "\t"
                + t.name().replace('\t', ' ');
        records.put(hash(text), value.getBytes(StandardCharsets.UTF_8));
    }

    /** The token {@code text} stands for, or null. */
    public @Nullable Token authenticate(String text) {
        try {
            byte[] v = records.get(hash(text));
            return v == null ? null : decode(v);
        } catch (BlocklistStore.StoreException e) {
            log.warn("token lookup failed: {}", e.getMessage());
            return null;
        }
    }

    public List<Token> list() {
        List<Token> out = new ArrayList<>();
        records.scan(new byte[0], null, false, (k, v) -> out.add(decode(v)));
        return out;
    }

    /** Revokes the token with {@code id}; false if there is none. */
    public boolean revoke(String id) throws BlocklistStore.StoreException {
        byte[][] found = new byte[1][];
        records.scan(new byte[0], null, false, (k, v) -> {
            if (decode(v).id().equals(id)) {
                found[0] = k;
                return false;
            }
            return true;
        });
        if (found[0] == null) {
            return false;
        }
        records.delete(found[0]);
        return true;
    }

    /**
     * Makes sure an admin can get in on first start: the token in {@code SAFENET_ADMIN_TOKEN} is
     * accepted as an admin token; otherwise, if no token exists, one is generated and written to
     * {@code tokenFile} with mode 0600.
     */
    public void bootstrap(@Nullable String fromEnvironment, Path tokenFile) throws BlocklistStore.StoreException {
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            String text = fromEnvironment.trim();
            if (text.length() < 20) {
                throw new IllegalArgumentException(
                        BOOTSTRAP_ENV + " is too short to be a token (20 characters at least)");
            }
            if (authenticate(text) == null) {
                // An id of its own per value, so an old one can be revoked once the variable changes.
                String id = "env-" + HexFormat.of().formatHex(hash(text), 0, 4);
                store(text, new Token(id, "from " + BOOTSTRAP_ENV, Role.ADMIN, clock.getAsLong(), "bootstrap"));
            }
            log.info("admin API: the token in {} is an admin token", BOOTSTRAP_ENV);
            return;
        }
        if (!list().isEmpty()) {
            return;
        }
        String text = create("bootstrap admin", Role.ADMIN, "bootstrap");
        try {
            Files.createDirectories(tokenFile.getParent());
            Files.deleteIfExists(tokenFile);
            Files.createFile(
                    tokenFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tokenFile, text + "\n", StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            throw new BlocklistStore.StoreException(
                    "cannot write the admin token to " + tokenFile + ": " + e.getMessage(), e);
        }
        log.info("admin API: generated an admin token in {} (mode 0600); read it, then keep it safe", tokenFile);
    }

    private static Token decode(byte[] v) {
        String[] f = new String(v, StandardCharsets.UTF_8).split("\t", 5);
        return new Token(f[0], f[4], Role.parse(f[1]), Long.parseLong(f[2]), f[3]);
    }

    static byte[] hash(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
