package io.distkv.storage;

/**
 * Where a store's compactions run. The store calls {@link #compactionNeeded(LsmStore)} whenever
 * the tree may need work; the scheduler later calls {@link LsmStore#runCompaction()} (off the
 * caller's thread) until it returns false. {@link #threadPool()} is the library default;
 * {@code Compactor} runs them from a typed actor on a blocking dispatcher.
 */
public interface CompactionScheduler extends AutoCloseable {
  void compactionNeeded(LsmStore store);

  /**
   * Whether this scheduler also runs the store's memtable flushes ({@link #flushNeeded}); if not,
   * the store flushes on a thread of its own.
   */
  default boolean runsFlushes() {
    return false;
  }

  /** The store switched its memtable: call {@link LsmStore#runFlush()} (off the caller's thread). */
  default void flushNeeded(LsmStore store) {
    throw new UnsupportedOperationException("this scheduler does not run flushes");
  }

  @Override
  void close();

  /** A dedicated daemon thread per store. */
  static CompactionScheduler threadPool() {
    return new ThreadCompactionScheduler();
  }
}
