package io.distkv.storage.sstable;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Decoded data blocks shared by every table of a store, or of every store of a node (each store
 * is an {@link #newOwner() owner}: table numbers are per store), bounded in bytes (Caffeine,
 * W-TinyLFU).
 * Blocks of a deleted table are not looked for and dropped (that would scan the whole cache per
 * deleted file); table numbers are never reused, so nothing can hit them and they age out like any
 * other cold block, as in LevelDB and RocksDB.
 */
public final class BlockCache {
  record Key(long owner, long fileNumber, long offset) {}

  private final java.util.concurrent.atomic.AtomicLong owners = new java.util.concurrent.atomic.AtomicLong();

  /** A new owner id: the blocks of one store's tables. */
  public long newOwner() {
    return owners.incrementAndGet();
  }

  private final Cache<Key, Block> cache;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  public BlockCache(long capacityBytes) {
    this.cache = Caffeine.newBuilder()
        .maximumWeight(capacityBytes)
        .weigher((Key k, Block b) -> b.size() + 64)
        .executor(Runnable::run)
        .build();
  }

  /**
   * The block at {@code offset} of table {@code fileNumber}, from the cache or {@code loader}.
   * With {@code fill} false (compaction reads: each block is read once, and caching it would
   * evict what readers use) a loaded block is not cached and the lookup is not counted in the
   * hit rate.
   */
  Block get(long owner, long fileNumber, long offset, Function<Key, Block> loader, boolean fill) {
    Key key = new Key(owner, fileNumber, offset);
    Block b = cache.getIfPresent(key);
    if (!fill) {
      return b != null ? b : loader.apply(key);
    }
    if (b != null) {
      hits.increment();
      return b;
    }
    misses.increment();
    b = loader.apply(key);
    cache.put(key, b);
    return b;
  }

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  public long weightedSize() {
    return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }
}
