package io.distkv.raft.core;

/**
 * One Raft log entry. {@link Type#NOOP} is the empty entry a new leader appends to commit its
 * term (§5.4.2, §8); {@link Type#CONFIG} carries an encoded {@link Configuration}.
 */
public record Entry(long index, long term, Type type, byte[] data) {
  /** What an entry carries. */
  public enum Type {
    NORMAL,
    NOOP,
    CONFIG
  }

  public Entry {
    if (data == null) {
      data = EMPTY;
    }
  }

  private static final byte[] EMPTY = new byte[0];

  public static Entry normal(long index, long term, byte[] data) {
    return new Entry(index, term, Type.NORMAL, data);
  }

  /** Bytes counted against batching and backpressure limits. */
  public int size() {
    return data.length + 24;
  }
}
