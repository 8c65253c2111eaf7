package io.distkv.server.jmx;

/** JMX view of one hosted partition replica: {@code io.distkv:type=Partition,node=<id>,partition=<n>}. */
public interface PartitionMXBean {
  String getRole();

  long getTerm();

  String getLeader();

  long getCommitIndex();

  long getAppliedIndex();

  long getLastIndex();

  /** Where the log starts: compacted up to here, or a snapshot installed here. */
  long getSnapshotIndex();
}
