package io.distkv.storage.internal;

import io.distkv.common.error.CorruptionException;

/** A bounds-checked reader over a byte range; malformed input becomes {@link CorruptionException}. */
public final class ByteSource {
  private final byte[] buf;
  private int pos;
  private final int limit;
  private final String what;

  public ByteSource(byte[] buf, int off, int len, String what) {
    this.buf = buf;
    this.pos = off;
    this.limit = off + len;
    this.what = what;
  }

  public ByteSource(byte[] buf, String what) {
    this(buf, 0, buf.length, what);
  }

  public int position() {
    return pos;
  }

  public void position(int p) {
    pos = p;
  }

  public boolean hasRemaining() {
    return pos < limit;
  }

  public int remaining() {
    return limit - pos;
  }

  private void need(int n) {
    if (n < 0 || pos + n > limit) {
      throw new CorruptionException(what + ": truncated at byte " + pos + " (needed " + n + " more bytes)");
    }
  }

  public int get() {
    need(1);
    return buf[pos++] & 0xFF;
  }

  public int getInt() {
    need(4);
    int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8) | (buf[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  public long getLong() {
    long hi = getInt() & 0xFFFFFFFFL;
    long lo = getInt() & 0xFFFFFFFFL;
    return (hi << 32) | lo;
  }

  public long getVarint() {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = get();
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new CorruptionException(what + ": malformed varint at byte " + pos);
  }

  public int getVarint32() {
    long v = getVarint();
    if (v < 0 || v > Integer.MAX_VALUE) {
      throw new CorruptionException(what + ": length " + v + " out of range at byte " + pos);
    }
    return (int) v;
  }

  public byte[] getBytes(int n) {
    need(n);
    byte[] out = new byte[n];
    System.arraycopy(buf, pos, out, 0, n);
    pos += n;
    return out;
  }

  /** Length-prefixed (varint) bytes. */
  public byte[] getBytes() {
    return getBytes(getVarint32());
  }
}
