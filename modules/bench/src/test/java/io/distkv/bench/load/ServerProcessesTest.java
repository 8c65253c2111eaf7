package io.distkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.SynchronousQueue;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CPU time and context switches of server processes, read from /proc for the load generator's per-operation cost. */
@Tag("phase6")
class ServerProcessesTest {
  @TempDir Path tmp;

  @Test
  void measuresThisProcessesCpuAndContextSwitches() throws Exception {
    ServerProcesses self = new ServerProcesses(java.util.List.of(ProcessHandle.current().pid()));
    ServerProcesses.Sample before = self.sample();
    // CPU: spin until the process's own CPU clock has moved by 50 ms (USER_HZ granularity is 10 ms).
    long target = ServerProcesses.cpuNanos(ProcessHandle.current().pid()) + 50_000_000L;
    long x = 0;
    while (ServerProcesses.cpuNanos(ProcessHandle.current().pid()) < target) {
      for (int i = 0; i < 1_000_000; i++) {
        x += i ^ x;
      }
    }
    // Context switches: 200 hand-offs through a SynchronousQueue each block one thread.
    SynchronousQueue<Integer> q = new SynchronousQueue<>();
    Thread t = new Thread(() -> {
      try {
        for (int i = 0; i < 200; i++) {
          q.take();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    t.start();
    for (int i = 0; i < 200; i++) {
      q.put(i);
    }
    t.join();
    ServerProcesses.Sample used = self.sample().minus(before);
    assertThat(used.cpuNanos()).as("cpu (x=%d)", x).isGreaterThanOrEqualTo(50_000_000L);
    assertThat(used.contextSwitches()).isGreaterThanOrEqualTo(100);
  }

  @Test
  void pidFilesOfLiveProcessesAreReadAndBadOnesNamed() throws Exception {
    Files.writeString(tmp.resolve("node1.pid"), ProcessHandle.current().pid() + "\n");
    Files.writeString(tmp.resolve("node2.pid"), "999999999\n"); // no such process: skipped
    Files.writeString(tmp.resolve("other.txt"), "1\n");
    ServerProcesses found = ServerProcesses.fromPidFiles(tmp, "node*.pid");
    assertThat(found.pids()).containsExactly(ProcessHandle.current().pid());
    assertThat(ServerProcesses.fromPidFiles(tmp.resolve("missing"), "node*.pid").isEmpty()).isTrue();
    Files.writeString(tmp.resolve("node3.pid"), "not-a-pid\n");
    assertThatThrownBy(() -> ServerProcesses.fromPidFiles(tmp, "node*.pid")).hasMessageContaining("node3.pid")
        .hasMessageContaining("not-a-pid");
  }
}
