package io.distkv.bench.storage;

/** One storage engine under benchmark, opened with the shared settings of {@link EngineSettings}. */
interface KvEngine extends AutoCloseable {
  String name();

  void put(byte[] key, byte[] value);

  byte[] get(byte[] key);

  /** Reads up to {@code n} entries in key order from the start; returns how many it read. */
  long readSequential(long n);

  /** Seeks to the first key ≥ {@code key} and reads that entry; true if one exists. */
  boolean seek(byte[] key);

  /** Engine-specific summary after the run (write amplification etc.), or "". */
  default String summary() {
    return "";
  }

  @Override
  void close();
}
