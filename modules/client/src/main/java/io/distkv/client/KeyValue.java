package io.distkv.client;

import java.nio.charset.StandardCharsets;

/** One entry of a scan: key, value and version. */
public record KeyValue(byte[] key, byte[] value, long version) {
  public String keyAsString() {
    return new String(key, StandardCharsets.UTF_8);
  }

  public String valueAsString() {
    return new String(value, StandardCharsets.UTF_8);
  }
}
