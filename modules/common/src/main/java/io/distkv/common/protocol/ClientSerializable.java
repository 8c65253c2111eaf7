package io.distkv.common.protocol;

/**
 * Marker for the client protocol's messages: bound to Pekko's {@code jackson-cbor} serializer in
 * common's reference.conf, so clients, tools and routers on other JVMs exchange them over Artery.
 * A message of any other type sent to a router is dropped by Pekko's serialization layer.
 */
public interface ClientSerializable {}
