package io.distkv.common.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.error.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class PlacementTest {
  static Set<NodeId> nodes(int n) {
    return IntStream.rangeClosed(1, n).mapToObj(i -> NodeId.of("node" + i)).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void keyToPartitionIsDeterministicInRangeAndSpread() {
    Partitioner partitioner = new Partitioner(16);
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
      int p = partitioner.indexOf(key);
      assertThat(p).isBetween(0, 15).isEqualTo(new Partitioner(16).indexOf(key.clone()));
      assertThat(partitioner.partitionOf(key)).isEqualTo(PartitionId.of(p));
      used.add(p);
    }
    assertThat(used).hasSize(16);
    assertThatThrownBy(() -> new Partitioner(0)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("1..1024");
    assertThatThrownBy(() -> new Partitioner(1025)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("1025");
  }

  static int part(Partitioner p, String key) {
    return p.indexOf(key.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void hashTagsPlaceKeysThatShareATagInOnePartitionByRedisClustersRules() {
    Partitioner tags = new Partitioner(64, true);
    Partitioner whole = new Partitioner(64, false);
    // A non-empty {tag}: the key hashes as the tag alone.
    for (int i = 0; i < 200; i++) {
      String tag = "user" + i;
      assertThat(part(tags, "{" + tag + "}.name")).isEqualTo(part(tags, tag)).isEqualTo(part(tags, "cart:{" + tag + "}"));
    }
    // The first '{' and the first '}' after it; an empty tag or no '}' hashes the whole key.
    assertThat(slot("foo{bar}{zap}")).isEqualTo(slot("bar"));
    assertThat(slot("foo{{bar}}zap")).isEqualTo(slot("{bar"));
    assertThat(slot("foo{}{bar}")).isNotEqualTo(slot("bar"));
    assertThat(slot("foo{bar")).isNotEqualTo(slot("bar"));
    assertThat(slot("}bar{")).isNotEqualTo(slot("bar"));
    // Off (the default), braces mean nothing: tagged keys spread like any others.
    Set<Integer> spread = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      spread.add(part(whole, "{same}." + i));
    }
    assertThat(spread.size()).isGreaterThan(32);
    assertThat(new PlacementSettings(8, 3, 150).hashTags()).isFalse();
    assertThat(new PlacementSettings(8, 3, 150, true).partitioner().hashTags()).isTrue();
  }

  static int slot(String key) {
    return Partitioner.slotOf(key.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void withHashTagsKeysMapAsRedisClusterMapsThemToSlotsAndSlotsToPartitionsInRanges() {
    // Redis Cluster's reference values (CLUSTER KEYSLOT on a Redis server): CRC16/XMODEM mod 16384.
    assertThat(Partitioner.crc16("123456789".getBytes(StandardCharsets.US_ASCII), 0, 9)).isEqualTo(0x31C3);
    assertThat(slot("foo")).isEqualTo(12182);
    assertThat(slot("bar")).isEqualTo(5061);
    assertThat(slot("hello")).isEqualTo(866);
    assertThat(slot("")).isZero();
    assertThat(slot("{user1000}.following")).isEqualTo(slot("{user1000}.followers")).isEqualTo(slot("user1000"));
    for (int p : new int[] {1, 3, 7, 64, 1024}) {
      Partitioner tags = new Partitioner(p, true);
      assertThat(tags.firstSlot(0)).isZero();
      assertThat(tags.firstSlot(p)).isEqualTo(Partitioner.SLOTS);
      for (int n = 0; n < p; n++) {
        // Partition n holds exactly [firstSlot(n), firstSlot(n + 1)), a non-empty range.
        assertThat(tags.firstSlot(n + 1)).isGreaterThan(tags.firstSlot(n));
        assertThat(tags.partitionOfSlot(tags.firstSlot(n))).isEqualTo(n);
        assertThat(tags.partitionOfSlot(tags.firstSlot(n + 1) - 1)).isEqualTo(n);
      }
      for (int i = 0; i < 500; i++) {
        byte[] key = ("key:" + i).getBytes(StandardCharsets.UTF_8);
        assertThat(tags.indexOf(key)).isEqualTo(tags.partitionOfSlot(Partitioner.slotOf(key)));
      }
    }
    assertThatThrownBy(() -> new Partitioner(8, true).partitionOfSlot(16384)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("16384");
  }

  @Test
  void fiveNodesSixtyFourPartitionsRfThreeIsBalanced() {
    Placement placement = PlacementFunction.initial(nodes(5), PlacementSettings.DEFAULT);
    assertThat(placement.epoch()).isEqualTo(1);
    assertThat(placement.partitionCount()).isEqualTo(64);
    for (ReplicaSet rs : placement.replicaSets()) {
      assertThat(rs.nodes()).hasSize(3).doesNotHaveDuplicates();
    }
    // P*RF/N = 38.4 -> every node 37..40 (the bound); the method actually achieves 38..39.
    placement.replicaCounts().values().forEach(c -> assertThat(c).isBetween(38, 39));
    // P/N = 12.8 -> leaders within +-2: 11..14; the method achieves 12..13.
    placement.leaderCounts().values().forEach(c -> assertThat(c).isBetween(12, 13));
  }

  @Test
  void sameInputsGiveTheSamePlacementOnEveryNode() {
    Placement a = PlacementFunction.initial(nodes(5), PlacementSettings.DEFAULT);
    Placement b = PlacementFunction.initial(new TreeSet<>(nodes(5)).descendingSet(), PlacementSettings.DEFAULT);
    assertThat(a).isEqualTo(b);
    Placement next1 = PlacementFunction.next(a, nodes(6));
    Placement next2 = PlacementFunction.compute(nodes(6), PlacementSettings.DEFAULT, Optional.of(b));
    assertThat(next1).isEqualTo(next2);
  }

  @Test
  void addingANodeMovesReplicasOnlyOntoIt() {
    Placement before = PlacementFunction.initial(nodes(5), PlacementSettings.DEFAULT);
    Placement after = PlacementFunction.next(before, nodes(6));
    NodeId added = NodeId.of("node6");
    assertThat(after.epoch()).isEqualTo(2);
    int moved = PlacementProperties.movedReplicas(before, after, added, null);
    assertThat(moved).isEqualTo(after.replicaCounts().get(added)).isLessThanOrEqualTo(33); // ceil(192/6)+1
    after.replicaCounts().values().forEach(c -> assertThat(c).isBetween(31, 33));
    after.leaderCounts().values().forEach(c -> assertThat(c).isBetween(8, 13));
  }

  @Test
  void removingANodeMovesOnlyItsReplicas() {
    Placement before = PlacementFunction.initial(nodes(5), PlacementSettings.DEFAULT);
    NodeId gone = NodeId.of("node3");
    Set<NodeId> survivors = new TreeSet<>(nodes(5));
    survivors.remove(gone);
    Placement after = PlacementFunction.next(before, survivors);
    int moved = PlacementProperties.movedReplicas(before, after, null, gone);
    assertThat(moved).isEqualTo(before.replicaCounts().get(gone));
    for (ReplicaSet rs : after.replicaSets()) {
      assertThat(rs.nodes()).hasSize(3).doesNotHaveDuplicates().doesNotContain(gone);
    }
    after.replicaCounts().values().forEach(c -> assertThat(c).isBetween(47, 49)); // 192/4 = 48
    assertThat(after.partitionsOn(gone)).isEmpty();
  }

  @Test
  void epochGrowsWithEveryChangeAndNotOtherwise() {
    Placement p1 = PlacementFunction.initial(nodes(3), PlacementSettings.DEFAULT);
    Placement p2 = PlacementFunction.next(p1, nodes(4));
    Placement same = PlacementFunction.next(p2, nodes(4));
    Placement p3 = PlacementFunction.next(p2, nodes(3));
    assertThat(List.of(p1.epoch(), p2.epoch(), same.epoch(), p3.epoch())).containsExactly(1L, 2L, 2L, 3L);
  }

  @Test
  void fewerNodesThanReplicationFactorPlacesOnAllNodes() {
    Placement p = PlacementFunction.initial(nodes(2), PlacementSettings.DEFAULT);
    p.replicaSets().forEach(rs -> assertThat(rs.nodes()).hasSize(2));
    Placement grown = PlacementFunction.next(p, nodes(3));
    grown.replicaSets().forEach(rs -> assertThat(rs.nodes()).hasSize(3));
    Map<NodeId, Integer> leaders = grown.leaderCounts();
    leaders.values().forEach(c -> assertThat(c).isBetween(21, 22));
  }

  @Test
  void emptyMembershipHasEmptyReplicaSets() {
    Placement p = PlacementFunction.initial(Set.of(), PlacementSettings.DEFAULT);
    assertThat(p.replicaSets()).allSatisfy(rs -> assertThat(rs.nodes()).isEmpty());
    Placement grown = PlacementFunction.next(p, nodes(3));
    assertThat(grown.epoch()).isEqualTo(2);
    grown.replicaSets().forEach(rs -> assertThat(rs.nodes()).hasSize(3));
  }

  @Test
  void settingsAreFixedAtCreation() {
    Placement p = PlacementFunction.initial(nodes(3), PlacementSettings.DEFAULT);
    assertThatThrownBy(() -> PlacementFunction.compute(nodes(3), new PlacementSettings(32, 3, 150), Optional.of(p)))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("fixed at cluster creation");
    assertThatThrownBy(() -> new PlacementSettings(0, 3, 150)).hasMessageContaining("partition count must be 1..1024");
    assertThatThrownBy(() -> p.replicasOf(PartitionId.of(64))).hasMessageContaining("partition 64 does not exist");
  }
}
