package org.safenet.dns.blocklist.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.safenet.dns.blocklist.format.ListEntry.Match;

/**
 * A {@link BlocklistStore.Changes} as bytes (gzip), for an update held until an operator approves
 * it: entries with their stored encoding, removals, and per-source count deltas. Source records and
 * the journal are not kept (they are written when the update is finally applied).
 */
public final class ChangesCodec {
    private ChangesCodec() {}

    private static final int VERSION = 1;

    public static byte[] encode(BlocklistStore.Changes c) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes))) {
            out.writeByte(VERSION);
            for (List<StoredEntry> puts : List.of(c.putBlock, c.putAllow, c.putIp)) {
                out.writeInt(puts.size());
                for (StoredEntry e : puts) {
                    byte[] k = e.key();
                    byte[] v = e.value();
                    out.writeInt(k.length);
                    out.write(k);
                    out.writeInt(v.length);
                    out.write(v);
                }
            }
            for (List<BlocklistStore.Changes.Removal> removals : List.of(c.deleteBlock, c.deleteAllow, c.deleteIp)) {
                out.writeInt(removals.size());
                for (BlocklistStore.Changes.Removal r : removals) {
                    out.writeUTF(r.reversedName());
                    out.writeByte(r.match().ordinal());
                    out.writeUTF(r.source());
                }
            }
            out.writeInt(c.countDelta.size());
            for (Map.Entry<String, Long> d : c.countDelta.entrySet()) {
                out.writeUTF(d.getKey());
                out.writeLong(d.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static BlocklistStore.Changes decode(byte[] data) throws IOException {
        BlocklistStore.Changes c = new BlocklistStore.Changes();
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(new ByteArrayInputStream(data)))) {
            if (in.readUnsignedByte() != VERSION) {
                throw new IOException("a held update written by another SafeNet DNS version");
            }
            for (List<StoredEntry> puts : List.of(c.putBlock, c.putAllow, c.putIp)) {
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    byte[] k = in.readNBytes(in.readInt());
                    byte[] v = in.readNBytes(in.readInt());
                    puts.add(StoredEntry.decode(k, v));
                }
            }
            for (List<BlocklistStore.Changes.Removal> removals : List.of(c.deleteBlock, c.deleteAllow, c.deleteIp)) {
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    removals.add(new BlocklistStore.Changes.Removal(
                            in.readUTF(), Match.values()[in.readUnsignedByte()], in.readUTF()));
                }
            }
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                c.counted(in.readUTF(), in.readLong());
            }
        }
        return c;
    }
}
