package io.distkv.common.protocol;

/** What a partition can do right now, as seen from the node answering. */
public enum PartitionState {
  /** A leader with a reachable majority: reads and writes are served. */
  ACTIVE,
  /** Replicas answer but none leads (no quorum reachable): writes fail with READ_ONLY, EVENTUAL reads are served. */
  READONLY,
  /** No replica answers. */
  OFFLINE
}
