package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.NodeInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Leaders move onto the placement's preferred leaders, evenly spread, and come back after a manual move. */
@Tag("phase2")
class LeaderBalancerTest {
  static ClusterInfo await(DistKvTestCluster cluster, Predicate<ClusterInfo> condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    ClusterInfo info = cluster.clusterInfo();
    while (!condition.test(info) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      info = cluster.clusterInfo();
    }
    assertThat(condition.test(info)).as(what + ": " + info).isTrue();
    return info;
  }

  static String preferred(DistKvTestCluster cluster, int p) {
    return cluster.placement().replicasOf(PartitionId.of(p)).preferredLeader().map(NodeId::value).orElseThrow();
  }

  @Test
  void leadersSettleOnPreferredLeadersAndReturnAfterAManualTransfer() {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(12)
        .leaderBalanceInterval(Duration.ofMillis(300)).start()) {
      ClusterInfo info = await(cluster, i -> i.partitions().stream().allMatch(p -> preferred(cluster, p.partition()).equals(p.leader())),
          "every partition led by its preferred leader");
      assertThat(info.nodes()).extracting(NodeInfo::leaders).containsOnly(4); // 12 partitions over 3 nodes
      PartitionInfo p0 = info.partitions().get(0);
      String elsewhere = p0.replicas().stream().filter(n -> !n.equals(p0.leader())).findFirst().orElseThrow();
      cluster.newClient().blocking().transferLeader(0, elsewhere);
      // Two leader changes (to `elsewhere`, then back): the term grows by at least two.
      await(cluster, i -> preferred(cluster, 0).equals(i.partitions().get(0).leader())
          && i.partitions().get(0).term() >= p0.term() + 2, "partition 0 moved away and back to its preferred leader");
    }
  }
}
