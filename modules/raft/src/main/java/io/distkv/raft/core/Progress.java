package io.distkv.raft.core;

/** The leader's view of one follower's replication (etcd/raft's Progress). */
final class Progress {
  /** How the leader currently feeds this follower. */
  enum State {
    /** One append at a time until we find where the logs agree. */
    PROBE,
    /** Pipelined appends, up to the inflight window. */
    REPLICATE,
    /** A snapshot is being sent, chunk by chunk. */
    SNAPSHOT
  }

  long match;
  long next;
  State state = State.PROBE;
  boolean probeSent; // PROBE: an append is outstanding
  final java.util.ArrayDeque<Long> inflight = new java.util.ArrayDeque<>(); // last index of each append in flight
  boolean recentActive;
  long lastHeardTick = Long.MIN_VALUE / 2;
  long readRoundAcked;
  // SNAPSHOT state
  SnapshotMeta snapshotMeta;
  byte[] snapshotData;
  long snapshotOffset;

  Progress(long next) {
    this.next = next;
  }

  void becomeProbe() {
    state = State.PROBE;
    probeSent = false;
    inflight.clear();
    next = Math.max(next, match + 1);
    snapshotData = null;
    snapshotMeta = null;
  }

  void becomeReplicate() {
    state = State.REPLICATE;
    inflight.clear();
    next = match + 1;
  }

  void becomeSnapshot(SnapshotMeta meta, byte[] data) {
    state = State.SNAPSHOT;
    inflight.clear();
    snapshotMeta = meta;
    snapshotData = data;
    snapshotOffset = 0;
  }

  /** Frees the inflight slots of appends up to {@code index}. */
  void freeTo(long index) {
    while (!inflight.isEmpty() && inflight.peekFirst() <= index) {
      inflight.pollFirst();
    }
  }

  boolean paused(int maxInflight) {
    return switch (state) {
      case PROBE -> probeSent;
      case REPLICATE -> inflight.size() >= maxInflight;
      case SNAPSHOT -> true;
    };
  }
}
