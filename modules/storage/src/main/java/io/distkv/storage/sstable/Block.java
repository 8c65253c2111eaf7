package io.distkv.storage.sstable;

import io.distkv.common.error.CorruptionException;
import io.distkv.storage.internal.InternalIterator;
import io.distkv.storage.internal.InternalKey;
import java.util.Arrays;
import java.util.Comparator;

/** A decoded, immutable block (data or index); see {@link BlockBuilder} for the layout. */
public final class Block {
  private final byte[] data;
  private final int restartsOffset;
  private final int numRestarts;
  private final String source;

  public Block(byte[] data, String source) {
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

  public Iter iterator(Comparator<byte[]> cmp) {
    return new Iter(cmp);
  }

  public Iter iterator() {
    return new Iter(InternalKey.COMPARATOR);
  }

  /** Cursor over a block's entries. */
  public final class Iter implements InternalIterator {
    private final Comparator<byte[]> cmp;
    private int current = -1; // offset of current entry; -1 = invalid
    private int next; // offset just past current entry
    private byte[] key = new byte[0];
    private int valueOffset;
    private int valueLength;

    Iter(Comparator<byte[]> cmp) {
      this.cmp = cmp;
    }

    private int varint(int[] pos) {
      int result = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        if (pos[0] >= restartsOffset) {
          throw new CorruptionException(source + ": entry runs past the block end");
        }
        int b = data[pos[0]++] & 0xFF;
        result |= (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new CorruptionException(source + ": malformed varint in block");
    }

    /** Decodes the entry at {@code offset}, with {@code prevKey} as the prefix source. */
    private void decodeAt(int offset, byte[] prevKey) {
      int[] pos = {offset};
      int shared = varint(pos);
      int unshared = varint(pos);
      int vlen = varint(pos);
      if (shared > prevKey.length || pos[0] + unshared + vlen > restartsOffset) {
        throw new CorruptionException(source + ": bad entry at block offset " + offset);
      }
      byte[] k = Arrays.copyOf(prevKey, shared + unshared);
      System.arraycopy(data, pos[0], k, shared, unshared);
      key = k;
      valueOffset = pos[0] + unshared;
      valueLength = vlen;
      current = offset;
      next = valueOffset + vlen;
    }

    @Override
    public boolean valid() {
      return current >= 0;
    }

    private void seekToRestart(int i) {
      decodeAt(restartPoint(i), new byte[0]);
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
        decodeAt(next, key);
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
        seekToRestart(mid);
        if (cmp.compare(key, target) < 0) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      seekToRestart(lo);
      while (true) {
        if (cmp.compare(key, target) >= 0) {
          return;
        }
        if (next >= restartsOffset) {
          current = -1;
          return;
        }
        decodeAt(next, key);
      }
    }

    @Override
    public void next() {
      if (next >= restartsOffset) {
        current = -1;
        return;
      }
      decodeAt(next, key);
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
        decodeAt(next, key);
      }
    }

    @Override
    public byte[] key() {
      return key;
    }

    @Override
    public byte[] value() {
      return Arrays.copyOfRange(data, valueOffset, valueOffset + valueLength);
    }
  }
}
