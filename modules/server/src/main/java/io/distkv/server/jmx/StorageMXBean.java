package io.distkv.server.jmx;

/**
 * JMX view of a node's shared storage resources: {@code io.distkv:type=Storage,name=<id>}. The
 * Compactor's queue and counters (flushes and compactions of every partition), the memtables of
 * every partition against their budget, the node's block cache, and the Raft logs held in memory
 * against {@code distkv.raft.log-memory-budget}.
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

  /** Raft log entries every replica of the node holds in memory (as last reported). */
  long getRaftLogBytes();

  long getRaftLogBudget();

  /** Log compactions asked because all replicas' logs together reached the budget. */
  long getRaftLogShrinksAsked();

  double getBlockCacheHitRate();
}
