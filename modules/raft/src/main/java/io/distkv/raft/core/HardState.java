package io.distkv.raft.core;

/** What must be durable before a replica answers: current term, vote in it, commit index. */
public record HardState(long term, String votedFor, long commit) {
  public static final HardState EMPTY = new HardState(0, null, 0);
}
