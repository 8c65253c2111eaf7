package io.distkv.server;

/** Marker for server messages that cross nodes; bound to Jackson CBOR in the module's reference.conf. */
public interface ServerSerializable {}
