package io.distkv.common.placement;

import io.distkv.common.PartitionId;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.ring.KeyHash;

/**
 * Key → partition: {@code xxHash64(key) mod P} with the hash read as unsigned. Independent of the
 * ring and of membership, so a key's partition never changes for the life of the cluster.
 *
 * <p>With hash tags (distkv.hash-tags, fixed at cluster creation) keys map as Redis Cluster maps
 * them: a key's slot is CRC16 (XMODEM) of the key mod 16384, or of its {@code {tag}} when it holds
 * a non-empty one (the bytes between its first {@code '{'} and the first {@code '}'} after it),
 * and partition {@code p} holds the contiguous slots [{@link #firstSlot}(p), firstSlot(p + 1)).
 * Keys that share a tag share a partition, so an MSET or a batch of them is one atomic Raft
 * entry; and a cluster-aware Redis client, told the slot ranges (CLUSTER SLOTS), sends each key to
 * its partition's leader.
 */
public final class Partitioner {
  /** Redis Cluster's slot count. */
  public static final int SLOTS = 16384;
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
    if (hashTags) {
      return partitionOfSlot(slotOf(key));
    }
    return (int) Long.remainderUnsigned(KeyHash.hash64(key), partitions);
  }

  /** The partition holding {@code slot} (with hash tags): slots split into P contiguous ranges. */
  public int partitionOfSlot(int slot) {
    if (slot < 0 || slot >= SLOTS) {
      throw new InvalidArgumentException("slot must be 0.." + (SLOTS - 1) + ", was " + slot);
    }
    return (int) ((long) slot * partitions / SLOTS);
  }

  /** The first slot of partition {@code p} (0 ≤ p ≤ P; {@code firstSlot(P)} = 16384): the smallest s with partitionOfSlot(s) = p. */
  public int firstSlot(int p) {
    return (int) (((long) p * SLOTS + partitions - 1) / partitions);
  }

  /**
   * Redis Cluster's slot of {@code key}: CRC16 (XMODEM) mod 16384 of its non-empty {@code {tag}}
   * if it holds one, else of the whole key.
   */
  public static int slotOf(byte[] key) {
    int open = indexOf(key, (byte) '{', 0);
    int close = open < 0 ? -1 : indexOf(key, (byte) '}', open + 1);
    return (close > open + 1 ? crc16(key, open + 1, close) : crc16(key, 0, key.length)) & (SLOTS - 1);
  }

  private static final int[] CRC16_TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int crc = i << 8;
      for (int b = 0; b < 8; b++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
      CRC16_TABLE[i] = crc & 0xFFFF;
    }
  }

  /** CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0) of {@code b[from, to)}, as Redis Cluster uses. */
  static int crc16(byte[] b, int from, int to) {
    int crc = 0;
    for (int i = from; i < to; i++) {
      crc = ((crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ b[i]) & 0xFF]) & 0xFFFF;
    }
    return crc;
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
