package io.distkv.common.placement;

import io.distkv.common.NodeId;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.ring.HashRing;
import io.distkv.common.ring.KeyHash;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Partition → replica-set placement as a pure, deterministic function of (membership, settings,
 * previous placement): every node computes the same map from the same inputs.
 *
 * <p>Method (see {@code docs/placement.md}):
 *
 * <ul>
 *   <li><b>First placement: consistent hashing with bounded loads.</b> Partition {@code p} sits on the
 *       ring at {@code xxHash64("partition-p")}; its preference list is the distinct nodes met walking
 *       clockwise. Every node gets a replica quota of ⌊P·R/N⌋ or ⌈P·R/N⌉ (R = min(RF, N)); partitions
 *       are filled in order, each taking the first R nodes of its preference list that still have
 *       quota, except that a node whose remaining quota equals the number of partitions left is taken
 *       first (that keeps the fill always feasible with distinct nodes).
 *   <li><b>Later placements: history-aware minimal moves.</b> A departed node's replicas are re-homed
 *       onto survivors by a capacitated bipartite matching (each survivor filled up to ⌊P·R/N'⌋ first,
 *       then to ⌈P·R/N'⌉, candidates tried in ring order); no other replica moves. A joining node takes
 *       replicas one at a time from the most loaded node, choosing the partition whose ring preference
 *       ranks the new node highest, until loads are within one; only the new node gains replicas.
 *   <li><b>Leaders.</b> The preferred leader (first replica) is kept where it still is a replica; then
 *       leader counts are levelled to ⌊P/N⌋..⌈P/N⌉ by shifting leadership along augmenting paths inside
 *       replica sets (a leader change moves no data).
 * </ul>
 */
public final class PlacementFunction {
  private PlacementFunction() {}

  /** The placement for {@code members}: the first one when {@code previous} is empty, else the next. */
  public static Placement compute(Set<NodeId> members, PlacementSettings settings, Optional<Placement> previous) {
    if (previous.isEmpty()) {
      return initial(members, settings);
    }
    Placement prev = previous.get();
    if (!prev.settings().equals(settings)) {
      throw new InvalidArgumentException(
          "placement settings are fixed at cluster creation: previous placement has " + prev.settings()
              + ", requested " + settings);
    }
    return next(prev, members);
  }

  /** The first placement of a cluster (epoch 1). */
  public static Placement initial(Set<NodeId> members, PlacementSettings settings) {
    SortedSet<NodeId> nodes = new TreeSet<>(members);
    int partitions = settings.partitions();
    List<List<NodeId>> sets = new ArrayList<>();
    int n = nodes.size();
    if (n == 0) {
      for (int p = 0; p < partitions; p++) {
        sets.add(List.of());
      }
      return new Placement(1, settings, nodes, toReplicaSets(sets));
    }
    int r = Math.min(settings.replicationFactor(), n);
    HashRing ring = ring(nodes, settings);
    long total = (long) partitions * r;
    long base = total / n;
    long extra = total % n;
    Map<NodeId, Long> remaining = new TreeMap<>();
    int i = 0;
    for (NodeId node : nodes) {
      remaining.put(node, base + (i++ < extra ? 1 : 0));
    }
    Map<List<NodeId>, Integer> together = new HashMap<>(); // (a, b) -> partitions holding both
    for (int p = 0; p < partitions; p++) {
      long left = partitions - p;
      List<NodeId> set = new ArrayList<>();
      for (NodeId node : nodes) {
        if (remaining.get(node) == left) {
          set.add(node); // must appear in every remaining partition, or its quota cannot be met
        }
      }
      for (int slot = set.size(); slot < r; slot++) {
        // Among nodes with quota left, the one sharing the fewest partitions with those already
        // chosen; ties (the common case) go to ring order from this slot's point.
        NodeId best = null;
        int bestShared = Integer.MAX_VALUE;
        for (NodeId node : slotPreference(ring, p, slot, n)) {
          if (remaining.get(node) > 0 && !set.contains(node)) {
            int shared = shared(together, node, set);
            if (shared < bestShared) {
              best = node;
              bestShared = shared;
            }
          }
        }
        set.add(best);
      }
      for (NodeId node : set) {
        remaining.merge(node, -1L, Long::sum);
        for (NodeId other : set) {
          if (!other.equals(node)) {
            together.merge(List.of(node, other), 1, Integer::sum);
          }
        }
      }
      sets.add(set);
    }
    balanceLeaders(sets, nodes, partitions);
    return new Placement(1, settings, nodes, toReplicaSets(sets));
  }

  /** The placement after membership becomes {@code members}; epoch + 1 unless nothing changed. */
  public static Placement next(Placement previous, Set<NodeId> members) {
    SortedSet<NodeId> target = new TreeSet<>(members);
    if (target.equals(previous.members())) {
      return previous;
    }
    PlacementSettings settings = previous.settings();
    if (previous.members().isEmpty()) {
      Placement first = initial(target, settings);
      return new Placement(previous.epoch() + 1, settings, target, first.replicaSets());
    }
    List<List<NodeId>> sets = new ArrayList<>();
    for (ReplicaSet rs : previous.replicaSets()) {
      sets.add(new ArrayList<>(rs.nodes()));
    }
    SortedSet<NodeId> current = new TreeSet<>(previous.members());
    for (NodeId gone : difference(previous.members(), target)) {
      current.remove(gone);
      removeNode(sets, current, gone, settings);
    }
    for (NodeId joined : difference(target, previous.members())) {
      current.add(joined);
      addNode(sets, current, joined, settings);
    }
    balanceLeaders(sets, current, settings.partitions());
    return new Placement(previous.epoch() + 1, settings, current, toReplicaSets(sets));
  }

  private static int shared(Map<List<NodeId>, Integer> together, NodeId node, List<NodeId> chosen) {
    int sum = 0;
    for (NodeId other : chosen) {
      sum += together.getOrDefault(List.of(node, other), 0);
    }
    return sum;
  }

  private static HashRing ring(SortedSet<NodeId> nodes, PlacementSettings settings) {
    return HashRing.of(settings.vnodesPerNode(), settings.replicationFactor(), nodes);
  }

  /**
   * The nodes in ring order from replica slot {@code slot} of partition {@code p}, which sits at
   * {@code xxHash64("partition-p/slot")}. Hashing every slot separately (rather than walking on from
   * the first replica) keeps which nodes share partitions well mixed even with few virtual nodes, so
   * a departed node's replicas can always be spread over the survivors.
   */
  static List<NodeId> slotPreference(HashRing ring, int p, int slot, int n) {
    return ring.preferenceList(KeyHash.hash64("partition-" + p + "/" + slot), n);
  }

  private static void removeNode(List<List<NodeId>> sets, SortedSet<NodeId> survivors, NodeId gone, PlacementSettings s) {
    int n = survivors.size();
    if (n == 0) {
      sets.replaceAll(set -> new ArrayList<>());
      return;
    }
    int rBefore = Math.min(s.replicationFactor(), n + 1);
    int rAfter = Math.min(s.replicationFactor(), n);
    if (rAfter < rBefore) {
      for (List<NodeId> set : sets) {
        set.remove(gone);
      }
      return;
    }
    Map<NodeId, Integer> load = counts(sets, survivors);
    long total = (long) s.partitions() * rAfter;
    int floor = (int) (total / n);
    int ceil = (int) ((total + n - 1) / n);
    HashRing ring = ring(survivors, s);
    List<Integer> slots = new ArrayList<>();
    for (int p = 0; p < sets.size(); p++) {
      if (sets.get(p).contains(gone)) {
        slots.add(p);
      }
    }
    SlotMatching matching = new SlotMatching(slots.size());
    for (int i = 0; i < slots.size(); i++) {
      List<NodeId> set = sets.get(slots.get(i));
      List<NodeId> candidates = new ArrayList<>();
      for (NodeId node : slotPreference(ring, slots.get(i), set.indexOf(gone), n)) {
        if (!set.contains(node)) {
          candidates.add(node);
        }
      }
      matching.candidates.add(candidates);
    }
    // Fill each survivor to the floor first, then to the ceiling, then (only if distinctness makes
    // the bounds infeasible) wherever it fits.
    matching.run(node -> Math.max(0, floor - load.get(node)));
    matching.run(node -> Math.max(0, ceil - load.get(node)));
    matching.run(node -> Math.max(0, ceil + 1 - load.get(node)));
    matching.run(node -> Integer.MAX_VALUE);
    for (int i = 0; i < slots.size(); i++) {
      List<NodeId> set = sets.get(slots.get(i));
      set.set(set.indexOf(gone), matching.assigned[i]);
    }
  }

  private static void addNode(List<List<NodeId>> sets, SortedSet<NodeId> members, NodeId joined, PlacementSettings s) {
    int n = members.size();
    int rBefore = Math.min(s.replicationFactor(), n - 1);
    int rAfter = Math.min(s.replicationFactor(), n);
    if (rAfter > rBefore) {
      for (List<NodeId> set : sets) {
        set.add(joined);
      }
      return;
    }
    Map<NodeId, Integer> load = counts(sets, members);
    HashRing ring = ring(members, s);
    while (true) {
      NodeId donor = null;
      for (NodeId node : members) {
        if (!node.equals(joined) && (donor == null || load.get(node) > load.get(donor))) {
          donor = node;
        }
      }
      if (donor == null || load.get(donor) - load.get(joined) <= 1) {
        return;
      }
      int best = -1;
      int bestRank = Integer.MAX_VALUE;
      for (int p = 0; p < sets.size(); p++) {
        List<NodeId> set = sets.get(p);
        if (set.contains(donor) && !set.contains(joined)) {
          int rank = slotPreference(ring, p, set.indexOf(donor), n).indexOf(joined);
          if (rank < bestRank) {
            best = p;
            bestRank = rank;
          }
        }
      }
      List<NodeId> set = sets.get(best);
      set.set(set.indexOf(donor), joined);
      load.merge(donor, -1, Integer::sum);
      load.merge(joined, 1, Integer::sum);
    }
  }

  /**
   * Levels preferred-leader counts to ⌊P/N⌋..⌈P/N⌉ where the replica sets allow, keeping each
   * set's current first node as leader unless moving it is needed.
   */
  static void balanceLeaders(List<List<NodeId>> sets, SortedSet<NodeId> members, int partitions) {
    int n = members.size();
    if (n == 0) {
      return;
    }
    List<NodeId> nodes = new ArrayList<>(members);
    Map<NodeId, Integer> index = new HashMap<>();
    for (int i = 0; i < n; i++) {
      index.put(nodes.get(i), i);
    }
    int[] leader = new int[sets.size()];
    int[] count = new int[n];
    for (int p = 0; p < sets.size(); p++) {
      leader[p] = sets.get(p).isEmpty() ? -1 : index.get(sets.get(p).get(0));
      if (leader[p] >= 0) {
        count[leader[p]]++;
      }
    }
    int lo = partitions / n;
    int hi = (partitions + n - 1) / n;
    boolean improved = true;
    while (improved) {
      improved = false;
      for (int u = 0; u < n; u++) {
        while (count[u] > hi && shiftFrom(u, hi, sets, index, leader, count, n)) {
          improved = true;
        }
      }
      for (int w = 0; w < n; w++) {
        while (count[w] < lo && shiftTo(w, lo, sets, nodes, leader, count, n)) {
          improved = true;
        }
      }
    }
    for (int p = 0; p < sets.size(); p++) {
      if (leader[p] >= 0) {
        List<NodeId> set = sets.get(p);
        NodeId l = nodes.get(leader[p]);
        set.remove(l);
        set.add(0, l);
      }
    }
  }

  /** BFS from over-full u along "u leads p, v in p" edges to a node below hi; shifts along the path. */
  private static boolean shiftFrom(
      int u, int hi, List<List<NodeId>> sets, Map<NodeId, Integer> index, int[] leader, int[] count, int n) {
    int[] viaPartition = new int[n];
    int[] parent = new int[n];
    Arrays.fill(parent, -2);
    parent[u] = -1;
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    queue.add(u);
    while (!queue.isEmpty()) {
      int a = queue.poll();
      for (int p = 0; p < sets.size(); p++) {
        if (leader[p] != a) {
          continue;
        }
        for (NodeId node : sets.get(p)) {
          int b = index.get(node);
          if (parent[b] != -2) {
            continue;
          }
          parent[b] = a;
          viaPartition[b] = p;
          if (count[b] < hi) {
            for (int x = b; parent[x] != -1; x = parent[x]) {
              leader[viaPartition[x]] = x;
            }
            count[u]--;
            count[b]++;
            return true;
          }
          queue.add(b);
        }
      }
    }
    return false;
  }

  /** Reverse BFS from under-full w to a node above lo that can hand leadership down a path to w. */
  private static boolean shiftTo(
      int w, int lo, List<List<NodeId>> sets, List<NodeId> nodes, int[] leader, int[] count, int n) {
    int[] viaPartition = new int[n];
    int[] child = new int[n];
    Arrays.fill(child, -2);
    child[w] = -1;
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    queue.add(w);
    while (!queue.isEmpty()) {
      int b = queue.poll();
      NodeId bNode = nodes.get(b);
      for (int p = 0; p < sets.size(); p++) {
        int a = leader[p];
        if (a < 0 || child[a] != -2 || !sets.get(p).contains(bNode)) {
          continue;
        }
        child[a] = b;
        viaPartition[a] = p;
        if (count[a] > lo) {
          for (int x = a; child[x] != -1; x = child[x]) {
            leader[viaPartition[x]] = child[x];
          }
          count[a]--;
          count[w]++;
          return true;
        }
        queue.add(a);
      }
    }
    return false;
  }

  private static Map<NodeId, Integer> counts(List<List<NodeId>> sets, Set<NodeId> members) {
    Map<NodeId, Integer> load = new HashMap<>();
    for (NodeId node : members) {
      load.put(node, 0);
    }
    for (List<NodeId> set : sets) {
      for (NodeId node : set) {
        load.merge(node, 1, Integer::sum);
      }
    }
    return load;
  }

  private static List<NodeId> difference(Set<NodeId> a, Set<NodeId> b) {
    List<NodeId> out = new ArrayList<>();
    for (NodeId x : a) {
      if (!b.contains(x)) {
        out.add(x);
      }
    }
    return out;
  }

  private static List<ReplicaSet> toReplicaSets(List<List<NodeId>> sets) {
    List<ReplicaSet> out = new ArrayList<>(sets.size());
    for (List<NodeId> set : sets) {
      out.add(new ReplicaSet(set));
    }
    return out;
  }

  /** Capacitated bipartite matching of slots to nodes (Kuhn's augmenting paths); loads never drop. */
  private static final class SlotMatching {
    final List<List<NodeId>> candidates = new ArrayList<>();
    final NodeId[] assigned;
    final Map<NodeId, List<Integer>> slotsOf = new HashMap<>();

    SlotMatching(int slots) {
      assigned = new NodeId[slots];
    }

    void run(java.util.function.ToIntFunction<NodeId> capacity) {
      for (int i = 0; i < assigned.length; i++) {
        if (assigned[i] == null) {
          augment(i, capacity, new java.util.HashSet<>());
        }
      }
    }

    private boolean augment(int slot, java.util.function.ToIntFunction<NodeId> capacity, Set<NodeId> visited) {
      for (NodeId node : candidates.get(slot)) {
        if (!visited.add(node)) {
          continue;
        }
        List<Integer> held = slotsOf.computeIfAbsent(node, k -> new ArrayList<>());
        if (held.size() < capacity.applyAsInt(node)) {
          take(slot, node);
          return true;
        }
        for (int other : List.copyOf(held)) {
          if (augment(other, capacity, visited)) {
            take(slot, node);
            return true;
          }
        }
      }
      return false;
    }

    private void take(int slot, NodeId node) {
      if (assigned[slot] != null) {
        slotsOf.get(assigned[slot]).remove(Integer.valueOf(slot));
      }
      assigned[slot] = node;
      slotsOf.computeIfAbsent(node, k -> new ArrayList<>()).add(slot);
    }
  }
}
