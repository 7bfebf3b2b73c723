package org.safenet.dns.appliance;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how the service is doing ({@code sd_notify(3)}): {@code READY=1} once the list is
 * loaded and every listener is bound ({@code Type=notify}), {@code WATCHDOG=1} while the health
 * check passes ({@code WatchdogSec}), {@code STATUS=} after a reload, {@code STOPPING=1} on the way down. The message is one
 * datagram to the AF_UNIX socket named in {@code $NOTIFY_SOCKET} (a path, or {@code @name} in
 * the abstract namespace); Java's own channels cannot send AF_UNIX datagrams, so this goes
 * through the FFM API to libc's {@code socket} and {@code sendto}. Without {@code NOTIFY_SOCKET}
 * (not started by systemd) every call does nothing.
 */
final class SystemdNotifier {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotifier.class);
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SUN_PATH_MAX = 108;

    private final @Nullable String socket;

    SystemdNotifier(@Nullable String socket) {
        this.socket = socket == null || socket.isEmpty() ? null : socket;
    }

    static SystemdNotifier fromEnvironment() {
        return new SystemdNotifier(System.getenv("NOTIFY_SOCKET"));
    }

    boolean active() {
        return socket != null;
    }

    /** The watchdog interval systemd expects pings within, in microseconds; 0 if none. */
    static long watchdogMicros() {
        String usec = System.getenv("WATCHDOG_USEC");
        String pid = System.getenv("WATCHDOG_PID");
        if (usec == null
                || (pid != null
                        && !pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            return 0;
        }
        try {
            return Long.parseLong(usec.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Sends {@code state} (e.g. {@code "READY=1\nSTATUS=..."}); false if it could not be sent. */
    boolean notify(String state) {
        String target = socket;
        if (target == null) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            MethodHandle socketCall = linker.downcallHandle(
                    libc.find("socket").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle sendto = linker.downcallHandle(
                    libc.find("sendto").orElseThrow(),
                    FunctionDescriptor.of(
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT));
            MethodHandle close = linker.downcallHandle(
                    libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            byte[] path = target.getBytes(StandardCharsets.UTF_8);
            if (path.length >= SUN_PATH_MAX) {
                log.warn("NOTIFY_SOCKET is too long for a socket address: {}", target);
                return false;
            }
            if (path[0] == '@') {
                path[0] = 0; // the abstract namespace
            }
            MemorySegment address = arena.allocate(2 + SUN_PATH_MAX);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(path, 0, address, ValueLayout.JAVA_BYTE, 2, path.length);
            int addressLength = 2 + path.length + (path[0] == 0 ? 0 : 1);
            byte[] message = state.getBytes(StandardCharsets.UTF_8);
            MemorySegment buffer = arena.allocateFrom(ValueLayout.JAVA_BYTE, message);
            int fd = (int) socketCall.invokeExact(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                return false;
            }
            try {
                long sent = (long) sendto.invokeExact(fd, buffer, (long) message.length, 0, address, addressLength);
                return sent == message.length;
            } finally {
                int ignored = (int) close.invokeExact(fd);
            }
        } catch (Throwable e) {
            log.warn("cannot notify systemd through {}: {}", target, e.toString());
            return false;
        }
    }
}
