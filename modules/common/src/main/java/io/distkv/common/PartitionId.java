package io.distkv.common;

import io.distkv.common.error.InvalidArgumentException;

/** A partition (shard) number, 0 ≤ id &lt; partition count; each partition is one Raft group. */
public record PartitionId(int value) implements Comparable<PartitionId> {
  public PartitionId {
    if (value < 0) {
      throw new InvalidArgumentException("partition id must be >= 0, was " + value);
    }
  }

  public static PartitionId of(int value) {
    return new PartitionId(value);
  }

  @Override
  public int compareTo(PartitionId o) {
    return Integer.compare(value, o.value);
  }

  @Override
  public String toString() {
    return "p" + value;
  }
}
