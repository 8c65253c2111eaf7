package io.distkv.common.placement;

import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.error.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A versioned partition → replica-set map. The epoch grows by one with every membership change, so
 * any layer can tell an older map from a newer one. Built by {@link PlacementFunction}.
 *
 * @param epoch version of this map; 1 for the first placement of a cluster
 * @param settings partition count, replication factor and vnodes it was computed with
 * @param members the nodes it places onto
 * @param replicaSets one replica set per partition, indexed by partition number
 */
public record Placement(long epoch, PlacementSettings settings, SortedSet<NodeId> members, List<ReplicaSet> replicaSets) {
  public Placement {
    members = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(members));
    replicaSets = List.copyOf(replicaSets);
    if (replicaSets.size() != settings.partitions()) {
      throw new InvalidArgumentException(
          "placement has " + replicaSets.size() + " replica sets for " + settings.partitions() + " partitions");
    }
    if (epoch < 1) {
      throw new InvalidArgumentException("placement epoch must be >= 1, was " + epoch);
    }
  }

  public int partitionCount() {
    return replicaSets.size();
  }

  public ReplicaSet replicasOf(PartitionId partition) {
    if (partition.value() >= replicaSets.size()) {
      throw new InvalidArgumentException(
          "partition " + partition.value() + " does not exist (partition count " + replicaSets.size() + ")");
    }
    return replicaSets.get(partition.value());
  }

  /** Partitions with a replica on {@code node}, ascending. */
  public List<PartitionId> partitionsOn(NodeId node) {
    List<PartitionId> out = new ArrayList<>();
    for (int p = 0; p < replicaSets.size(); p++) {
      if (replicaSets.get(p).contains(node)) {
        out.add(PartitionId.of(p));
      }
    }
    return out;
  }

  /** Replicas hosted by each member (members with none map to 0). */
  public Map<NodeId, Integer> replicaCounts() {
    Map<NodeId, Integer> counts = zeroCounts();
    for (ReplicaSet rs : replicaSets) {
      for (NodeId n : rs.nodes()) {
        counts.merge(n, 1, Integer::sum);
      }
    }
    return counts;
  }

  /** Preferred leaderships held by each member (members with none map to 0). */
  public Map<NodeId, Integer> leaderCounts() {
    Map<NodeId, Integer> counts = zeroCounts();
    for (ReplicaSet rs : replicaSets) {
      rs.preferredLeader().ifPresent(n -> counts.merge(n, 1, Integer::sum));
    }
    return counts;
  }

  private Map<NodeId, Integer> zeroCounts() {
    Map<NodeId, Integer> counts = new TreeMap<>();
    for (NodeId n : members) {
      counts.put(n, 0);
    }
    return counts;
  }
}
