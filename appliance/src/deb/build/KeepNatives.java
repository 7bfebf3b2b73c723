import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Copies the shaded jar, its entries stored uncompressed (the package's xz then compresses the
 * classes together, far better than each entry alone), without the native libraries of other
 * platforms: of RocksDB's
 * {@code librocksdbjni-*.so|jnilib|dll} only {@code librocksdbjni-ROCKSDB.so}, of Netty's
 * {@code META-INF/native/libnetty_*} only those for {@code NETTY} (x86_64, aarch_64). Fails if
 * either is missing, so a package never lacks its natives. Run by payload.sh as a source file:
 *
 * <pre>java KeepNatives.java IN.jar OUT.jar ROCKSDB NETTY</pre>
 */
public final class KeepNatives {
    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: java KeepNatives.java IN.jar OUT.jar ROCKSDB-PLATFORM NETTY-ARCH");
            System.exit(2);
        }
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        String rocksdb = "librocksdbjni-" + args[2] + ".so";
        String netty = "_" + args[3] + ".so";
        boolean rocksdbKept = false;
        boolean nettyKept = false;
        long dropped = 0;
        try (ZipFile zip = new ZipFile(in.toFile());
                OutputStream file = Files.newOutputStream(out);
                ZipOutputStream jar = new ZipOutputStream(file)) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                String name = e.getName();
                if (name.startsWith("librocksdbjni-")) {
                    if (!name.equals(rocksdb)) {
                        dropped += e.getSize();
                        continue;
                    }
                    rocksdbKept = true;
                } else if (name.startsWith("META-INF/native/libnetty_")) {
                    if (!name.endsWith(netty)) {
                        dropped += e.getSize();
                        continue;
                    }
                    nettyKept = true;
                }
                byte[] data;
                try (InputStream entry = zip.getInputStream(e)) {
                    data = entry.readAllBytes();
                }
                CRC32 crc = new CRC32();
                crc.update(data);
                ZipEntry copy = new ZipEntry(name);
                copy.setTime(e.getTime());
                copy.setMethod(ZipEntry.STORED);
                copy.setSize(data.length);
                copy.setCompressedSize(data.length);
                copy.setCrc(crc.getValue());
                jar.putNextEntry(copy);
                jar.write(data);
                jar.closeEntry();
            }
        }
        if (!rocksdbKept || !nettyKept) {
            Files.deleteIfExists(out);
            System.err.println("KeepNatives: " + in + " has no " + (rocksdbKept ? "Netty native for" + netty : rocksdb));
            System.exit(1);
        }
        System.out.printf("KeepNatives: %s -> %s, %d MiB of other platforms' natives left out%n", in, out, dropped >> 20);
    }
}
