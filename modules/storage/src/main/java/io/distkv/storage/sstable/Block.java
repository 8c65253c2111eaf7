package io.distkv.storage.sstable;

import io.distkv.common.error.CorruptionException;
import io.distkv.storage.internal.InternalIterator;
import io.distkv.storage.internal.InternalKey;
import java.util.Arrays;

/** A decoded, immutable block (data or index); see {@link BlockBuilder} for the layout. */
public final class Block {
  private final byte[] data;
  private final int restartsOffset;
  private final int numRestarts;
  private final Object source;

  /** @param source names the block in error messages (its {@code toString()}) */
  public Block(byte[] data, Object source) {
    this.data = data;
    this.source = source;
    if (data.length < 4) {
      throw new CorruptionException(source + ": block of " + data.length + " bytes is too short");
    }
    numRestarts = readInt(data, data.length - 4);
    restartsOffset = data.length - 4 - 4 * numRestarts;
    if (numRestarts < 1 || restartsOffset < 0) {
      throw new CorruptionException(source + ": bad restart count " + numRestarts);
    }
  }

  /** Bytes held in memory (for the block cache weigher). */
  public int size() {
    return data.length;
  }

  static int readInt(byte[] b, int p) {
    return ((b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
  }

  private int restartPoint(int i) {
    return readInt(data, restartsOffset + 4 * i);
  }

  public Iter iterator() {
    return new Iter();
  }

  /**
   * Cursor over a block's entries, in {@link InternalKey} order. Seeking compares the target with
   * the entries' bytes in place (restart keys straight from the block, others rebuilt in one
   * reused buffer); the key array {@link #key()} hands out is built only when asked for.
   */
  public final class Iter implements InternalIterator {
    private int current = -1; // offset of current entry; -1 = invalid
    private int next; // offset just past current entry
    private byte[] keyBuf = new byte[64]; // current key in [0, keyLen)
    private int keyLen;
    private byte[] key; // keyBuf's content as its own array, made on demand; null = not yet
    private int valueOffset;
    private int valueLength;
    private int pos; // decoding cursor

    private int varint() {
      int result = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        if (pos >= restartsOffset) {
          throw new CorruptionException(source + ": entry runs past the block end");
        }
        int b = data[pos++] & 0xFF;
        result |= (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new CorruptionException(source + ": malformed varint in block");
    }

    /** Decodes the entry at {@code offset}; its shared prefix comes from the current key. */
    private void decodeAt(int offset) {
      pos = offset;
      int shared = varint();
      int unshared = varint();
      int vlen = varint();
      if (shared > keyLen || unshared < 0 || vlen < 0 || pos + unshared + vlen > restartsOffset || pos + unshared + vlen < 0) {
        throw new CorruptionException(source + ": bad entry at block offset " + offset);
      }
      int len = shared + unshared;
      if (len > keyBuf.length) {
        keyBuf = Arrays.copyOf(keyBuf, Math.max(len, keyBuf.length * 2));
      }
      System.arraycopy(data, pos, keyBuf, shared, unshared);
      keyLen = len;
      key = null;
      valueOffset = pos + unshared;
      valueLength = vlen;
      current = offset;
      next = valueOffset + vlen;
    }

    /** The current key compared with {@code target} in internal-key order. */
    private int compareCurrent(byte[] target) {
      return InternalKey.compare(keyBuf, 0, keyLen, target);
    }

    /** The key of restart point {@code i} compared with {@code target}, read in place. */
    private int compareRestart(int i, byte[] target) {
      int offset = restartPoint(i);
      pos = offset;
      int shared = varint();
      int unshared = varint();
      varint();
      if (shared != 0 || unshared < 8 || pos + unshared > restartsOffset) {
        throw new CorruptionException(source + ": bad restart entry at block offset " + offset);
      }
      return InternalKey.compare(data, pos, unshared, target);
    }

    @Override
    public boolean valid() {
      return current >= 0;
    }

    private void seekToRestart(int i) {
      keyLen = 0;
      decodeAt(restartPoint(i));
    }

    @Override
    public void seekToFirst() {
      if (restartsOffset == 0) {
        current = -1;
        return;
      }
      seekToRestart(0);
    }

    @Override
    public void seekToLast() {
      if (restartsOffset == 0) {
        current = -1;
        return;
      }
      seekToRestart(numRestarts - 1);
      while (next < restartsOffset) {
        decodeAt(next);
      }
    }

    @Override
    public void seek(byte[] target) {
      if (restartsOffset == 0) {
        current = -1;
        return;
      }
      // Binary search for the last restart point whose key is < target.
      int lo = 0;
      int hi = numRestarts - 1;
      while (lo < hi) {
        int mid = (lo + hi + 1) >>> 1;
        if (compareRestart(mid, target) < 0) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      seekToRestart(lo);
      while (true) {
        if (compareCurrent(target) >= 0) {
          return;
        }
        if (next >= restartsOffset) {
          current = -1;
          return;
        }
        decodeAt(next);
      }
    }

    @Override
    public void next() {
      if (next >= restartsOffset) {
        current = -1;
        return;
      }
      decodeAt(next);
    }

    @Override
    public void prev() {
      int original = current;
      int r = numRestarts - 1;
      while (r > 0 && restartPoint(r) >= original) {
        r--;
      }
      if (restartPoint(r) >= original) {
        current = -1; // was the first entry
        return;
      }
      seekToRestart(r);
      while (next < original) {
        decodeAt(next);
      }
    }

    @Override
    public byte[] key() {
      if (key == null) {
        key = Arrays.copyOf(keyBuf, keyLen);
      }
      return key;
    }

    @Override
    public byte[] value() {
      return Arrays.copyOfRange(data, valueOffset, valueOffset + valueLength);
    }

    /** The current value as a range of {@link #blockData()}, without copying it. */
    int valueOffset() {
      return valueOffset;
    }

    int valueLength() {
      return valueLength;
    }

    byte[] blockData() {
      return data;
    }
  }
}
