package io.distkv.bench.storage;

import java.io.IOException;
import java.util.Map;
import org.iq80.leveldb.CompressionType;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.WriteOptions;
import org.iq80.leveldb.impl.Iq80DBFactory;

final class LevelDbEngine implements KvEngine {
  private final DB db;
  private final WriteOptions writeOptions = new WriteOptions().sync(false);

  LevelDbEngine(EngineSettings s) {
    Options options = new Options()
        .createIfMissing(true)
        .writeBufferSize(EngineSettings.WRITE_BUFFER)
        .blockSize(EngineSettings.BLOCK_SIZE)
        .compressionType(CompressionType.NONE)
        .cacheSize(s.cacheBytes());
    try {
      db = Iq80DBFactory.factory.open(s.dir().toFile(), options);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open iq80 LevelDB at " + s.dir(), e);
    }
  }

  @Override
  public String name() {
    return "iq80-leveldb";
  }

  @Override
  public void put(byte[] key, byte[] value) {
    db.put(key, value, writeOptions);
  }

  @Override
  public byte[] get(byte[] key) {
    return db.get(key);
  }

  @Override
  public long readSequential(long n) {
    long read = 0;
    try (DBIterator it = db.iterator()) {
      for (it.seekToFirst(); it.hasNext() && read < n; read++) {
        Map.Entry<byte[], byte[]> e = it.next();
        e.getValue();
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return read;
  }

  @Override
  public boolean seek(byte[] key) {
    try (DBIterator it = db.iterator()) {
      it.seek(key);
      if (!it.hasNext()) {
        return false;
      }
      it.next();
      return true;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      db.close();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
