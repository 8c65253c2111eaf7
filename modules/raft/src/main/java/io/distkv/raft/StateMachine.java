package io.distkv.raft;

/**
 * What a Raft group replicates into. Applied only by the group's replica actor, in log order,
 * each committed command exactly once (also across restarts: the replica resumes after
 * {@link #appliedIndex()}). {@link #checkpoint} and {@link #restore} do disk work and run on a
 * thread of the disk dispatcher, one call at a time per state machine, while the replica
 * holds its applies back (and, during a restore, its queries and {@link #persistSoon} calls).
 */
public interface StateMachine {
  /** Applies the command committed at {@code index}; the result goes back to the proposer. */
  byte[] apply(long index, byte[] command);

  /** What applying the next command now would meet ({@link #applyRoom}). */
  enum Room {
    /** It proceeds at once. */
    NOW,
    /** It would wait for the state machine's background work (an LSM's flush or compaction). */
    FULL
  }

  /**
   * Whether applying the next command now would wait on the state machine's own background work.
   * The replica applies on a dispatcher thread that its node's networking shares, and never blocks
   * it there: at {@link Room#FULL} it holds its committed entries back and asks again when
   * {@code wake} runs (once, from any thread) or after a short retry delay. A state machine that
   * never waits answers {@link Room#NOW} (the default).
   */
  default Room applyRoom(Runnable wake) {
    return Room.NOW;
  }

  /**
   * Whether {@code query} does disk work (the KV store's backup checkpoint): the replica then runs
   * it off its thread, as it runs {@link #checkpoint}, with its applies held back meanwhile.
   */
  default boolean queryDoesDiskWork(byte[] query) {
    return false;
  }

  /** Answers a read against the current state (after the read's index has been applied). */
  byte[] query(byte[] query);

  /** Live keys (entries) in the state as applied so far, or -1 if this state machine does not count them. */
  default long liveKeys() {
    return -1;
  }

  /** Highest index whose effects survive a restart of this state machine (0 if none). */
  long appliedIndex();

  /**
   * Asks the state machine to make what it has applied survive a restart soon (the log can then
   * be compacted up to it); returns at once. A state machine that is always durable ignores it.
   */
  default void persistSoon() {}

  /**
   * Writes a consistent copy of the state as applied so far into the new directory {@code dir},
   * as files that do not change afterwards (a snapshot for a lagging or new follower, streamed
   * from disk), and returns the index it holds: the last index applied. No apply runs meanwhile.
   */
  long checkpoint(java.nio.file.Path dir);

  /**
   * Replaces the state with the checkpoint in {@code dir} (another replica's
   * {@link #checkpoint} at {@code index}, verified). The state machine may move the directory;
   * once this returns, the state survives a restart and {@link #appliedIndex()} is {@code index}.
   */
  void restore(long index, java.nio.file.Path dir);
}
