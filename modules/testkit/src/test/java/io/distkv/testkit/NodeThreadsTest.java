package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.client.BlockingDistKvClient;
import io.distkv.client.DistKvClient;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The threads a node runs do not depend on how many partitions it hosts: every partition's
 * flushes and compactions go through the node's Compactor actor and its fixed pool, snapshot
 * transfers through a fixed pool, Raft log writes through one writer thread. Three nodes with 64
 * partitions each run as many threads as three with 4 each, after the same writes and a flush of
 * every store (docs/storage.md "Node-wide resources" has the formula).
 */
@Tag("phase2")
class NodeThreadsTest {
  /** Names of the live threads while a cluster of {@code partitions} runs, after writes and flushes. */
  static List<String> threadsWhileRunning(int partitions) throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(partitions).start();
         DistKvClient client = cluster.newClient()) {
      BlockingDistKvClient kv = client.blocking();
      for (int i = 0; i < 500; i++) {
        kv.put("key-" + i, "v" + i);
      }
      for (TestNode n : cluster.nodes()) {
        n.runtime().stateMachines().values().forEach(io.distkv.server.partition.KvStateMachine::flush);
      }
      return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName).toList();
    }
  }

  @Test
  void threadsDoNotGrowWithThePartitionCount() throws Exception {
    List<String> few = threadsWhileRunning(4);
    List<String> many = threadsWhileRunning(64);
    assertThat(many).as("no flush or compaction thread per partition")
        .noneMatch(n -> n.equals("distkv-flush") || n.equals("distkv-compaction"))
        .anyMatch(n -> n.contains("distkv-storage-dispatcher"));
    // (before the node-wide Compactor: two threads per store, 3 × 60 × 2 = 360 more here)
    assertThat(many.size() - few.size()).as("threads with 3×64 partitions (%d) vs 3×4 (%d)", many.size(), few.size())
        .isLessThanOrEqualTo(12);
  }
}
