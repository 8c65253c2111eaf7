package io.distkv.storage;

/**
 * A consistent point-in-time view: reads at this snapshot see exactly the writes with sequence
 * ≤ {@link #sequence()}. Keeps compaction from dropping the versions it needs; close it.
 */
public final class Snapshot implements AutoCloseable {
  private final long sequence;
  private final LsmStore store;
  private boolean released;

  Snapshot(long sequence, LsmStore store) {
    this.sequence = sequence;
    this.store = store;
  }

  public long sequence() {
    return sequence;
  }

  @Override
  public synchronized void close() {
    if (!released) {
      released = true;
      store.releaseSnapshot(sequence);
    }
  }
}
