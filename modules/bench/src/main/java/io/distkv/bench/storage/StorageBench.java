package io.distkv.bench.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * db_bench-style storage benchmark: the same workloads, in the same harness, against dist-kv's
 * LSM, RocksDB JNI and iq80 LevelDB. 16-byte keys, 100-byte values by default.
 *
 * <pre>
 * java -cp 'modules/bench/target/distkv-bench-*.jar:modules/bench/target/lib/*' io.distkv.bench.storage.StorageBench \
 *   [--engines distkv,rocksdb,leveldb] [--num 1000000] [--threads 1,2] [--value-size 100]
 *   [--warm-cache-mb 256] [--cold-cache-mb 8] [--warmup 200000] [--dir /tmp/distkv-storage-bench] [--json out.json]
 * </pre>
 *
 * Per engine and thread count: fillseq (fresh store); then on a second fresh store fillrandom,
 * overwrite, readseq, readrandom (warm: cache holds the data), seekrandom; then the store is
 * reopened with a small cache for readrandom (cold). Each of T threads does num/T operations.
 * Before any measurement every engine gets an untimed warm-up (fill + reads of --warmup entries
 * on a scratch store), so the JIT is warm for all of them whatever the order.
 */
public final class StorageBench {
  record Result(String engine, int threads, String benchmark, long ops, double seconds, String note) {
    double opsPerSec() {
      return ops / seconds;
    }
  }

  private final int num;
  private final int valueSize;
  private final long warmCache;
  private final long coldCache;
  private final Path root;
  private final byte[] valuePool;
  private final List<Result> results = new ArrayList<>();

  StorageBench(int num, int valueSize, long warmCache, long coldCache, Path root) {
    this.num = num;
    this.valueSize = valueSize;
    this.warmCache = warmCache;
    this.coldCache = coldCache;
    this.root = root;
    this.valuePool = new byte[1 << 20];
    new SplittableRandom(301).nextBytes(valuePool);
  }

  /**
   * {@code k} as 16 zero-padded decimal digits (db_bench's key format), written digit by digit:
   * {@code String.format} costs ~0.5 µs, as much as a whole put, and would be measured too.
   */
  static byte[] key(long k) {
    byte[] out = new byte[16];
    long v = k;
    for (int i = 15; i >= 0; i--) {
      out[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    return out;
  }

  private byte[] value(SplittableRandom rnd) {
    byte[] v = new byte[valueSize];
    System.arraycopy(valuePool, rnd.nextInt(valuePool.length - valueSize), v, 0, valueSize);
    return v;
  }

  interface Op {
    /** Performs operation i of thread t; returns 1 if it "found" something (reads). */
    int run(int thread, long i, SplittableRandom rnd);
  }

  private Result timed(String engine, int threads, String name, Op op, String extraNote) throws InterruptedException {
    long perThread = num / threads;
    AtomicLong found = new AtomicLong();
    Thread[] ts = new Thread[threads];
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      int id = t;
      ts[t] = new Thread(() -> {
        SplittableRandom rnd = new SplittableRandom(1000L * id + name.hashCode());
        long f = 0;
        for (long i = 0; i < perThread; i++) {
          f += op.run(id, i, rnd);
        }
        found.addAndGet(f);
      }, "bench-" + t);
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    double secs = (System.nanoTime() - start) / 1e9;
    long ops = perThread * threads;
    String note = extraNote;
    if (name.startsWith("read") || name.startsWith("seek")) {
      note = "(" + found.get() + " of " + ops + " found)" + (extraNote.isEmpty() ? "" : " " + extraNote);
    }
    Result r = new Result(engine, threads, name, ops, secs, note);
    results.add(r);
    System.out.printf(Locale.ROOT, "%-13s %2d  %-18s %12.0f ops/s %9.3f us/op  %s%n",
        engine, threads, name, r.opsPerSec(), 1e6 / r.opsPerSec(), note);
    return r;
  }

  /** Untimed fill and reads on a scratch store, so every engine is measured with a warm JIT. */
  void warmUp(String engineName, Function<EngineSettings, KvEngine> factory, int entries) throws Exception {
    Path dir = root.resolve(engineName + "-warmup");
    io.distkv.common.io.Dirs.deleteTree(dir);
    try (KvEngine db = factory.apply(new EngineSettings(dir, warmCache))) {
      SplittableRandom rnd = new SplittableRandom(7);
      for (int i = 0; i < entries; i++) {
        db.put(key(rnd.nextInt(entries)), value(rnd));
      }
      for (int i = 0; i < entries; i++) {
        db.get(key(rnd.nextInt(entries)));
        if (i % 100 == 0) {
          db.seek(key(rnd.nextInt(entries)));
        }
      }
      db.readSequential(entries);
    }
    io.distkv.common.io.Dirs.deleteTree(dir);
  }

  void run(String engineName, Function<EngineSettings, KvEngine> factory, int threads) throws Exception {
    Path dir = root.resolve(engineName + "-t" + threads);
    io.distkv.common.io.Dirs.deleteTree(dir);
    try (KvEngine db = factory.apply(new EngineSettings(dir, warmCache))) {
      long per = num / threads;
      timed(db.name(), threads, "fillseq", (t, i, rnd) -> {
        db.put(key(t * per + i), value(rnd));
        return 0;
      }, "");
    }
    io.distkv.common.io.Dirs.deleteTree(dir);
    String summary;
    try (KvEngine db = factory.apply(new EngineSettings(dir, warmCache))) {
      timed(db.name(), threads, "fillrandom", (t, i, rnd) -> {
        db.put(key(rnd.nextInt(num)), value(rnd));
        return 0;
      }, "");
      timed(db.name(), threads, "overwrite", (t, i, rnd) -> {
        db.put(key(rnd.nextInt(num)), value(rnd));
        return 0;
      }, "");
      long start = System.nanoTime();
      long read = db.readSequential(num);
      double secs = (System.nanoTime() - start) / 1e9;
      Result rs = new Result(db.name(), threads, "readseq", read, secs, "(1 thread scan)");
      results.add(rs);
      System.out.printf(Locale.ROOT, "%-13s %2d  %-18s %12.0f ops/s %9.3f us/op  %s%n",
          db.name(), threads, "readseq", rs.opsPerSec(), 1e6 / rs.opsPerSec(), rs.note());
      timed(db.name(), threads, "readrandom(warm)", (t, i, rnd) -> db.get(key(rnd.nextInt(num))) != null ? 1 : 0, "");
      timed(db.name(), threads, "seekrandom", (t, i, rnd) -> db.seek(key(rnd.nextInt(num))) ? 1 : 0, "");
      summary = db.summary();
    }
    try (KvEngine db = factory.apply(new EngineSettings(dir, coldCache))) {
      timed(db.name(), threads, "readrandom(cold)", (t, i, rnd) -> db.get(key(rnd.nextInt(num))) != null ? 1 : 0,
          "cache " + (coldCache >> 20) + " MiB");
    }
    if (!summary.isEmpty()) {
      System.out.println("  " + engineName + " after fillrandom+overwrite: " + summary);
    }
    io.distkv.common.io.Dirs.deleteTree(dir);
  }



  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--help") || args[i].equals("-h")) {
        System.out.println("usage: StorageBench [--engines distkv,rocksdb,leveldb] [--num N] [--threads 1,2] "
            + "[--value-size B] [--warm-cache-mb M] [--cold-cache-mb M] [--warmup N] [--dir D] [--json FILE]");
        return;
      }
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("bad argument '" + args[i] + "' (try --help)");
      }
      opt.put(args[i].substring(2), args[++i]);
    }
    int num = Integer.parseInt(opt.getOrDefault("num", "1000000"));
    int valueSize = Integer.parseInt(opt.getOrDefault("value-size", "100"));
    long warm = Long.parseLong(opt.getOrDefault("warm-cache-mb", "256")) << 20;
    long cold = Long.parseLong(opt.getOrDefault("cold-cache-mb", "8")) << 20;
    Path dir = Path.of(opt.getOrDefault("dir", System.getProperty("java.io.tmpdir") + "/distkv-storage-bench"));
    StorageBench bench = new StorageBench(num, valueSize, warm, cold, dir);
    System.out.printf(Locale.ROOT, "keys: 16 bytes  values: %d bytes  entries: %d  warm cache: %d MiB  cold cache: %d MiB%n",
        valueSize, num, warm >> 20, cold >> 20);
    System.out.println("all engines: WAL on, sync off, 4 MiB write buffer, 4 KiB blocks, no compression, "
        + "bloom 10 bits/key (iq80 LevelDB: none, unsupported)");
    int warmup = Integer.parseInt(opt.getOrDefault("warmup", "200000"));
    for (String engine : opt.getOrDefault("engines", "distkv,rocksdb,leveldb").split(",")) {
      if (warmup > 0) {
        bench.warmUp(engine, factoryOf(engine), warmup);
      }
    }
    for (String threads : opt.getOrDefault("threads", "1,2").split(",")) {
      for (String engine : opt.getOrDefault("engines", "distkv,rocksdb,leveldb").split(",")) {
        Function<EngineSettings, KvEngine> factory = factoryOf(engine);
        bench.run(engine, factory, Integer.parseInt(threads.trim()));
      }
    }
    bench.printRatios();
    if (opt.containsKey("json")) {
      bench.writeJson(Path.of(opt.get("json")));
    }
  }

  static Function<EngineSettings, KvEngine> factoryOf(String engine) {
    return switch (engine) {
      case "distkv" -> DistKvEngine::new;
      case "rocksdb" -> RocksDbEngine::new;
      case "leveldb" -> LevelDbEngine::new;
      default -> throw new IllegalArgumentException("unknown engine '" + engine + "' (distkv, rocksdb, leveldb)");
    };
  }

  private void printRatios() {
    System.out.println();
    System.out.println("ratios (dist-kv ops/s divided by the other engine's):");
    for (Result r : results) {
      if (!r.engine().equals("dist-kv")) {
        continue;
      }
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  t=%d %-18s", r.threads(), r.benchmark()));
      for (Result o : results) {
        if (!o.engine().equals("dist-kv") && o.threads() == r.threads() && o.benchmark().equals(r.benchmark())) {
          line.append(String.format(Locale.ROOT, "  vs %s %.2fx", o.engine(), r.opsPerSec() / o.opsPerSec()));
        }
      }
      System.out.println(line);
    }
  }

  private void writeJson(Path file) throws IOException {
    StringBuilder sb = new StringBuilder("[\n");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      sb.append(String.format(Locale.ROOT,
          "  {\"engine\":\"%s\",\"threads\":%d,\"benchmark\":\"%s\",\"ops\":%d,\"seconds\":%.4f,\"opsPerSec\":%.1f}%s%n",
          r.engine(), r.threads(), r.benchmark(), r.ops(), r.seconds(), r.opsPerSec(), i + 1 < results.size() ? "," : ""));
    }
    Files.writeString(file, sb.append("]\n").toString());
  }
}
