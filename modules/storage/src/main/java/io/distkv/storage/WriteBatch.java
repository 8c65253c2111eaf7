package io.distkv.storage;

import io.distkv.storage.internal.ByteSink;
import io.distkv.storage.internal.ByteSource;
import io.distkv.storage.internal.InternalKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Puts and deletes applied atomically: after a crash either all of a batch is present or none of
 * it. Optionally carries the caller's applied index (the Raft index this batch applies), which the
 * store persists with the flush that makes the batch durable ({@link LsmStore#appliedIndex()}).
 */
public final class WriteBatch {
  record Op(byte type, byte[] key, byte[] value) {}

  private final List<Op> ops = new ArrayList<>();
  private long bytes;
  private long appliedIndex = -1;

  public WriteBatch put(byte[] key, byte[] value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    ops.add(new Op(InternalKey.TYPE_VALUE, key.clone(), value.clone()));
    bytes += key.length + value.length + 16;
    return this;
  }

  public WriteBatch delete(byte[] key) {
    Objects.requireNonNull(key, "key");
    ops.add(new Op(InternalKey.TYPE_DELETION, key.clone(), null));
    bytes += key.length + 16;
    return this;
  }

  /** Records that this batch applies the caller's log index {@code index} (≥ 0). */
  public WriteBatch appliedIndex(long index) {
    if (index < 0) {
      throw new IllegalArgumentException("applied index must be >= 0, was " + index);
    }
    this.appliedIndex = index;
    return this;
  }

  public long appliedIndex() {
    return appliedIndex;
  }

  public int count() {
    return ops.size();
  }

  public boolean isEmpty() {
    return ops.isEmpty() && appliedIndex < 0;
  }

  /** Approximate memory/disk footprint. */
  public long approximateBytes() {
    return bytes;
  }

  List<Op> ops() {
    return ops;
  }

  void encodeTo(ByteSink out) {
    out.putVarint(ops.size());
    out.putVarint(appliedIndex + 1);
    for (Op op : ops) {
      out.put(op.type());
      out.putBytes(op.key());
      if (op.type() == InternalKey.TYPE_VALUE) {
        out.putBytes(op.value());
      }
    }
  }

  static WriteBatch decodeFrom(ByteSource in) {
    WriteBatch b = new WriteBatch();
    int n = in.getVarint32();
    b.appliedIndex = in.getVarint() - 1;
    for (int i = 0; i < n; i++) {
      int type = in.get();
      byte[] key = in.getBytes();
      if (type == InternalKey.TYPE_VALUE) {
        byte[] v = in.getBytes();
        b.ops.add(new Op(InternalKey.TYPE_VALUE, key, v));
        b.bytes += key.length + v.length + 16;
      } else if (type == InternalKey.TYPE_DELETION) {
        b.ops.add(new Op(InternalKey.TYPE_DELETION, key, null));
        b.bytes += key.length + 16;
      } else {
        throw new io.distkv.common.error.CorruptionException("write batch: unknown op type " + type);
      }
    }
    return b;
  }
}
