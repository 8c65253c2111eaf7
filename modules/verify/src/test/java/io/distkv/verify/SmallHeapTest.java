package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.client.DistKvClient;
import io.distkv.client.Versioned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes with {@code -Xmx256m}, 64 partitions (each node holds a replica of all of
 * them) and the default configuration: memory budgets are shares of the heap. A write workload
 * of 300 MiB (more than the heap: without the node-wide Raft log budget the replicas' logs alone
 * held it all, 64 × ~5 MiB) runs without an OutOfMemoryError, the logs stay within about their
 * budget, and every write is read back.
 */
@Tag("phase6")
class SmallHeapTest {
  static final int VALUE_BYTES = 16 << 10;
  static final int KEYS = 19_200; // 300 MiB
  static final int IN_FLIGHT = 64;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp; // node logs stay for a failed run

  static byte[] key(int i) {
    return SnapshotKillTest.key(i);
  }

  static byte[] value(int i) {
    return SnapshotKillTest.value(i, VALUE_BYTES);
  }

  @Test
  void sixtyFourPartitionsTakeAWriteWorkloadLargerThanTheHeapOn256MiB() throws Exception {
    String conf = "distkv.partitions = 64\n";
    try (NodeCluster cluster = new NodeCluster(NodeCluster.classPathLaunch(System.getProperty("java.class.path"), "256m"),
        tmp.resolve("cluster"), 3, conf)) {
      cluster.startAll();
      cluster.awaitReady(Duration.ofSeconds(120));
      try (DistKvClient client = DistKvClient.connect(cluster.clientSettings(Duration.ofSeconds(60), Duration.ofSeconds(5)))) {
        ArrayDeque<CompletableFuture<Long>> writes = new ArrayDeque<>();
        for (int i = 0; i < KEYS; i++) {
          writes.add(client.put(key(i), value(i)).toCompletableFuture());
          if (writes.size() == IN_FLIGHT) {
            writes.poll().get(60, TimeUnit.SECONDS);
          }
        }
        for (CompletableFuture<Long> w : writes) {
          w.get(60, TimeUnit.SECONDS);
        }

        for (int node = 0; node < 3; node++) {
          assertThat(cluster.isRunning(node)).as("%s is running", NodeCluster.id(node)).isTrue();
          String storage = "io.distkv:type=Storage,name=" + NodeCluster.id(node);
          long budget = (Long) cluster.jmxAttribute(node, storage, "RaftLogBudget");
          assertThat(budget).as("the default log budget: a tenth of 256 MiB").isBetween(20L << 20, 26L << 20);
          assertThat((Long) cluster.jmxAttribute(node, storage, "RaftLogShrinksAsked"))
              .as("%s's log budget compacted logs", NodeCluster.id(node)).isPositive();
          // A log asked to compact first waits for its store's flush, so the total may run past the budget briefly.
          assertThat((Long) cluster.jmxAttribute(node, storage, "RaftLogBytes"))
              .as("%s's Raft logs in memory", NodeCluster.id(node)).isLessThan(2 * budget);
        }

        ArrayDeque<CompletableFuture<Optional<Versioned>>> reads = new ArrayDeque<>();
        for (int i = 0; i < KEYS; i++) {
          reads.add(client.get(key(i)).toCompletableFuture());
          if (reads.size() == IN_FLIGHT || i == KEYS - 1) {
            int k = i - reads.size() + 1;
            for (CompletableFuture<Optional<Versioned>> r : reads) {
              Optional<Versioned> v = r.get(60, TimeUnit.SECONDS);
              assertThat(v).as("key %d", k).isPresent();
              assertThat(v.get().value()).as("value of key %d", k).isEqualTo(value(k));
              k++;
            }
            reads.clear();
          }
        }
      }
      for (int node = 0; node < 3; node++) {
        assertThat(SnapshotKillTest.log(cluster, node)).as("%s's log", NodeCluster.id(node))
            .doesNotContain("OutOfMemoryError");
      }
    }
  }
}
