package io.distkv.storage.internal;

/**
 * Bidirectional cursor over internal keys in {@link InternalKey#COMPARATOR} order: the one small
 * interface that memtables, blocks, tables and merges all implement (as LevelDB's Iterator).
 */
public interface InternalIterator extends AutoCloseable {
  boolean valid();

  void seekToFirst();

  void seekToLast();

  /** Positions at the first entry ≥ target. */
  void seek(byte[] target);

  /** Positions at the last entry ≤ target. */
  default void seekForPrev(byte[] target) {
    seek(target);
    if (!valid()) {
      seekToLast();
    } else if (InternalKey.compare(key(), target) > 0) {
      prev();
    }
  }

  void next();

  void prev();

  byte[] key();

  byte[] value();

  @Override
  default void close() {}
}
