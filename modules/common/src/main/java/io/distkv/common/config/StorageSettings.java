package io.distkv.common.config;

/**
 * A node's storage resources ({@code distkv.storage.*}), shared by all its partitions: one block
 * cache, one memtable budget, one flush and compaction pool; and the options of every partition's
 * store (write buffer, compression, bloom filter bits).
 *
 * @param blockCacheBytes the node's block cache
 * @param writeBufferBytes one partition's memtable size that triggers its flush
 * @param writeBufferBudgetBytes all partitions' memtables together: beyond it, the largest flushes first
 * @param compactionThreads threads that run flushes and compactions for every partition
 * @param lz4 LZ4-compress table blocks
 * @param bloomBitsPerKey bloom filter bits per key (0 = no filter)
 */
public record StorageSettings(long blockCacheBytes, long writeBufferBytes, long writeBufferBudgetBytes,
    int compactionThreads, boolean lz4, int bloomBitsPerKey) {

  /** The reference.conf defaults in this JVM (block cache 15% of the heap, memtable budget 12%). */
  public static final StorageSettings DEFAULTS = forHeap(Runtime.getRuntime().maxMemory());

  /** The reference.conf defaults for a JVM whose heap is {@code heapBytes}. */
  public static StorageSettings forHeap(long heapBytes) {
    return new StorageSettings(heapBytes / 100 * 15, 4L << 20, heapBytes / 100 * 12, 2, false, 10);
  }
}
