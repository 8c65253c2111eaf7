package io.distkv.server.router;

import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.placement.Placement;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.NodeInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import io.distkv.common.protocol.PartitionState;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.Role;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the cluster view a router answers {@code GetClusterInfo} with, from the Raft statuses its
 * replicas returned: a partition is ACTIVE when a replica leads at the highest term any replica
 * reported, READONLY when replicas answer but none leads (or only a deposed leader does), OFFLINE
 * when none answers. A node is reachable when any of its replicas answered, or (a node holding
 * no replicas, e.g. one that joined and awaits add-node) when {@code upMember} says it is an Up
 * member of the Pekko Cluster.
 */
final class ClusterView {
  private ClusterView() {}

  static ClusterInfo of(Placement placement, Map<NodeId, String> addresses,
      Map<Integer, Map<String, RaftReplica.Status>> statuses, java.util.function.Predicate<String> upMember) {
    List<PartitionInfo> partitions = new ArrayList<>();
    Set<String> reachable = new HashSet<>();
    Map<String, Integer> leaders = new HashMap<>();
    Map<String, Integer> hosted = new HashMap<>();
    for (int p = 0; p < placement.partitionCount(); p++) {
      List<String> replicas = placement.replicasOf(PartitionId.of(p)).nodes().stream().map(NodeId::value).toList();
      replicas.forEach(r -> hosted.merge(r, 1, Integer::sum));
      Map<String, RaftReplica.Status> answers = statuses.getOrDefault(p, Map.of());
      reachable.addAll(answers.keySet());
      long maxTerm = answers.values().stream().mapToLong(RaftReplica.Status::term).max().orElse(0);
      long commit = answers.values().stream().mapToLong(RaftReplica.Status::commitIndex).max().orElse(0);
      RaftReplica.Status leading = answers.values().stream()
          .filter(s -> s.role() == Role.LEADER && s.term() == maxTerm).findFirst().orElse(null);
      String leader = leading == null ? null : leading.id();
      if (leading != null) {
        commit = leading.commitIndex();
      }
      // Live keys as the leader applied them, else as the most advanced replica that answered did.
      RaftReplica.Status counted = leading != null ? leading
          : answers.values().stream().max(Comparator.comparingLong(RaftReplica.Status::appliedIndex)).orElse(null);
      long keys = counted == null ? -1 : counted.liveKeys();
      PartitionState state = answers.isEmpty() ? PartitionState.OFFLINE
          : leader != null ? PartitionState.ACTIVE : PartitionState.READONLY;
      if (leader != null) {
        leaders.merge(leader, 1, Integer::sum);
      }
      partitions.add(new PartitionInfo(p, replicas, leader, maxTerm, commit, state, keys));
    }
    List<NodeInfo> nodes = new ArrayList<>();
    for (Map.Entry<NodeId, String> e : addresses.entrySet()) {
      String id = e.getKey().value();
      int replicas = hosted.getOrDefault(id, 0);
      boolean up = reachable.contains(id) || (replicas == 0 && upMember.test(e.getValue()));
      nodes.add(new NodeInfo(id, e.getValue(), up, replicas,
          leaders.getOrDefault(id, 0)));
    }
    return new ClusterInfo(placement.partitionCount(), nodes, partitions, placement.settings().hashTags());
  }
}
