package io.distkv.storage.sstable;

import io.distkv.common.error.CorruptionException;
import io.distkv.storage.internal.ByteSink;

/** Where a block sits in a table file: offset and size of its stored bytes (without trailer). */
public record BlockHandle(long offset, long size) {
  byte[] encode() {
    return new ByteSink(20).putVarint(offset).putVarint(size).toByteArray();
  }

  /** Decodes the handle in {@code b[off, off + len)}; {@code where} names the table in errors. */
  static BlockHandle decode(byte[] b, int off, int len, Object where) {
    int end = off + len;
    long offset = 0;
    int shift = 0;
    int p = off;
    for (;; shift += 7) {
      if (p >= end || shift > 63) {
        throw new CorruptionException(where + ": malformed block handle in the index");
      }
      int x = b[p++] & 0xFF;
      offset |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        break;
      }
    }
    long size = 0;
    for (shift = 0;; shift += 7) {
      if (p >= end || shift > 63) {
        throw new CorruptionException(where + ": malformed block handle in the index");
      }
      int x = b[p++] & 0xFF;
      size |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        break;
      }
    }
    return new BlockHandle(offset, size);
  }
}
