package io.distkv.bench.storage;

import java.nio.file.Path;

/**
 * What every engine is given, so runs are comparable: WAL on, sync off, 4 MiB write buffer,
 * 4 KiB blocks, no compression, 10-bit bloom filters (iq80 LevelDB has none), same cache size.
 */
record EngineSettings(Path dir, long cacheBytes) {
  static final int WRITE_BUFFER = 4 << 20;
  static final int BLOCK_SIZE = 4096;
  static final int BLOOM_BITS = 10;
}
