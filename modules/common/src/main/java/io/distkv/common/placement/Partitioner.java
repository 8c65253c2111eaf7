package io.distkv.common.placement;

import io.distkv.common.PartitionId;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.ring.KeyHash;

/**
 * Key → partition: {@code xxHash64(key) mod P} with the hash read as unsigned. Independent of the
 * ring and of membership, so a key's partition never changes for the life of the cluster.
 */
public final class Partitioner {
  private final int partitions;

  public Partitioner(int partitions) {
    if (partitions < PlacementSettings.MIN_PARTITIONS || partitions > PlacementSettings.MAX_PARTITIONS) {
      throw new InvalidArgumentException(
          "partition count must be " + PlacementSettings.MIN_PARTITIONS + ".." + PlacementSettings.MAX_PARTITIONS
              + ", was " + partitions);
    }
    this.partitions = partitions;
  }

  public int partitionCount() {
    return partitions;
  }

  public PartitionId partitionOf(byte[] key) {
    return PartitionId.of(indexOf(key));
  }

  /** The partition number of {@code key}, 0 ≤ n &lt; P. */
  public int indexOf(byte[] key) {
    return (int) Long.remainderUnsigned(KeyHash.hash64(key), partitions);
  }
}
