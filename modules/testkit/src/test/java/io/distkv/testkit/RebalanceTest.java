package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.client.BlockingDistKvClient;
import io.distkv.client.DistKvClient;
import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.placement.Placement;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.PartitionState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Membership changes move replicas with Raft learners while writes go on: a fourth node joins the
 * Pekko Cluster and {@code add-node} levels the replicas onto it; {@code remove-node} then empties
 * the first node, which is stopped; no acknowledged write is lost at any point.
 */
@Tag("phase4")
class RebalanceTest {
  static final int PARTITIONS = 8;

  @Test
  void addNodeMovesReplicasOntoItAndRemoveNodeEmptiesANodeWhileWritesContinue() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(PARTITIONS).start();
         DistKvClient client = cluster.newClient()) {
      BlockingDistKvClient kv = client.blocking();
      Map<String, String> acknowledged = new ConcurrentHashMap<>();
      for (int i = 0; i < 100; i++) {
        kv.put("k" + i, "v" + i);
        acknowledged.put("k" + i, "v" + i);
      }
      assertThatThrownBy(() -> kv.addNode("node9")).isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("node9 is not known");
      assertThatThrownBy(() -> kv.removeNode("node9")).isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("holds no replicas");

      TestNode node4 = cluster.addNode(Duration.ofSeconds(30));
      assertThat(node4.runtime().replicas()).isEmpty(); // joined the membership, holds nothing yet
      ClientProtocol.NodeInfo joined = cluster.clusterInfo().nodes().stream().filter(n -> n.id().equals("node4"))
          .findFirst().orElseThrow();
      assertThat(joined.reachable()).as("an Up member with no replicas shows as reachable").isTrue();
      assertThat(joined.replicas()).isZero();
      String summary = whileWriting(kv, acknowledged, "a", () -> kv.addNode("node4"));
      assertThat(summary).contains("replica(s) added");

      // 8 partitions × 3 replicas over 4 nodes: 6 each, node4's taken over with their data.
      Placement target = node4.directory().placement();
      assertThat(target.epoch()).isEqualTo(2);
      assertThat(target.members()).extracting(NodeId::value).containsExactly("node1", "node2", "node3", "node4");
      for (TestNode n : cluster.nodes()) {
        assertThat(n.runtime().replicas()).as("replicas on %s", n.id()).hasSize(6);
        assertThat(n.directory().placement().epoch()).as("placement epoch seen by %s", n.id()).isEqualTo(2);
      }
      ClusterInfo info = awaitHealthy(cluster);
      for (PartitionInfo p : info.partitions()) {
        assertThat(p.replicas()).containsExactlyInAnyOrderElementsOf(
            target.replicasOf(PartitionId.of(p.partition())).nodes().stream().map(NodeId::value).toList());
      }
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        int p = kv.partitionOf(e.getKey().getBytes(StandardCharsets.UTF_8));
        if (node4.runtime().replicas().containsKey(p)) {
          assertThat(localRead(node4, e.getKey())).as("%s on node4's own replica", e.getKey()).isEqualTo(e.getValue());
        }
      }

      whileWriting(kv, acknowledged, "b", () -> kv.removeNode("node1"));
      TestNode node1 = cluster.node(1);
      assertThat(node1.runtime().replicas()).isEmpty();
      assertThat(storesLeft(node1)).as("node1's partition stores, deleted").isEmpty();
      node1.stop();
      for (TestNode n : List.of(cluster.node(2), cluster.node(3), node4)) {
        assertThat(n.runtime().replicas()).as("replicas on %s", n.id()).hasSize(PARTITIONS);
      }
      awaitHealthy(cluster);
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        assertThat(kv.get(e.getKey())).as(e.getKey()).contains(e.getValue());
      }
      kv.put("after", "removal");
      assertThat(kv.get("after")).contains("removal");
    }
  }

  @Test
  void aNodeRemovedWhileDownDropsItsStaleReplicasWhenItComesBack() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(4).partitions(PARTITIONS).start();
         DistKvClient client = cluster.newClient()) {
      BlockingDistKvClient kv = client.blocking();
      for (int i = 0; i < 50; i++) {
        kv.put("k" + i, "v" + i);
      }
      TestNode node2 = cluster.node(2);
      assertThat(node2.runtime().replicas()).hasSize(6);
      node2.stop();
      String summary = kv.removeNode("node2");
      assertThat(summary).contains("6 replica(s) added, 6 removed").contains("node2 drops it by itself when it is back");
      for (PartitionInfo p : awaitHealthy(cluster).partitions()) {
        assertThat(p.replicas()).doesNotContain("node2");
      }
      node2.start(); // its stores and Raft log still hold the six replicas
      // The orphan check runs every 5 s.
      // A replica leaves the hosted set first; its store is deleted once its Raft group is removed
      // from the node's log, a moment later.
      cluster.await("node2 dropped its stale replicas and deleted their stores", Duration.ofSeconds(30),
          () -> node2.runtime().replicas().isEmpty() && storesLeft(node2).isEmpty());
      for (int i = 0; i < 50; i++) {
        assertThat(kv.get("k" + i)).contains("v" + i);
      }
    }
  }

  interface Op {
    String run();
  }

  /** Runs {@code op} while another thread keeps writing; returns op's result once both are done. */
  static String whileWriting(BlockingDistKvClient kv, Map<String, String> acknowledged, String prefix, Op op)
      throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger failures = new AtomicInteger();
    Thread writer = new Thread(() -> {
      for (int i = 0; !stop.get(); i++) {
        String k = "k" + (i % 150);
        String v = prefix + i;
        try {
          kv.put(k, v);
          acknowledged.put(k, v);
        } catch (RuntimeException e) {
          failures.incrementAndGet(); // a write that timed out is not acknowledged; it may or may not apply
          acknowledged.remove(k); // so its key's final value is not known
        }
      }
    }, "writer-" + prefix);
    writer.start();
    try {
      return op.run();
    } finally {
      stop.set(true);
      writer.join(30_000);
    }
  }

  static ClusterInfo awaitHealthy(DistKvTestCluster cluster) {
    return LeaderBalancerTest.await(cluster, info -> info.partitions().stream()
        .allMatch(p -> p.state() == PartitionState.ACTIVE && p.replicas().size() == 3), "every partition ACTIVE with 3 replicas");
  }

  static java.util.List<java.nio.file.Path> storesLeft(TestNode node) {
    try (var left = Files.list(node.dataDir().resolve("partitions"))) {
      return left.toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String localRead(TestNode node, String key) throws Exception {
    ClientProtocol.Reply r = node.ask((id, reply) -> new ClientProtocol.Get(id, 5_000, false,
        key.getBytes(StandardCharsets.UTF_8), Consistency.EVENTUAL, reply), Duration.ofSeconds(5));
    assertThat(r.isOk()).as("eventual read of %s on %s: %s", key, node.id(), r.message()).isTrue();
    assertThat(r.servedBy()).isEqualTo(node.id());
    return r.result().value() == null ? null : new String(r.result().value(), StandardCharsets.UTF_8);
  }
}
