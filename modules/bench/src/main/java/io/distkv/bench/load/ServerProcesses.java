package io.distkv.bench.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The server processes of one driver (dist-kv's nodes, etcd's members), read from /proc: CPU time
 * (user + system, every thread, /proc/PID/stat) and context switches (voluntary + involuntary,
 * summed over the live threads, /proc/PID/task/TID/status). The load generator samples them at
 * the start and end of the measured window and reports both per operation, so that the peers'
 * cost per request is compared on the same run.
 */
final class ServerProcesses {
  /** What the processes had used at one instant. */
  record Sample(long cpuNanos, long contextSwitches) {
    Sample minus(Sample earlier) {
      return new Sample(cpuNanos - earlier.cpuNanos, contextSwitches - earlier.contextSwitches);
    }
  }

  /** Linux's USER_HZ: the unit of utime and stime in /proc/PID/stat (100 on every mainstream architecture). */
  static final long CLOCK_TICKS_PER_SECOND = 100;

  private final List<Long> pids;

  ServerProcesses(List<Long> pids) {
    this.pids = List.copyOf(pids);
  }

  static ServerProcesses none() {
    return new ServerProcesses(List.of());
  }

  /**
   * The processes whose pid files match {@code glob} in {@code dir} (e.g. {@code node*.pid} in
   * {@code run/}); pid files of processes no longer running are skipped.
   */
  static ServerProcesses fromPidFiles(Path dir, String glob) {
    List<Long> pids = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return none();
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, glob)) {
      for (Path f : files) {
        String text = Files.readString(f).trim();
        try {
          long pid = Long.parseLong(text);
          if (Files.exists(Path.of("/proc", Long.toString(pid)))) {
            pids.add(pid);
          }
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("pid file " + f + " does not hold a pid: '" + text + "'");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read pid files " + dir.resolve(glob), e);
    }
    return new ServerProcesses(pids);
  }

  boolean isEmpty() {
    return pids.isEmpty();
  }

  List<Long> pids() {
    return pids;
  }

  /** Totals over every process now; a process that has exited counts as zero. */
  Sample sample() {
    long cpu = 0;
    long switches = 0;
    for (long pid : pids) {
      cpu += cpuNanos(pid);
      switches += contextSwitches(pid);
    }
    return new Sample(cpu, switches);
  }

  static long cpuNanos(long pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    } catch (IOException e) {
      return 0;
    }
    // Fields after the command name (which may hold spaces, so split after its closing paren):
    // state is field 3, utime field 14, stime field 15.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    long ticks = Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
    return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
  }

  static long contextSwitches(long pid) {
    long total = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : tasks) {
        try {
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
              total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
        } catch (IOException e) {
          // the thread ended between listing and reading
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return total;
  }
}
