package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.client.BlockingDistKvClient;
import io.distkv.client.DistKvClient;
import io.distkv.common.config.StorageSettings;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.Consistency;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.SnapshotPolicy;
import io.distkv.storage.LsmOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A replica that joins a partition whose log was compacted catches up by snapshot: a checkpoint
 * of the leader's store, streamed file by file from disk to disk (docs/raft.md "Snapshots").
 * The partition holds many times each node's storage budgets (write buffer, block cache, log
 * compaction threshold), so neither side could hold it in memory on their terms.
 */
@Tag("phase4")
class SnapshotTransferTest {
  static final int VALUE_BYTES = 16 * 1024;
  static final int PARTITIONS = 4;
  static final int KEYS = 1024; // 16 MiB of values, ~4 MiB per partition: 32× the write buffer and the block cache

  static byte[] value(int i) {
    byte[] v = new byte[VALUE_BYTES];
    Arrays.fill(v, (byte) i);
    v[0] = (byte) (i >> 8);
    return v;
  }

  static String key(int i) {
    return "key-" + i;
  }

  @Test
  void aNewReplicaOfALargePartitionIsBroughtUpByAStreamedSnapshotAndServesEveryKey() throws Exception {
    LsmOptions small = LsmOptions.builder().writeBufferBytes(128 << 10).build();
    // Each node: a 128 KiB block cache and 512 KiB of memtables for all its partitions.
    StorageSettings budgets = new StorageSettings(128 << 10, 128 << 10, 512 << 10, 2, false, 10);
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(PARTITIONS).lsmOptions(small)
        .storageSettings(budgets)
        .snapshotPolicy(new SnapshotPolicy(50, 256 << 10)).start();
         DistKvClient client = cluster.newClient()) {
      BlockingDistKvClient kv = client.blocking();
      for (int i = 0; i < KEYS; i++) {
        kv.put(key(i).getBytes(StandardCharsets.UTF_8), value(i));
      }
      // Every replica compacted its log: a newcomer cannot be caught up from it.
      cluster.await("every replica compacted its log", Duration.ofSeconds(30),
          () -> cluster.nodes().stream().allMatch(n -> n.runtime().replicas().keySet().stream()
              .allMatch(p -> status(n, p).snapshotIndex() > 0)));

      TestNode node4 = cluster.addNode(Duration.ofSeconds(30));
      // 4 partitions × 3 replicas over 4 nodes: node4 takes over three replicas, each by snapshot.
      String summary = kv.addNode("node4");
      assertThat(summary).contains("3 replica(s) added");
      assertThat(node4.runtime().replicas()).hasSize(3);
      for (int p : node4.runtime().replicas().keySet()) {
        assertThat(status(node4, p).snapshotIndex()).as("node4's replica of p%d started from a snapshot", p).isPositive();
      }
      int served = 0;
      for (int i = 0; i < KEYS; i++) {
        if (node4.runtime().replicas().containsKey(kv.partitionOf(b(key(i))))) {
          assertThat(localRead(node4, key(i))).as("%s on node4's own replica", key(i)).isEqualTo(value(i));
          served++;
        }
      }
      assertThat(served).isGreaterThan(KEYS / 2);
      assertThat(snapshotFilesLeft(node4)).as("the received snapshot was taken over by the store").isEmpty();
      kv.put(b("after"), b("the move"));
      assertThat(kv.get(b("after")).orElseThrow().value()).isEqualTo(b("the move"));
    }
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static RaftReplica.Status status(TestNode n, int partition) {
    try {
      return AskPattern.<RaftReplica.Command, RaftReplica.Status>ask(n.runtime().replicas().get(partition),
          RaftReplica.GetStatus::new, Duration.ofSeconds(5), n.system().scheduler()).toCompletableFuture().get();
    } catch (Exception e) {
      throw new IllegalStateException("no status from " + n.id(), e);
    }
  }

  static java.util.List<Path> snapshotFilesLeft(TestNode n) throws Exception {
    Path snapshots = n.dataDir().resolve("snapshots");
    if (!Files.exists(snapshots)) {
      return java.util.List.of();
    }
    try (Stream<Path> s = Files.walk(snapshots)) {
      return s.filter(f -> Files.isRegularFile(f) && f.toString().contains("/in/")).toList();
    }
  }

  static byte[] localRead(TestNode node, String key) throws Exception {
    ClientProtocol.Reply r = node.ask((id, reply) -> new ClientProtocol.Get(id, 5_000, false,
        key.getBytes(StandardCharsets.UTF_8), Consistency.EVENTUAL, reply), Duration.ofSeconds(5));
    assertThat(r.isOk()).as("eventual read of %s on %s: %s", key, node.id(), r.message()).isTrue();
    return r.result().value();
  }
}
