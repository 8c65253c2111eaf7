package io.distkv.raft;

/**
 * What a Raft group replicates into. Called only from the group's replica actor, in log order,
 * each committed command exactly once (also across restarts: the replica resumes after
 * {@link #appliedIndex()}).
 */
public interface StateMachine {
  /** Applies the command committed at {@code index}; the result goes back to the proposer. */
  byte[] apply(long index, byte[] command);

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
   * from disk), and returns the index it holds: the last index applied. Called between applies.
   */
  long checkpoint(java.nio.file.Path dir);

  /**
   * Replaces the state with the checkpoint in {@code dir} (another replica's
   * {@link #checkpoint} at {@code index}, verified). The state machine may move the directory;
   * once this returns, the state survives a restart and {@link #appliedIndex()} is {@code index}.
   */
  void restore(long index, java.nio.file.Path dir);
}
