package io.distkv.server.jmx;

/** JMX view of a partition's LSM store: {@code io.distkv:type=Store,node=<id>,partition=<n>}. */
public interface StoreMXBean {
  long getMemtableBytes();

  int[] getTablesPerLevel();

  long getCompactions();

  long getBytesFlushed();

  long getCompactionBytesWritten();

  double getWriteAmplification();

  double getBlockCacheHitRate();

  long getPersistedAppliedIndex();
}
