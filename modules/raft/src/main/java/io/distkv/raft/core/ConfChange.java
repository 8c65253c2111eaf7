package io.distkv.raft.core;

/** One single-server membership change. */
public record ConfChange(Type type, String replica) {
  /** The kinds of change. */
  public enum Type {
    /** Add a non-voting member that receives the log (catch up before promotion). */
    ADD_LEARNER,
    /** Turn a caught-up learner into a voter. */
    PROMOTE,
    /** Add a voter directly (bootstrap and tests; prefer learner + promote). */
    ADD_VOTER,
    /** Remove a voter or learner. */
    REMOVE
  }
}
