package io.distkv.common.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.NodeId;
import io.distkv.common.error.AlreadyExistsException;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.NotFoundException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class HashRingTest {
  private static final NodeId N1 = NodeId.of("node1");
  private static final NodeId N2 = NodeId.of("node2");
  private static final NodeId N3 = NodeId.of("node3");
  private static final NodeId N4 = NodeId.of("node4");
  private static final NodeId N5 = NodeId.of("node5");

  private static byte[] key(int i) {
    return ("key-" + i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void newRingIsEmptyAndHasNoOwner() {
    HashRing ring = new HashRing();
    assertThat(ring.nodeCount()).isZero();
    assertThat(ring.vnodesPerNode()).isEqualTo(150);
    assertThat(ring.replicationFactor()).isEqualTo(3);
    assertThat(ring.ownerOf(key(1))).isEmpty();
    assertThat(ring.replicasFor(key(1))).isEmpty();
    HashRing custom = new HashRing(100, 3);
    assertThat(custom.vnodesPerNode()).isEqualTo(100);
  }

  @Test
  void rejectsBadSettingsNamingTheValue() {
    assertThatThrownBy(() -> new HashRing(0, 3)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("was 0");
    assertThatThrownBy(() -> new HashRing(150, 0)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("1..7");
    assertThatThrownBy(() -> new HashRing(150, 8)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("was 8");
  }

  @Test
  void addRemoveDuplicateAndUnknownNodes() {
    HashRing ring = new HashRing();
    ring.addNode(N1);
    ring.addNode(N2);
    assertThat(ring.nodeCount()).isEqualTo(2);
    assertThat(ring.contains(N1)).isTrue();
    assertThatThrownBy(() -> ring.addNode(N1)).isInstanceOf(AlreadyExistsException.class).hasMessageContaining("node1");
    ring.removeNode(N1);
    assertThat(ring.contains(N1)).isFalse();
    assertThat(ring.nodeCount()).isEqualTo(1);
    assertThat(ring.stats().totalVnodes()).isEqualTo(150);
    assertThatThrownBy(() -> ring.removeNode(NodeId.of("node99")))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("node99");
  }

  @Test
  void routingIsDeterministicAndUsesSeveralNodes() {
    HashRing a = HashRing.of(150, 3, List.of(N1, N2, N3));
    HashRing b = HashRing.of(150, 3, List.of(N3, N1, N2)); // insertion order must not matter
    Set<NodeId> used = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      NodeId owner = a.ownerOf(key(i)).orElseThrow();
      assertThat(a.ownerOf(key(i))).contains(owner);
      assertThat(b.ownerOf(key(i))).contains(owner);
      used.add(owner);
    }
    assertThat(used).containsExactlyInAnyOrder(N1, N2, N3);
  }

  @Test
  void replicasAreDistinctAndFirstIsOwner() {
    HashRing ring = HashRing.of(150, 3, List.of(N1, N2, N3, N4, N5));
    for (int i = 0; i < 1000; i++) {
      List<NodeId> replicas = ring.replicasFor(key(i));
      assertThat(replicas).hasSize(3).doesNotHaveDuplicates();
      assertThat(replicas.get(0)).isEqualTo(ring.ownerOf(key(i)).orElseThrow());
    }
    HashRing small = HashRing.of(150, 3, List.of(N1, N2));
    assertThat(small.replicasFor(key(7))).hasSize(2).doesNotHaveDuplicates();
  }

  @Test
  void fiveNodesShareTenThousandKeysWithinTenPercentOfTheMean() {
    HashRing ring = HashRing.of(150, 3, List.of(N1, N2, N3, N4, N5));
    Map<NodeId, Integer> counts = new HashMap<>();
    int keys = 10_000;
    for (int i = 0; i < keys; i++) {
      counts.merge(ring.ownerOf(key(i)).orElseThrow(), 1, Integer::sum);
    }
    double mean = keys / 5.0;
    assertThat(counts).hasSize(5);
    counts.forEach((node, c) -> assertThat(c).as("keys on %s", node).isBetween((int) (mean * 0.9), (int) (mean * 1.1)));
    RingStats stats = ring.stats();
    assertThat(stats.nodeCount()).isEqualTo(5);
    assertThat(stats.totalVnodes()).isEqualTo(750);
    assertThat(stats.meanVnodes()).isEqualTo(150.0);
    assertThat(stats.stddevVnodes()).isZero();
    assertThat(stats.ownership().values().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(stats.maxOverMeanShare()).isBetween(1.0, 1.1);
    assertThat(stats.minOverMeanShare()).isBetween(0.9, 1.0);
  }

  @Test
  void growingThreeToFourNodesMovesAQuarterOfKeysOnlyOntoTheNewNode() {
    HashRing ring = HashRing.of(150, 3, List.of(N1, N2, N3));
    int keys = 10_000;
    NodeId[] before = new NodeId[keys];
    for (int i = 0; i < keys; i++) {
      before[i] = ring.ownerOf(key(i)).orElseThrow();
    }
    ring.addNode(N4);
    int moved = 0;
    for (int i = 0; i < keys; i++) {
      NodeId after = ring.ownerOf(key(i)).orElseThrow();
      if (!after.equals(before[i])) {
        moved++;
        assertThat(after).as("key %d moved between surviving nodes", i).isEqualTo(N4);
      }
    }
    assertThat(moved / (double) keys).isBetween(0.20, 0.30);
    // Removing the node again restores the original owners exactly.
    ring.removeNode(N4);
    for (int i = 0; i < keys; i++) {
      assertThat(ring.ownerOf(key(i))).contains(before[i]);
    }
  }

  @Test
  void ownerWrapsAroundPastTheLastPoint() {
    HashRing ring = HashRing.of(1, 1, List.of(N1, N2));
    long p1 = HashRing.vnodePosition(N1, 0);
    long p2 = HashRing.vnodePosition(N2, 0);
    long last = Long.compareUnsigned(p1, p2) > 0 ? p1 : p2;
    NodeId first = Long.compareUnsigned(p1, p2) > 0 ? N2 : N1;
    assertThat(ring.ownerOfHash(last + 1)).contains(first);
    assertThat(ring.ownerOfHash(-1L)).contains(last == -1L ? (first == N1 ? N2 : N1) : first);
    assertThat(ring.ownerOfHash(last)).contains(first == N1 ? N2 : N1);
  }
}
