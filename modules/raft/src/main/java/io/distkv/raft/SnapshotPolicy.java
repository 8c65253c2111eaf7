package io.distkv.raft;

import io.distkv.common.error.InvalidArgumentException;

/**
 * When a replica compacts its Raft log (up to what its state machine holds durably): once
 * {@code entries} entries, or {@code bytes} bytes of entries, are held after the last compaction
 * point ({@code distkv.raft.snapshot-entries}, {@code distkv.raft.snapshot-bytes}), or when the
 * logs of all the node's replicas together hold {@code logMemoryBudget} bytes in memory
 * ({@code distkv.raft.log-memory-budget}; the largest log compacts first, {@link LogMemoryBudget}).
 * Followers behind a compacted log get a snapshot, made only then, sent at most
 * {@code bytesPerSecond} per transfer ({@code distkv.raft.snapshot-max-bytes-per-sec}; 0 = unlimited).
 */
public record SnapshotPolicy(long entries, long bytes, long bytesPerSecond, long logMemoryBudget) {
  /** The reference.conf defaults (the log budget a tenth of this JVM's heap). */
  public static final SnapshotPolicy DEFAULT = new SnapshotPolicy(10_000, 64L << 20, 100L << 20,
      Runtime.getRuntime().maxMemory() / 10);

  public SnapshotPolicy {
    if (entries < 1 || bytes < 1 || bytesPerSecond < 0 || logMemoryBudget < 1) {
      throw new InvalidArgumentException("snapshot thresholds and the log memory budget must be >= 1 and the rate"
          + " >= 0 (entries " + entries + ", bytes " + bytes + ", bytes per second " + bytesPerSecond
          + ", log memory budget " + logMemoryBudget + ")");
    }
  }

  /** These thresholds, unlimited transfers, no node-wide log budget. */
  public SnapshotPolicy(long entries, long bytes) {
    this(entries, bytes, 0, Long.MAX_VALUE);
  }
}
