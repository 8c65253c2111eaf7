package io.distkv.bench.storage;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

final class RocksDbEngine implements KvEngine {
  static {
    RocksDB.loadLibrary();
  }

  private final Options options;
  private final LRUCache cache;
  private final WriteOptions writeOptions = new WriteOptions().setSync(false).setDisableWAL(false);
  private final ReadOptions readOptions = new ReadOptions();
  private final RocksDB db;

  RocksDbEngine(EngineSettings s) {
    cache = new LRUCache(s.cacheBytes());
    BlockBasedTableConfig table = new BlockBasedTableConfig()
        .setBlockCache(cache)
        .setBlockSize(EngineSettings.BLOCK_SIZE)
        .setFilterPolicy(new BloomFilter(EngineSettings.BLOOM_BITS));
    options = new Options()
        .setCreateIfMissing(true)
        .setWriteBufferSize(EngineSettings.WRITE_BUFFER)
        .setCompressionType(CompressionType.NO_COMPRESSION)
        .setTableFormatConfig(table);
    try {
      db = RocksDB.open(options, s.dir().toString());
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot open RocksDB at " + s.dir(), e);
    }
  }

  @Override
  public String name() {
    return "rocksdb-jni";
  }

  @Override
  public void put(byte[] key, byte[] value) {
    try {
      db.put(writeOptions, key, value);
    } catch (RocksDBException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public byte[] get(byte[] key) {
    try {
      return db.get(readOptions, key);
    } catch (RocksDBException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public long readSequential(long n) {
    long read = 0;
    try (RocksIterator it = db.newIterator(readOptions)) {
      for (it.seekToFirst(); it.isValid() && read < n; it.next()) {
        it.key();
        it.value();
        read++;
      }
    }
    return read;
  }

  @Override
  public boolean seek(byte[] key) {
    try (RocksIterator it = db.newIterator(readOptions)) {
      it.seek(key);
      if (!it.isValid()) {
        return false;
      }
      it.key();
      it.value();
      return true;
    }
  }

  @Override
  public void close() {
    db.close();
    options.close();
    cache.close();
    writeOptions.close();
    readOptions.close();
  }
}
