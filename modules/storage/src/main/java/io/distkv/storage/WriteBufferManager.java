package io.distkv.storage;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One memtable budget for every store of a node (RocksDB's write buffer manager): when the
 * memtables of all stores together hold {@code budgetBytes} or more, the store with the largest
 * active memtable (of those not already flushing) is flushed first, whatever its own write
 * buffer size. Stores report what they
 * insert; the total is recomputed from the stores themselves every {@code budget / 16} bytes
 * written, so the check costs nothing per write. While the total is above twice the budget
 * (flushes fall behind the writers), each write is delayed by a millisecond ({@link #overLimit}),
 * as the stores do when level 0 fills up.
 */
public final class WriteBufferManager {
  private final long budgetBytes;
  private final long checkEvery;
  private final Set<LsmStore> stores = ConcurrentHashMap.newKeySet();
  private final AtomicLong sinceCheck = new AtomicLong();
  private final AtomicLong flushesForced = new AtomicLong();
  /** The total at the last check. */
  private volatile long lastTotal;

  public WriteBufferManager(long budgetBytes) {
    if (budgetBytes < 1) {
      throw new IllegalArgumentException("write buffer budget must be >= 1 byte, was " + budgetBytes);
    }
    this.budgetBytes = budgetBytes;
    this.checkEvery = Math.max(1, budgetBytes / 16);
  }

  public long budgetBytes() {
    return budgetBytes;
  }

  void register(LsmStore store) {
    stores.add(store);
  }

  void unregister(LsmStore store) {
    stores.remove(store);
  }

  /** {@code store} inserted {@code bytes} into its memtable. */
  void inserted(long bytes) {
    if (sinceCheck.addAndGet(bytes) < checkEvery) {
      return;
    }
    sinceCheck.set(0);
    long total = 0;
    LsmStore largest = null;
    long largestBytes = 0;
    for (LsmStore s : stores) {
      long active = s.activeMemtableBytes();
      long flushing = s.immutableMemtableBytes();
      total += active + flushing;
      if (flushing == 0 && active > largestBytes) { // (a store already flushing cannot switch again yet)
        largest = s;
        largestBytes = active;
      }
    }
    lastTotal = total;
    if (total >= budgetBytes && largest != null) {
      flushesForced.incrementAndGet();
      largest.flushAsync();
    }
  }

  /** Whether writes should be slowed down: the memtables held more than twice the budget at the last check. */
  boolean overLimit() {
    return lastTotal > 2 * budgetBytes;
  }

  /** Memtable bytes of every registered store (active and being flushed). */
  public long memtableBytes() {
    long total = 0;
    for (LsmStore s : stores) {
      total += s.activeMemtableBytes() + s.immutableMemtableBytes();
    }
    return total;
  }

  /** Flushes started because the budget was reached. */
  public long flushesForced() {
    return flushesForced.get();
  }
}
