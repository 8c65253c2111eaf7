package io.distkv.raft;

/** Marker for messages that cross nodes; bound to Jackson CBOR in the module's reference.conf. */
public interface RaftSerializable {}
