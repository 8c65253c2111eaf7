package io.distkv.raft.core;

/** Position and membership a state-machine snapshot covers: log up to {@code index} (of {@code term}). */
public record SnapshotMeta(long index, long term, Configuration configuration) {}
