package io.distkv.storage.sstable;

import io.distkv.storage.internal.ByteSink;
import java.util.Arrays;

/**
 * Builds one block: keys prefix-compressed against the previous key, with a full key (a restart
 * point) every {@code restartInterval} entries so readers can binary-search. Layout in
 * docs/formats.md "Block".
 */
public final class BlockBuilder {
  private final int restartInterval;
  private final ByteSink buf = new ByteSink(8 * 1024);
  private final ByteSink restarts = new ByteSink(256);
  private int numRestarts;
  private int counter;
  private byte[] lastKey = new byte[0];
  private int entries;

  public BlockBuilder(int restartInterval) {
    this.restartInterval = restartInterval;
    reset();
  }

  public void reset() {
    buf.reset();
    restarts.reset();
    restarts.putInt(0);
    numRestarts = 1;
    counter = 0;
    lastKey = new byte[0];
    entries = 0;
  }

  /** Adds an entry; keys must come in order and must not be modified afterwards (one is kept). */
  public void add(byte[] key, byte[] value) {
    int shared = 0;
    if (counter < restartInterval) {
      int max = Math.min(lastKey.length, key.length);
      shared = Arrays.mismatch(lastKey, 0, max, key, 0, max);
      if (shared < 0) {
        shared = max;
      }
    } else {
      restarts.putInt(buf.size());
      numRestarts++;
      counter = 0;
    }
    buf.putVarint(shared);
    buf.putVarint(key.length - shared);
    buf.putVarint(value.length);
    buf.put(key, shared, key.length - shared);
    buf.put(value);
    lastKey = key;
    counter++;
    entries++;
  }

  public boolean isEmpty() {
    return entries == 0;
  }

  public int entries() {
    return entries;
  }

  public int estimatedSize() {
    return buf.size() + restarts.size() + 4;
  }

  public byte[] lastKey() {
    return lastKey;
  }

  /** The finished block contents (entries, restart array, restart count). */
  public byte[] finish() {
    ByteSink out = new ByteSink(estimatedSize());
    finishInto(out);
    return out.toByteArray();
  }

  /** Appends the finished block contents to {@code out}. */
  public void finishInto(ByteSink out) {
    out.put(buf.array(), 0, buf.size());
    out.put(restarts.array(), 0, restarts.size());
    out.putInt(numRestarts);
  }
}
