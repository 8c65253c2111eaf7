package io.distkv.storage;

/**
 * Where a store's compactions run. The store calls {@link #compactionNeeded(LsmStore)} whenever
 * the tree may need work; the scheduler later calls {@link LsmStore#runCompaction()} (off the
 * caller's thread) until it returns false. {@link #threadPool()} is the library default;
 * {@code Compactor} runs them from a typed actor on a blocking dispatcher.
 */
public interface CompactionScheduler extends AutoCloseable {
  void compactionNeeded(LsmStore store);

  @Override
  void close();

  /** A dedicated daemon thread per store. */
  static CompactionScheduler threadPool() {
    return new ThreadCompactionScheduler();
  }
}
