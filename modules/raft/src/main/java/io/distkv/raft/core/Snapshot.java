package io.distkv.raft.core;

/** A state-machine snapshot: its metadata and its bytes (opaque to Raft). */
public record Snapshot(SnapshotMeta meta, byte[] data) {}
