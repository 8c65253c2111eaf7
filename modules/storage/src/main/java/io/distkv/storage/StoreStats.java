package io.distkv.storage;

import java.util.List;

/**
 * A point-in-time reading of a store's counters (exported over JMX by the server).
 *
 * @param filesPerLevel live tables per level
 * @param bytesPerLevel table bytes per level
 * @param userBytesWritten key+value bytes accepted by writes
 * @param walBytesWritten bytes appended to the WAL
 * @param flushes memtables flushed to L0
 * @param bytesFlushed table bytes written by flushes
 * @param compactions compactions finished (trivial moves included)
 * @param compactionBytesRead table bytes read by compactions
 * @param compactionBytesWritten table bytes written by compactions
 * @param compactionRunning whether a compaction is in progress now
 * @param writeSlowdowns writes delayed 1 ms, or paced writers told SLOW ({@code LsmStore.writeRoom}),
 *     because L0 is filling up or the node's memtable budget is exceeded
 * @param writeStalls times a write waited, or a paced writer was told FULL, for a flush or compaction
 * @param stallMicros total time writes (or paced writers told FULL) spent waiting
 */
public record StoreStats(
    long memtableBytes,
    int immutableMemtables,
    List<Integer> filesPerLevel,
    List<Long> bytesPerLevel,
    long lastSequence,
    long appliedIndex,
    long persistedAppliedIndex,
    long userBytesWritten,
    long walBytesWritten,
    long walSyncs,
    long flushes,
    long bytesFlushed,
    long compactions,
    long compactionBytesRead,
    long compactionBytesWritten,
    boolean compactionRunning,
    long writeSlowdowns,
    long writeStalls,
    long stallMicros,
    long blockCacheHits,
    long blockCacheMisses,
    long blockCacheBytes,
    int liveSnapshots) {

  /** Bytes written to disk (WAL, flushes, compactions) per user byte written. */
  public double writeAmplification() {
    return userBytesWritten == 0
        ? 0
        : (double) (walBytesWritten + bytesFlushed + compactionBytesWritten) / userBytesWritten;
  }

  public double blockCacheHitRate() {
    long total = blockCacheHits + blockCacheMisses;
    return total == 0 ? 0 : (double) blockCacheHits / total;
  }

  public int totalFiles() {
    return filesPerLevel.stream().mapToInt(Integer::intValue).sum();
  }
}
