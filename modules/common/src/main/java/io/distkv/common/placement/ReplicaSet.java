package io.distkv.common.placement;

import io.distkv.common.NodeId;
import io.distkv.common.error.InvalidArgumentException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/** The distinct nodes holding one partition; the first is the preferred leader. */
public record ReplicaSet(List<NodeId> nodes) {
  public ReplicaSet {
    nodes = List.copyOf(nodes);
    if (new HashSet<>(nodes).size() != nodes.size()) {
      throw new InvalidArgumentException("replica set has duplicate nodes: " + nodes);
    }
  }

  public static ReplicaSet of(NodeId... nodes) {
    return new ReplicaSet(List.of(nodes));
  }

  public Optional<NodeId> preferredLeader() {
    return nodes.isEmpty() ? Optional.empty() : Optional.of(nodes.get(0));
  }

  public boolean contains(NodeId node) {
    return nodes.contains(node);
  }

  public int size() {
    return nodes.size();
  }
}
