package org.safenet.dns.blocklist.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.format.ListEntry.Action;
import org.safenet.dns.blocklist.format.ListEntry.Match;

/**
 * One blocklist (or allowlist) entry as the store keeps it.
 *
 * @param reversedName the key name, labels reversed ({@link ReversedName})
 * @param match exact, subtree, or descendants only
 * @param action BLOCK (the category's configured action) or an explicit RPZ action
 * @param category e.g. {@code scam}
 * @param source which list or operator it came from
 * @param reason free text for the explain API
 * @param addedMillis when it was added
 * @param expiresMillis when it stops applying, 0 for never
 * @param data the CNAME target or local-data address, if the action has one
 */
public record StoredEntry(
        String reversedName,
        Match match,
        Action action,
        String category,
        String source,
        String reason,
        long addedMillis,
        long expiresMillis,
        @Nullable String data) {

    /** Value encoding version, first byte of every value; readers accept this and older. */
    static final int VALUE_VERSION = 1;

    /** The key: reversed name, a 0 separator, the match kind, so one name can hold all three kinds. */
    byte[] key() {
        return key(reversedName, match);
    }

    static byte[] key(String reversedName, Match match) {
        byte[] name = ReversedName.bytes(reversedName);
        byte[] key = new byte[name.length + 2];
        System.arraycopy(name, 0, key, 0, name.length);
        key[name.length] = 0;
        key[name.length + 1] = (byte) match.ordinal();
        return key;
    }

    byte[] value() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VALUE_VERSION);
            out.writeByte(action.ordinal());
            out.writeUTF(category);
            out.writeUTF(source);
            out.writeUTF(reason);
            out.writeLong(addedMillis);
            out.writeLong(expiresMillis);
            out.writeUTF(data == null ? "" : data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static StoredEntry decode(byte[] key, byte[] value) {
        int sep = key.length - 2;
        String name = new String(key, 0, sep, java.nio.charset.StandardCharsets.US_ASCII);
        Match match = Match.values()[key[sep + 1]];
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            int version = in.readUnsignedByte();
            if (version > VALUE_VERSION) {
                throw new IllegalStateException(
                        "entry " + name + " was written by a newer SafeNet DNS (value version " + version + ")");
            }
            Action action = Action.values()[in.readUnsignedByte()];
            String category = in.readUTF();
            String source = in.readUTF();
            String reason = in.readUTF();
            long added = in.readLong();
            long expires = in.readLong();
            String data = in.readUTF();
            return new StoredEntry(
                    name, match, action, category, source, reason, added, expires, data.isEmpty() ? null : data);
        } catch (IOException e) {
            throw new IllegalStateException("entry " + name + " is corrupt: " + e.getMessage(), e);
        }
    }
}
