package io.distkv.raft.core;

/** A replica's role; the replica actor has one behaviour per role. */
public enum Role {
  FOLLOWER,
  PRE_CANDIDATE,
  CANDIDATE,
  LEADER
}
