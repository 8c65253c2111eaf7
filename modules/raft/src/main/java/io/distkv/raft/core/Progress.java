package io.distkv.raft.core;

/** The leader's view of one follower's replication (etcd/raft's Progress). */
final class Progress {
  /** How the leader currently feeds this follower. */
  enum State {
    /** One append at a time until we find where the logs agree. */
    PROBE,
    /** Pipelined appends, up to the inflight window. */
    REPLICATE,
    /** The follower is behind the compacted log: the driver is bringing it a snapshot. */
    SNAPSHOT
  }

  long match;
  long next;
  State state = State.PROBE;
  boolean probeSent; // PROBE: an append is outstanding
  final java.util.ArrayDeque<Long> inflight = new java.util.ArrayDeque<>(); // last index of each append in flight
  private final java.util.ArrayDeque<Long> inflightSizes = new java.util.ArrayDeque<>(); // bytes of each
  /** Bytes of the appends in flight. */
  long inflightBytes;
  boolean recentActive;
  long lastHeardTick = Long.MIN_VALUE / 2;
  long readRoundAcked;
  /** SNAPSHOT state: the index the follower must reach before appends resume. */
  long pendingSnapshot;

  Progress(long next) {
    this.next = next;
  }

  void becomeProbe() {
    state = State.PROBE;
    probeSent = false;
    clearInflight();
    next = Math.max(next, match + 1);
    pendingSnapshot = 0;
  }

  void becomeReplicate() {
    state = State.REPLICATE;
    clearInflight();
    next = match + 1;
  }

  void becomeSnapshot(long index) {
    state = State.SNAPSHOT;
    clearInflight();
    pendingSnapshot = index;
  }

  private void clearInflight() {
    inflight.clear();
    inflightSizes.clear();
    inflightBytes = 0;
  }

  /** An append ending at {@code last} and carrying {@code bytes} went out. */
  void sent(long last, long bytes) {
    inflight.addLast(last);
    inflightSizes.addLast(bytes);
    inflightBytes += bytes;
  }

  /** Frees the oldest append's slot (it may have been lost). */
  void freeFirst() {
    if (!inflight.isEmpty()) {
      inflight.pollFirst();
      inflightBytes -= inflightSizes.pollFirst();
    }
  }

  /** Frees the inflight slots of appends up to {@code index}. */
  void freeTo(long index) {
    while (!inflight.isEmpty() && inflight.peekFirst() <= index) {
      freeFirst();
    }
  }

  boolean paused(int maxInflight, long maxInflightBytes) {
    return switch (state) {
      case PROBE -> probeSent;
      case REPLICATE -> inflight.size() >= maxInflight || (!inflight.isEmpty() && inflightBytes >= maxInflightBytes);
      case SNAPSHOT -> true;
    };
  }
}
