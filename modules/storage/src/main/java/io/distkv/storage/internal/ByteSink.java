package io.distkv.storage.internal;

import java.util.Arrays;

/** A growable byte buffer with the little encodings our file formats use (docs/formats.md). */
public final class ByteSink {
  private byte[] buf;
  private int len;

  public ByteSink() {
    this(256);
  }

  public ByteSink(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  public int size() {
    return len;
  }

  public void reset() {
    len = 0;
  }

  public byte[] array() {
    return buf;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }
  }

  public ByteSink put(int b) {
    ensure(1);
    buf[len++] = (byte) b;
    return this;
  }

  public ByteSink put(byte[] b) {
    return put(b, 0, b.length);
  }

  public ByteSink put(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
    return this;
  }

  public ByteSink putInt(int v) {
    ensure(4);
    buf[len++] = (byte) (v >>> 24);
    buf[len++] = (byte) (v >>> 16);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
    return this;
  }

  public ByteSink putLong(long v) {
    putInt((int) (v >>> 32));
    return putInt((int) v);
  }

  public ByteSink putVarint(long v) {
    if ((v & ~0x7FL) == 0) {
      ensure(1);
      buf[len++] = (byte) v;
      return this;
    }
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[len++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[len++] = (byte) v;
    return this;
  }

  /** Length-prefixed (varint) bytes. */
  public ByteSink putBytes(byte[] b) {
    putVarint(b.length);
    return put(b);
  }
}
