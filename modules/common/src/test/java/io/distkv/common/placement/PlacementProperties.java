package io.distkv.common.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.NodeId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;

/** Placement bounds over random memberships (1–20 nodes, RF 1–7, P 1–1024). */
@Tag("phase1")
class PlacementProperties {

  record Scenario(List<NodeId> nodes, PlacementSettings settings, int changeSeed) {}

  @Provide
  Arbitrary<Scenario> scenarios() {
    Arbitrary<List<NodeId>> members = Arbitraries.strings()
        .withChars("abcdefghijklmnopqrstuvwxyz0123456789")
        .ofMinLength(1)
        .ofMaxLength(10)
        .map(NodeId::of)
        .set()
        .ofMinSize(1)
        .ofMaxSize(20)
        .map(s -> new ArrayList<>(new TreeSet<>(s)));
    Arbitrary<PlacementSettings> settings = Combinators.combine(
            Arbitraries.integers().between(1, 1024), Arbitraries.integers().between(1, 7), Arbitraries.of(1, 16, 150))
        .as(PlacementSettings::new);
    return Combinators.combine(members, settings, Arbitraries.integers().between(0, 1_000_000)).as(Scenario::new);
  }

  @Property(tries = 150)
  void firstPlacementIsBalancedAndDistinct(@ForAll("scenarios") Scenario s) {
    Placement p = PlacementFunction.initial(new HashSet<>(s.nodes()), s.settings());
    assertBalanced(p);
  }

  @Property(tries = 150)
  void addingOneNodeMovesReplicasOnlyOntoItAndFew(@ForAll("scenarios") Scenario s) {
    Placement before = PlacementFunction.initial(new HashSet<>(s.nodes()), s.settings());
    NodeId added = NodeId.of("joiner-" + s.changeSeed());
    Set<NodeId> grown = new TreeSet<>(s.nodes());
    grown.add(added);
    Placement after = PlacementFunction.next(before, grown);
    assertBalanced(after);
    int n = grown.size();
    long r = Math.min(s.settings().replicationFactor(), n);
    long bound = (s.settings().partitions() * r + n - 1) / n + 1;
    assertThat((long) movedReplicas(before, after, added, null)).isLessThanOrEqualTo(bound);
  }

  @Property(tries = 150)
  void removingOneNodeMovesOnlyItsReplicas(@ForAll("scenarios") Scenario s) {
    if (s.nodes().size() < 2) {
      return;
    }
    Placement before = PlacementFunction.initial(new HashSet<>(s.nodes()), s.settings());
    NodeId gone = s.nodes().get(s.changeSeed() % s.nodes().size());
    Set<NodeId> shrunk = new TreeSet<>(s.nodes());
    shrunk.remove(gone);
    Placement after = PlacementFunction.next(before, shrunk);
    assertBalanced(after);
    assertThat(movedReplicas(before, after, null, gone)).isLessThanOrEqualTo(before.replicaCounts().get(gone));
  }

  @Property(tries = 60)
  void aSequenceOfJoinsAndLeavesStaysBalanced(@ForAll("scenarios") Scenario s) {
    Placement p = PlacementFunction.initial(new HashSet<>(s.nodes()), s.settings());
    java.util.Random random = new java.util.Random(s.changeSeed());
    for (int step = 0; step < 6; step++) {
      Set<NodeId> members = new TreeSet<>(p.members());
      if (members.size() > 1 && (members.size() >= 20 || random.nextBoolean())) {
        members.remove(new ArrayList<>(members).get(random.nextInt(members.size())));
      } else {
        members.add(NodeId.of("n" + step + "-" + random.nextInt(1000)));
      }
      p = PlacementFunction.next(p, members);
      assertBalanced(p);
    }
  }

  static void assertBalanced(Placement p) {
    int n = p.members().size();
    int partitions = p.settings().partitions();
    int r = Math.min(p.settings().replicationFactor(), n);
    for (ReplicaSet rs : p.replicaSets()) {
      assertThat(rs.nodes()).hasSize(r).doesNotHaveDuplicates();
      assertThat(p.members()).containsAll(rs.nodes());
    }
    long total = (long) partitions * r;
    long lo = total / n - 1;
    long hi = (total + n - 1) / n + 1;
    p.replicaCounts().forEach((node, c) -> assertThat((long) c).as("replicas on %s of %s", node, p.replicaCounts()).isBetween(lo, hi));
    double leaderMean = (double) partitions / n;
    p.leaderCounts().forEach((node, c) ->
        assertThat((double) c).as("leaders on %s of %s", node, p.leaderCounts()).isBetween(leaderMean - 2, leaderMean + 2));
  }

  /**
   * Replicas that landed on a node that did not hold them before; asserts they landed only on
   * {@code added} (when given) and that survivors lost nothing but {@code removed} (when given).
   */
  static int movedReplicas(Placement before, Placement after, NodeId added, NodeId removed) {
    int moved = 0;
    for (int i = 0; i < before.partitionCount(); i++) {
      List<NodeId> old = before.replicaSets().get(i).nodes();
      List<NodeId> now = after.replicaSets().get(i).nodes();
      for (NodeId node : now) {
        if (!old.contains(node)) {
          moved++;
          if (added != null) {
            assertThat(node).as("partition %d gained a replica on a surviving node", i).isEqualTo(added);
          }
        }
      }
      if (removed != null) {
        for (NodeId node : old) {
          if (!node.equals(removed)) {
            assertThat(now).as("partition %d lost a replica on a surviving node", i).contains(node);
          }
        }
      }
    }
    return moved;
  }
}
