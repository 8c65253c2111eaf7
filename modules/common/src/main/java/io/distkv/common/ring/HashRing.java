package io.distkv.common.ring;

import io.distkv.common.NodeId;
import io.distkv.common.error.AlreadyExistsException;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.NotFoundException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Consistent hashing with virtual nodes: each physical node owns {@code vnodesPerNode} points on a
 * 64-bit ring (the hash of {@code "<nodeId>:<i>"}); a key belongs to the first point at or after its
 * hash, wrapping around. Reads are lock-free over an immutable snapshot; membership changes are
 * serialized and publish a new snapshot.
 */
public final class HashRing {
  public static final int DEFAULT_VNODES = 150;
  public static final int DEFAULT_REPLICATION_FACTOR = 3;
  public static final int MIN_REPLICATION_FACTOR = 1;
  public static final int MAX_REPLICATION_FACTOR = 7;

  private final int vnodesPerNode;
  private final int replicationFactor;
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  /** A ring with 150 virtual nodes per node and replication factor 3. */
  public HashRing() {
    this(DEFAULT_VNODES, DEFAULT_REPLICATION_FACTOR);
  }

  public HashRing(int vnodesPerNode, int replicationFactor) {
    if (vnodesPerNode < 1) {
      throw new InvalidArgumentException("virtual nodes per node must be >= 1, was " + vnodesPerNode);
    }
    if (replicationFactor < MIN_REPLICATION_FACTOR || replicationFactor > MAX_REPLICATION_FACTOR) {
      throw new InvalidArgumentException(
          "replication factor must be " + MIN_REPLICATION_FACTOR + ".." + MAX_REPLICATION_FACTOR + ", was " + replicationFactor);
    }
    this.vnodesPerNode = vnodesPerNode;
    this.replicationFactor = replicationFactor;
  }

  /** A ring holding {@code nodes}. */
  public static HashRing of(int vnodesPerNode, int replicationFactor, Iterable<NodeId> nodes) {
    HashRing ring = new HashRing(vnodesPerNode, replicationFactor);
    for (NodeId n : nodes) {
      ring.addNode(n);
    }
    return ring;
  }

  public int vnodesPerNode() {
    return vnodesPerNode;
  }

  public int replicationFactor() {
    return replicationFactor;
  }

  /** The ring position of virtual node {@code index} of {@code node}. */
  public static long vnodePosition(NodeId node, int index) {
    return KeyHash.hash64(node.value() + ":" + index);
  }

  /** Adds a node and its virtual nodes; {@link AlreadyExistsException} if it is already present. */
  public synchronized void addNode(NodeId node) {
    Snapshot s = snapshot;
    if (s.nodes.contains(node)) {
      throw new AlreadyExistsException("node " + node + " is already on the ring");
    }
    Set<NodeId> nodes = new TreeSet<>(s.nodes);
    nodes.add(node);
    snapshot = Snapshot.build(nodes, vnodesPerNode);
  }

  /** Removes a node and all its virtual nodes; {@link NotFoundException} if it is unknown. */
  public synchronized void removeNode(NodeId node) {
    Snapshot s = snapshot;
    if (!s.nodes.contains(node)) {
      throw new NotFoundException("node " + node + " is not on the ring");
    }
    Set<NodeId> nodes = new TreeSet<>(s.nodes);
    nodes.remove(node);
    snapshot = Snapshot.build(nodes, vnodesPerNode);
  }

  public boolean contains(NodeId node) {
    return snapshot.nodes.contains(node);
  }

  public int nodeCount() {
    return snapshot.nodes.size();
  }

  /** The physical nodes, in id order. */
  public Set<NodeId> nodes() {
    return snapshot.nodes;
  }

  /** The node owning {@code key}, or empty if the ring has no nodes. */
  public Optional<NodeId> ownerOf(byte[] key) {
    return ownerOfHash(KeyHash.hash64(key));
  }

  public Optional<NodeId> ownerOfHash(long hash) {
    Snapshot s = snapshot;
    if (s.positions.length == 0) {
      return Optional.empty();
    }
    return Optional.of(s.owners[s.successor(hash)]);
  }

  /**
   * The first min(RF, node count) distinct physical nodes clockwise from the key's hash; the first
   * is {@link #ownerOf(byte[])}.
   */
  public List<NodeId> replicasFor(byte[] key) {
    return preferenceList(KeyHash.hash64(key), replicationFactor);
  }

  /** Up to {@code count} distinct physical nodes met walking clockwise from {@code hash}. */
  public List<NodeId> preferenceList(long hash, int count) {
    Snapshot s = snapshot;
    int want = Math.min(count, s.nodes.size());
    if (want <= 0) {
      return List.of();
    }
    LinkedHashSet<NodeId> out = new LinkedHashSet<>();
    int i = s.successor(hash);
    for (int steps = 0; steps < s.positions.length && out.size() < want; steps++) {
      out.add(s.owners[i]);
      i = (i + 1) % s.positions.length;
    }
    return List.copyOf(out);
  }

  /** Virtual-node counts and the share of the hash space each node owns. */
  public RingStats stats() {
    Snapshot s = snapshot;
    Map<NodeId, Integer> vnodes = new TreeMap<>();
    Map<NodeId, Double> share = new TreeMap<>();
    for (NodeId n : s.nodes) {
      vnodes.put(n, 0);
      share.put(n, 0.0);
    }
    int len = s.positions.length;
    for (int i = 0; i < len; i++) {
      vnodes.merge(s.owners[i], 1, Integer::sum);
      // Point i owns the arc (previous point, point i].
      long prev = s.positions[(i - 1 + len) % len];
      long arc = s.positions[i] - prev; // wraps correctly in two's complement
      double fraction = len == 1 ? 1.0 : unsignedToDouble(arc) / 18446744073709551616.0;
      share.merge(s.owners[i], fraction, Double::sum);
    }
    return RingStats.of(len, vnodes, share);
  }

  private static double unsignedToDouble(long v) {
    double d = (double) (v >>> 1) * 2.0;
    return d + (v & 1L);
  }

  /** Immutable sorted view of the ring. Positions are stored sign-flipped so signed order = unsigned. */
  private static final class Snapshot {
    static final Snapshot EMPTY = new Snapshot(Collections.emptySet(), new long[0], new NodeId[0]);

    final Set<NodeId> nodes;
    final long[] positions; // unsigned ring positions, ascending unsigned
    final long[] flipped; // positions ^ MIN_VALUE, ascending signed (for binary search)
    final NodeId[] owners;

    Snapshot(Set<NodeId> nodes, long[] positions, NodeId[] owners) {
      this.nodes = nodes;
      this.positions = positions;
      this.owners = owners;
      this.flipped = new long[positions.length];
      for (int i = 0; i < positions.length; i++) {
        flipped[i] = positions[i] ^ Long.MIN_VALUE;
      }
    }

    static Snapshot build(Set<NodeId> nodes, int vnodesPerNode) {
      record Point(long pos, NodeId node) {}
      List<Point> points = new ArrayList<>(nodes.size() * vnodesPerNode);
      for (NodeId n : nodes) {
        for (int i = 0; i < vnodesPerNode; i++) {
          points.add(new Point(vnodePosition(n, i), n));
        }
      }
      // Collisions (astronomically rare) are broken by node id so every JVM builds the same ring.
      points.sort((a, b) -> {
        int c = Long.compareUnsigned(a.pos, b.pos);
        return c != 0 ? c : a.node.compareTo(b.node);
      });
      long[] pos = new long[points.size()];
      NodeId[] own = new NodeId[points.size()];
      for (int i = 0; i < pos.length; i++) {
        pos[i] = points.get(i).pos;
        own[i] = points.get(i).node;
      }
      return new Snapshot(Collections.unmodifiableSet(new TreeSet<>(nodes)), pos, own);
    }

    /** Index of the first point with position >= hash (unsigned), wrapping to 0. */
    int successor(long hash) {
      int idx = Arrays.binarySearch(flipped, hash ^ Long.MIN_VALUE);
      if (idx < 0) {
        idx = -idx - 1;
      } else {
        while (idx > 0 && flipped[idx - 1] == flipped[idx]) {
          idx--; // first of equal positions
        }
      }
      return idx == flipped.length ? 0 : idx;
    }
  }
}
