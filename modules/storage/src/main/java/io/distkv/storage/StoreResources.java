package io.distkv.storage;

import io.distkv.storage.sstable.BlockCache;

/**
 * What the stores of one node share: one block cache, one memtable budget, and one scheduler for
 * flushes and compactions (a node's {@link Compactor} actor). Any of them null: the store makes
 * its own (a cache of {@link LsmOptions#blockCacheBytes()}, no budget beyond its write buffer,
 * a thread for flushes and one for compactions).
 */
public record StoreResources(BlockCache blockCache, WriteBufferManager writeBuffers, CompactionScheduler scheduler) {
  /** Nothing shared: every store on its own. */
  public static final StoreResources NONE = new StoreResources(null, null, null);
}
