package io.distkv.storage.sstable;

import io.distkv.storage.internal.ByteSink;
import io.distkv.storage.internal.ByteSource;

/** Where a block sits in a table file: offset and size of its stored bytes (without trailer). */
public record BlockHandle(long offset, long size) {
  byte[] encode() {
    return new ByteSink(20).putVarint(offset).putVarint(size).toByteArray();
  }

  /** Decodes the handle in {@code b[off, off + len)}; {@code what} names it in errors. */
  static BlockHandle decode(byte[] b, int off, int len, String what) {
    ByteSource in = new ByteSource(b, off, len, what);
    return new BlockHandle(in.getVarint(), in.getVarint());
  }
}
