package org.safenet.dns.bench.load;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CPU time and memory of a target process on this machine, read from {@code /proc}: the process
 * and all its descendants (a launcher script's JVM child, a daemon's workers), like
 * {@code ../shared/tools/dnsperf-cpu}. Linux only; elsewhere every figure is absent.
 */
public final class ProcessStats {
    /** Linux reports CPU times in clock ticks; USER_HZ is 100 on every mainstream architecture. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcessStats() {}

    /** utime + stime of {@code pid} and its descendants, in seconds; -1 if the process is gone. */
    public static double cpuSeconds(long pid) {
        long ticks = 0;
        boolean any = false;
        for (long p : tree(pid)) {
            String[] f = statFields(p);
            if (f != null) {
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
                any = true;
            }
        }
        return any ? ticks / TICKS_PER_SECOND : -1;
    }

    /** Resident memory of {@code pid} and its descendants in MiB (VmRSS), or -1. */
    public static double residentMiB(long pid) {
        long kib = 0;
        boolean any = false;
        for (long p : tree(pid)) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        any = true;
                    }
                }
            } catch (IOException | RuntimeException gone) {
                // exited between listing and reading
            }
        }
        return any ? kib / 1024.0 : -1;
    }

    /** Steal and total jiffies over all CPUs from /proc/stat, or null off Linux. */
    public static long @org.jspecify.annotations.Nullable [] stealAndTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long total = 0;
                    for (int i = 1; i <= 8 && i < f.length; i++) {
                        total += Long.parseLong(f[i]);
                    }
                    return new long[] {f.length > 8 ? Long.parseLong(f[8]) : 0, total};
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** Percentage of CPU time the hypervisor stole between two {@link #stealAndTotal()} readings. */
    public static double stealPercent(
            long @org.jspecify.annotations.Nullable [] before, long @org.jspecify.annotations.Nullable [] after) {
        if (before == null || after == null || after[1] <= before[1]) {
            return -1;
        }
        return 100.0 * (after[0] - before[0]) / (after[1] - before[1]);
    }

    private static String @org.jspecify.annotations.Nullable [] statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
            return stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        } catch (IOException | RuntimeException gone) {
            return null;
        }
    }

    /** {@code pid} and every process below it. */
    static List<Long> tree(long pid) {
        Map<Long, List<Long>> children = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                long child = Long.parseLong(p.getFileName().toString());
                String[] f = statFields(child);
                if (f != null) {
                    children.computeIfAbsent(Long.parseLong(f[1]), k -> new ArrayList<>())
                            .add(child);
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of(pid);
        }
        List<Long> out = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        List<Long> todo = new ArrayList<>(List.of(pid));
        while (!todo.isEmpty()) {
            long p = todo.removeLast();
            if (seen.add(p)) {
                out.add(p);
                todo.addAll(children.getOrDefault(p, List.of()));
            }
        }
        return out;
    }
}
