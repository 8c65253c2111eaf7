package io.distkv.common.placement;

import io.distkv.common.PartitionId;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.ring.KeyHash;

/**
 * Key → partition: {@code xxHash64(key) mod P} with the hash read as unsigned. Independent of the
 * ring and of membership, so a key's partition never changes for the life of the cluster.
 *
 * <p>With hash tags (distkv.hash-tags, fixed at cluster creation), a key that holds a non-empty
 * {@code {tag}} hashes by the tag alone, as in Redis Cluster: the bytes between its first
 * {@code '{'} and the first {@code '}'} after it. Keys that share a tag share a partition, so an
 * MSET or a batch of them is one atomic Raft entry. Other keys hash whole.
 */
public final class Partitioner {
  private final int partitions;
  private final boolean hashTags;

  public Partitioner(int partitions) {
    this(partitions, false);
  }

  public Partitioner(int partitions, boolean hashTags) {
    if (partitions < PlacementSettings.MIN_PARTITIONS || partitions > PlacementSettings.MAX_PARTITIONS) {
      throw new InvalidArgumentException(
          "partition count must be " + PlacementSettings.MIN_PARTITIONS + ".." + PlacementSettings.MAX_PARTITIONS
              + ", was " + partitions);
    }
    this.partitions = partitions;
    this.hashTags = hashTags;
  }

  public boolean hashTags() {
    return hashTags;
  }

  public int partitionCount() {
    return partitions;
  }

  public PartitionId partitionOf(byte[] key) {
    return PartitionId.of(indexOf(key));
  }

  /** The partition number of {@code key}, 0 ≤ n &lt; P. */
  public int indexOf(byte[] key) {
    long hash;
    int open;
    int close;
    if (hashTags && (open = indexOf(key, (byte) '{', 0)) >= 0 && (close = indexOf(key, (byte) '}', open + 1)) > open + 1) {
      hash = KeyHash.hash64(java.util.Arrays.copyOfRange(key, open + 1, close));
    } else {
      hash = KeyHash.hash64(key);
    }
    return (int) Long.remainderUnsigned(hash, partitions);
  }

  private static int indexOf(byte[] b, byte c, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }
}
