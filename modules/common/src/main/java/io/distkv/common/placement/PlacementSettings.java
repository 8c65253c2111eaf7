package io.distkv.common.placement;

import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.ring.HashRing;

/**
 * The fixed shape of a cluster's sharding, all fixed at cluster creation: partition count,
 * replication factor, virtual nodes per node, and whether keys hash by their {@code {tag}}
 * (Redis Cluster's hash tags, {@link Partitioner}).
 */
public record PlacementSettings(int partitions, int replicationFactor, int vnodesPerNode, boolean hashTags) {
  public static final int MIN_PARTITIONS = 1;
  public static final int MAX_PARTITIONS = 1024;
  public static final int DEFAULT_PARTITIONS = 64;
  public static final PlacementSettings DEFAULT =
      new PlacementSettings(DEFAULT_PARTITIONS, HashRing.DEFAULT_REPLICATION_FACTOR, HashRing.DEFAULT_VNODES);

  /** Without hash tags: every key hashes whole. */
  public PlacementSettings(int partitions, int replicationFactor, int vnodesPerNode) {
    this(partitions, replicationFactor, vnodesPerNode, false);
  }

  /** The key → partition function of these settings. */
  public Partitioner partitioner() {
    return new Partitioner(partitions, hashTags);
  }

  public PlacementSettings {
    if (partitions < MIN_PARTITIONS || partitions > MAX_PARTITIONS) {
      throw new InvalidArgumentException(
          "partition count must be " + MIN_PARTITIONS + ".." + MAX_PARTITIONS + ", was " + partitions);
    }
    if (replicationFactor < HashRing.MIN_REPLICATION_FACTOR || replicationFactor > HashRing.MAX_REPLICATION_FACTOR) {
      throw new InvalidArgumentException(
          "replication factor must be " + HashRing.MIN_REPLICATION_FACTOR + ".." + HashRing.MAX_REPLICATION_FACTOR
              + ", was " + replicationFactor);
    }
    if (vnodesPerNode < 1) {
      throw new InvalidArgumentException("virtual nodes per node must be >= 1, was " + vnodesPerNode);
    }
  }
}
