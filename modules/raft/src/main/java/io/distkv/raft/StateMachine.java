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

  /** Highest index whose effects survive a restart of this state machine (0 if none). */
  long appliedIndex();

  /** The full state at {@link #appliedIndex()}, for a lagging follower. */
  byte[] snapshot();

  /** Replaces the state with a snapshot taken at {@code index}. */
  void restore(long index, byte[] snapshot);
}
