package io.distkv.common.placement;

import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.ring.HashRing;

/**
 * The fixed shape of a cluster's sharding: partition count (fixed at cluster creation), replication
 * factor and virtual nodes per node.
 */
public record PlacementSettings(int partitions, int replicationFactor, int vnodesPerNode) {
  public static final int MIN_PARTITIONS = 1;
  public static final int MAX_PARTITIONS = 1024;
  public static final int DEFAULT_PARTITIONS = 64;
  public static final PlacementSettings DEFAULT =
      new PlacementSettings(DEFAULT_PARTITIONS, HashRing.DEFAULT_REPLICATION_FACTOR, HashRing.DEFAULT_VNODES);

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
