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
 * @param origin for an entry a follower took from a SafeNet DNS primary's RPZ zone: the source it
 *     came from there (named in the EDE text instead of {@code source}, so every node says the same);
 *     empty otherwise
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
        @Nullable String data,
        String origin) {

    /** An entry of this appliance's own sources (no origin elsewhere). */
    public StoredEntry(
            String reversedName,
            Match match,
            Action action,
            String category,
            String source,
            String reason,
            long addedMillis,
            long expiresMillis,
            @Nullable String data) {
        this(reversedName, match, action, category, source, reason, addedMillis, expiresMillis, data, "");
    }

    /** The source to name to people (the EDE text, dnstap): the origin if there is one, else the source. */
    public String shownSource() {
        return origin.isEmpty() ? source : origin;
    }

    /** This entry with {@code category}, {@code action} and {@code origin} as a primary's metadata says. */
    public StoredEntry withMeta(String category, Action action, String origin) {
        return new StoredEntry(
                reversedName, match, action, category, source, reason, addedMillis, expiresMillis, data, origin);
    }

    /**
     * Value encoding version, first byte of every value; readers accept this and older. Version 2
     * appends the origin; an entry without one is still written as version 1.
     */
    static final int VALUE_VERSION = 2;

    /**
     * The key: reversed name, a 0 separator, the match kind, then the source, so one name can hold
     * all three kinds from every source, and a name's entries are one contiguous range.
     */
    byte[] key() {
        return key(reversedName, match, source);
    }

    static byte[] key(String reversedName, Match match, String source) {
        byte[] name = ReversedName.bytes(reversedName);
        byte[] src = source.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] key = new byte[name.length + 2 + src.length];
        System.arraycopy(name, 0, key, 0, name.length);
        key[name.length] = 0;
        key[name.length + 1] = (byte) match.ordinal();
        System.arraycopy(src, 0, key, name.length + 2, src.length);
        return key;
    }

    /**
     * The key in the by-source family: source, 0, side (0 block, 1 allow, 2 ip), reversed name, 0,
     * match; so one source's entries are one contiguous range.
     */
    static byte[] sourceKey(String source, int side, String reversedName, Match match) {
        byte[] src = source.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] name = ReversedName.bytes(reversedName);
        byte[] key = new byte[src.length + 2 + name.length + 2];
        System.arraycopy(src, 0, key, 0, src.length);
        key[src.length] = 0;
        key[src.length + 1] = (byte) side;
        System.arraycopy(name, 0, key, src.length + 2, name.length);
        key[src.length + 2 + name.length] = 0;
        key[key.length - 1] = (byte) match.ordinal();
        return key;
    }

    /** Where the name ends in an entries key: its first 0 byte (names are ASCII without 0). */
    static int nameEnd(byte[] key) {
        for (int i = 0; i < key.length; i++) {
            if (key[i] == 0) {
                return i;
            }
        }
        throw new IllegalStateException("a store key without separator");
    }

    byte[] value() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(origin.isEmpty() ? 1 : VALUE_VERSION);
            out.writeByte(action.ordinal());
            out.writeUTF(category);
            out.writeUTF(source);
            out.writeUTF(reason);
            out.writeLong(addedMillis);
            out.writeLong(expiresMillis);
            out.writeUTF(data == null ? "" : data);
            if (!origin.isEmpty()) {
                out.writeUTF(origin);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decodes a by-source key and its value (see {@link #sourceKey}). */
    static StoredEntry decodeSourceKey(byte[] key, byte[] value) {
        int src = nameEnd(key);
        byte[] entryKey = new byte[key.length - src - 2];
        System.arraycopy(key, src + 2, entryKey, 0, entryKey.length);
        return decode(entryKey, value);
    }

    static StoredEntry decode(byte[] key, byte[] value) {
        int sep = nameEnd(key);
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
            String origin = version >= 2 ? in.readUTF() : "";
            return new StoredEntry(
                    name,
                    match,
                    action,
                    category,
                    source,
                    reason,
                    added,
                    expires,
                    data.isEmpty() ? null : data,
                    origin);
        } catch (IOException e) {
            throw new IllegalStateException("entry " + name + " is corrupt: " + e.getMessage(), e);
        }
    }
}
