package org.safenet.dns.resolver.tap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dnstap file (unidirectional Frame Streams: START, data frames, STOP), rotated by size: the
 * full file becomes {@code NAME.1}, older ones move up to {@code NAME.keep}, and the oldest goes.
 * A file left by an earlier run is rotated away the same way, so every file is one whole stream.
 */
final class FileOutput implements DnstapOutput {
    private static final Logger log = LoggerFactory.getLogger(FileOutput.class);

    private final Path path;
    private final long maxBytes;
    private final int keep;
    private @Nullable FileChannel channel;
    private long size;

    FileOutput(Path path, long maxBytes, int keep) {
        this.path = path;
        this.maxBytes = maxBytes;
        this.keep = keep;
    }

    @Override
    public void open() throws IOException {
        if (Files.exists(path)) {
            rotate();
        }
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            DnstapOutput.writeFully(ch, FrameStreams.control(FrameStreams.START));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        size = 0;
    }

    /** NAME.keep-1 → NAME.keep, ..., NAME → NAME.1; with keep 0 the old file is deleted. */
    private void rotate() throws IOException {
        if (keep <= 0) {
            Files.deleteIfExists(path);
            return;
        }
        for (int i = keep - 1; i >= 1; i--) {
            Path from = numbered(i);
            if (Files.exists(from)) {
                Files.move(from, numbered(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(path, numbered(1), StandardCopyOption.REPLACE_EXISTING);
    }

    private Path numbered(int i) {
        return path.resolveSibling(path.getFileName() + "." + i);
    }

    @Override
    public boolean isOpen() {
        return channel != null;
    }

    @Override
    public void write(ByteBuffer frames) throws IOException {
        FileChannel ch = channel;
        if (ch == null) {
            throw new IOException("not open");
        }
        size += frames.remaining();
        DnstapOutput.writeFully(ch, frames);
    }

    @Override
    public boolean wantsRotation() {
        return maxBytes > 0 && size >= maxBytes;
    }

    @Override
    public void close() {
        FileChannel ch = channel;
        channel = null;
        if (ch == null) {
            return;
        }
        try (ch) {
            DnstapOutput.writeFully(ch, FrameStreams.control(FrameStreams.STOP));
            ch.force(false);
        } catch (IOException e) {
            log.warn("dnstap: could not finish {}: {}", path, e.toString());
        }
    }

    @Override
    public void abort() {
        close(); // a file that failed a write still gets its STOP if the disk lets it
    }

    @Override
    public String describe() {
        return "file " + path;
    }
}
