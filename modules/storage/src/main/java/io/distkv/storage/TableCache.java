package io.distkv.storage;

import io.distkv.storage.sstable.BlockCache;
import io.distkv.storage.sstable.SsTableReader;
import io.distkv.storage.version.FileNames;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open readers of a store's live tables, opened on first use and closed when the table is
 * deleted (never while a pinned version may still read it: every read pins the version it reads,
 * and a table leaves only once no live version lists it). An evicted table's mapping is released
 * at once; at {@link #close()} mappings are left to the garbage collector, since a read that
 * passed the store's open check may still be running.
 */
final class TableCache implements AutoCloseable {
  private final Path dir;
  private final BlockCache blockCache;
  private final long cacheOwner;
  private final ConcurrentHashMap<Long, SsTableReader> readers = new ConcurrentHashMap<>();

  TableCache(Path dir, BlockCache blockCache) {
    this.dir = dir;
    this.blockCache = blockCache;
    this.cacheOwner = blockCache.newOwner();
  }

  SsTableReader get(long number) {
    return readers.computeIfAbsent(number, n -> new SsTableReader(dir.resolve(FileNames.table(n)), n, blockCache,
        cacheOwner));
  }

  void evict(long number) {
    SsTableReader r = readers.remove(number);
    if (r != null) {
      r.closeAndUnmap();
    }
  }

  int openReaders() {
    return readers.size();
  }

  @Override
  public void close() {
    readers.values().forEach(SsTableReader::close);
    readers.clear();
  }
}
