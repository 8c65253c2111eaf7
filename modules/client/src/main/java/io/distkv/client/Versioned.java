package io.distkv.client;

import java.nio.charset.StandardCharsets;

/**
 * A value with its version: the Raft index of the key's last write, increasing with every write of
 * the key; what {@link DistKvClient#compareAndSet} compares.
 */
public record Versioned(byte[] value, long version) {
  public String valueAsString() {
    return new String(value, StandardCharsets.UTF_8);
  }
}
