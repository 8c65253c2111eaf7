package io.distkv.common.protocol;

/** Read consistency levels. */
public enum Consistency {
  /** Through the partition's leader with ReadIndex: sees every write acknowledged before the read started. */
  LINEARIZABLE,
  /** From one replica's current state (the local one when the node hosts the partition): may be stale. */
  EVENTUAL
}
