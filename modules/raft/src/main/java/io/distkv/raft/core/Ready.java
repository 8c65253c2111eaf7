package io.distkv.raft.core;

import java.util.List;

/**
 * What the core asks its driver to do, in this order: persist {@code hardState} (if not null),
 * {@code snapshot} (if not null: a received snapshot, whose files the driver holds) and {@code entries} (overwriting any stored entries from the
 * first one's index on), fsync; then send {@code messages}; then apply {@code committed} and
 * serve {@code readStates}; then call {@link RaftCore#advance(Ready)}.
 */
public record Ready(
    HardState hardState,
    SnapshotMeta snapshot,
    List<Entry> entries,
    List<RaftMessage> messages,
    List<Entry> committed,
    List<ReadState> readStates,
    Role role,
    String leader) {

  public boolean mustPersist() {
    return hardState != null || snapshot != null || !entries.isEmpty();
  }
}
