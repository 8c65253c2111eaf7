package io.distkv.bench.storage;

import io.distkv.storage.KvIterator;
import io.distkv.storage.LsmOptions;
import io.distkv.storage.LsmStore;
import io.distkv.storage.StoreStats;
import io.distkv.storage.SyncPolicy;

final class DistKvEngine implements KvEngine {
  private final LsmStore store;

  DistKvEngine(EngineSettings s) {
    store = LsmStore.open(s.dir(), LsmOptions.builder()
        .walEnabled(true)
        .syncPolicy(SyncPolicy.NEVER)
        .writeBufferBytes(EngineSettings.WRITE_BUFFER)
        .blockBytes(EngineSettings.BLOCK_SIZE)
        .bloomBitsPerKey(EngineSettings.BLOOM_BITS)
        .blockCacheBytes(s.cacheBytes())
        .build());
  }

  @Override
  public String name() {
    return "dist-kv";
  }

  @Override
  public void put(byte[] key, byte[] value) {
    store.put(key, value);
  }

  @Override
  public byte[] get(byte[] key) {
    return store.get(key);
  }

  @Override
  public long readSequential(long n) {
    long read = 0;
    try (KvIterator it = store.scan(null, null, n, false)) {
      while (it.hasNext()) {
        it.next();
        read++;
      }
    }
    return read;
  }

  @Override
  public boolean seek(byte[] key) {
    try (KvIterator it = store.scan(key, null, 1, false)) {
      return it.hasNext() && it.next() != null;
    }
  }

  @Override
  public String summary() {
    StoreStats st = store.stats();
    return String.format("write-amp %.2f (wal %d MB, flush %d MB, compaction %d MB for %d MB user), tables/level %s, "
            + "compactions %d, slowdowns %d, stalls %d (%d ms), cache hit %.1f%%",
        st.writeAmplification(), st.walBytesWritten() >> 20, st.bytesFlushed() >> 20, st.compactionBytesWritten() >> 20,
        st.userBytesWritten() >> 20, st.filesPerLevel(), st.compactions(), st.writeSlowdowns(), st.writeStalls(),
        st.stallMicros() / 1000, 100 * st.blockCacheHitRate());
  }

  @Override
  public void close() {
    store.close();
  }
}
