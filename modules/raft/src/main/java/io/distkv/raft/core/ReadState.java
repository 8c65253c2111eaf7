package io.distkv.raft.core;

/**
 * A confirmed linearizable read: once the state machine has applied {@code index}, read request
 * {@code requestId} may be served from it (ReadIndex, §6.4 of the thesis).
 */
public record ReadState(long requestId, long index) {}
