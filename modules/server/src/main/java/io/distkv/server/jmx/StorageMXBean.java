package io.distkv.server.jmx;

/**
 * JMX view of a node's shared storage resources: {@code io.distkv:type=Storage,name=<id>}. The
 * Compactor's queue and counters (flushes and compactions of every partition), the memtables of
 * every partition against their budget, and the node's block cache.
 */
public interface StorageMXBean {
  int getFlushesQueued();

  int getCompactionsQueued();

  int getJobsRunning();

  long getFlushesRun();

  long getCompactionsRun();

  long getJobFailures();

  long getMemtableBytes();

  long getWriteBufferBudget();

  /** Flushes started because all memtables together reached the budget. */
  long getFlushesForced();

  long getBlockCacheBytes();

  double getBlockCacheHitRate();
}
