package io.distkv.client;

import io.distkv.common.protocol.KvCommand;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An atomic batch of writes: all apply or none does (a failed condition fails the whole batch).
 * Atomic within one partition only: every key must hash to the same partition
 * ({@link DistKvClient#partitionOf}), otherwise the batch is refused with INVALID_ARGUMENT and nothing
 * is written. Each key at most once.
 */
public final class Batch {
  final List<KvCommand.Op> ops = new ArrayList<>();

  public Batch put(byte[] key, byte[] value) {
    ops.add(KvCommand.Op.put(key, value));
    return this;
  }

  public Batch put(String key, String value) {
    return put(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  public Batch delete(byte[] key) {
    ops.add(KvCommand.Op.delete(key));
    return this;
  }

  public Batch putIfAbsent(byte[] key, byte[] value) {
    ops.add(KvCommand.Op.putIfAbsent(key, value));
    return this;
  }

  public Batch compareAndSet(byte[] key, long expectedVersion, byte[] value) {
    ops.add(KvCommand.Op.compareAndSet(key, expectedVersion, value));
    return this;
  }

  public int size() {
    return ops.size();
  }
}
