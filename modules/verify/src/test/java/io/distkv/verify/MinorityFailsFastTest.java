package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.common.concurrent.Poll;
import io.distkv.common.error.NoQuorumException;
import io.distkv.common.error.ReadOnlyException;
import io.distkv.common.protocol.Consistency;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes; every partition's leadership moved to node1; then node2 and node3 are
 * frozen (SIGSTOP) and stay frozen (down-unreachable-after is 60 s, so nobody is downed). Once
 * node1's failure detector marks both unreachable, a write through node1 is refused READ_ONLY and
 * a linearizable read NO_QUORUM within 1 s although the deadline is 10 s (the router answers from
 * what the failure detector knows instead of trying silent replicas until the deadline, and the
 * client asks the node that refused again instead of a silent replica), and an eventual read
 * still answers (the client's 1 s attempt timeout moves it past a frozen replica).
 */
@Tag("phase4")
class MinorityFailsFastTest {
  @TempDir Path tmp;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aSurvivorWithTwoOfThreeNodesFrozenRefusesAtOnce() throws Exception {
    String conf = "distkv { partitions = 4, cluster.down-unreachable-after = 60s, client.request-timeout = 10s }";
    try (NodeCluster cluster = new NodeCluster(NodeCluster.classPathLaunch(System.getProperty("java.class.path"), "384m"),
        tmp, 3, conf)) {
      cluster.startAll();
      cluster.awaitReady(Duration.ofSeconds(120));
      ClientSettings settings = ClientSettings.builder().contactPoints(List.of(cluster.contactPoints().get(0)))
          .requestTimeout(Duration.ofSeconds(10)).attemptTimeout(Duration.ofSeconds(1)).build();
      try (DistKvClient client = DistKvClient.connect(settings)) {
        assertThat(client.blocking().put(b("k"), b("v"))).isPositive();
        for (int p = 0; p < 4; p++) {
          client.transferLeader(p, "node1").toCompletableFuture().get();
        }
        awaitTrue("node1 leads every partition", () -> client.blocking().clusterInfo().partitions().stream()
            .allMatch(pi -> "node1".equals(pi.leader())));
        client.blocking().clusterInfo(); // the client's leader cache now points at node1 for every partition

        awaitTrue("node1 sees all three nodes as members, none unreachable", () -> cluster.seesEveryNodeReachable(0));

        cluster.pause(1);
        cluster.pause(2);
        awaitTrue("node1's failure detector marks node2 and node3 unreachable", () -> {
          String unreachable = (String) cluster.jmxAttribute(0, "pekko:type=Cluster", "Unreachable");
          return unreachable.contains(cluster.address(1)) && unreachable.contains(cluster.address(2));
        });

        long t0 = System.nanoTime();
        Throwable write = catchThrowable(() -> client.blocking().put(b("k"), b("minority")));
        long writeMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(write).isInstanceOf(ReadOnlyException.class).hasMessageContaining("unreachable");
        t0 = System.nanoTime();
        Throwable read = catchThrowable(() -> client.blocking().get(b("k")));
        long readMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(read).isInstanceOf(NoQuorumException.class);
        // Answered from what the failure detector knows, not by waiting out the 10 s deadline
        // (measured: tens of milliseconds).
        assertThat(writeMillis).as("READ_ONLY after %d ms", writeMillis).isLessThan(1_000);
        assertThat(readMillis).as("NO_QUORUM after %d ms", readMillis).isLessThan(1_000);
        System.out.printf("READ_ONLY after %d ms, NO_QUORUM after %d ms (deadline 10 s)%n", writeMillis, readMillis);
        assertThat(client.blocking().get(b("k"), Consistency.EVENTUAL).map(v -> new String(v.value(), StandardCharsets.UTF_8)))
            .isEqualTo(Optional.of("v"));
      }
    }
  }

  static void awaitTrue(String what, java.util.concurrent.Callable<Boolean> condition) throws InterruptedException {
    Poll.await(what, Duration.ofSeconds(60), Duration.ofMillis(200), condition);
  }
}
