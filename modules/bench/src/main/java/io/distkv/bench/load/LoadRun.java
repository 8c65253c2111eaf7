package io.distkv.bench.load;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One run, closed or open loop. Closed (the default): {@code clients} virtual users, each issuing
 * its next operation as soon as the previous one completes, until the duration or the operation
 * count is reached. Open ({@link #openLoop}): operations start on a fixed schedule of {@code rate}
 * per second whatever the answers do, at most {@code clients} in flight, and each latency is
 * measured from the operation's scheduled start (no coordinated omission: an operation that had
 * to wait for a slot, or for a stalled issuer, counts its wait). Latency of every operation goes
 * into HdrHistograms (per kind), failures are counted by code, and a progress line is printed
 * every second.
 */
final class LoadRun {
  /** What one run measured. */
  record Result(String driver, Workload workload, int clients, long ops, double seconds, double opsPerSec,
      Stats read, Stats write, Map<String, Long> errors, double serverCpuMsPerOp, double serverContextSwitchesPerOp) {
    long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** All operations' latency (reads and writes together). */
    Stats overall() {
      return read.count == 0 ? write : write.count == 0 ? read : Stats.merge(read, write);
    }
  }

  /** Latency summary in milliseconds. */
  record Stats(long count, double p50, double p99, double p999, double max,
      @com.fasterxml.jackson.annotation.JsonIgnore Histogram histogram) {
    static Stats of(Histogram h) {
      return new Stats(h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
          h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6, h);
    }

    static Stats merge(Stats a, Stats b) {
      Histogram h = a.histogram.copy();
      h.add(b.histogram);
      return of(h);
    }
  }

  /**
   * An operation without an answer after this long counts as a TIMEOUT error, so a lost request
   * cannot stall its virtual user (and the run) forever.
   */
  static final long OP_TIMEOUT_SECONDS = 15;

  private final Driver driver;
  private final Workload workload;
  private final int clients;
  private final KeyChooser keys;
  private final byte[] value;
  private final long durationNanos;
  private final long warmupNanos;
  private volatile long measureFrom;
  private final long maxOps;
  private final PrintStream progress;
  private final ServerProcesses servers;
  private ServerProcesses.Sample serversAtStart;
  private final Recorder reads = new Recorder(3);
  private final Recorder writes = new Recorder(3);
  private final Histogram readTotal = new Histogram(3);
  private final Histogram writeTotal = new Histogram(3);
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final AtomicLong issued = new AtomicLong();
  private volatile boolean running = true;
  private CountDownLatch done;
  private double rate;

  LoadRun(Driver driver, Workload workload, int clients, KeyChooser keys, int valueSize,
      long durationNanos, long warmupNanos, long maxOps, PrintStream progress, ServerProcesses servers) {
    this.servers = servers;
    this.warmupNanos = warmupNanos;
    this.driver = driver;
    this.workload = workload;
    this.clients = clients;
    this.keys = keys;
    this.value = new byte[valueSize];
    ThreadLocalRandom.current().nextBytes(value);
    this.durationNanos = durationNanos;
    this.maxOps = maxOps;
    this.progress = progress;
  }

  private static final byte[] KEY_PREFIX = "user".getBytes(StandardCharsets.US_ASCII);

  /** {@code "user%010d"} of {@code i} (i ≥ 0), without a Formatter on every operation. */
  static byte[] key(long i) {
    int digits = 10;
    for (long rest = i / 10_000_000_000L; rest > 0; rest /= 10) {
      digits++;
    }
    byte[] k = new byte[KEY_PREFIX.length + digits];
    System.arraycopy(KEY_PREFIX, 0, k, 0, KEY_PREFIX.length);
    for (int j = k.length - 1; j >= KEY_PREFIX.length; j--) {
      k[j] = (byte) ('0' + i % 10);
      i /= 10;
    }
    return k;
  }

  /** Writes every key once ({@code concurrency} in flight): reads then find data. */
  static void preload(Driver driver, long keyCount, int valueSize, int concurrency, PrintStream out) throws InterruptedException {
    byte[] value = new byte[valueSize];
    ThreadLocalRandom.current().nextBytes(value);
    AtomicLong next = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch done = new CountDownLatch(concurrency);
    long start = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      preloadNext(driver, next, keyCount, value, failed, done);
    }
    done.await();
    out.printf("preloaded %,d keys with %s in %.1f s (%d failed)%n", keyCount, driver.name(),
        (System.nanoTime() - start) / 1e9, failed.get());
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " preload writes failed");
    }
  }

  private static void preloadNext(Driver driver, AtomicLong next, long keyCount, byte[] value, AtomicLong failed,
      CountDownLatch done) {
    long i = next.getAndIncrement();
    if (i >= keyCount) {
      done.countDown();
      return;
    }
    driver.write(key(i), value).orTimeout(OP_TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((r, e) -> {
      if (e != null) {
        failed.incrementAndGet();
      }
      preloadNext(driver, next, keyCount, value, failed, done);
    });
  }

  /** Runs open loop at {@code opsPerSecond} (0 = closed loop). */
  LoadRun openLoop(double opsPerSecond) {
    if (opsPerSecond < 0) {
      throw new IllegalArgumentException("--rate must be >= 0, was " + opsPerSecond);
    }
    this.rate = opsPerSecond;
    return this;
  }

  Result run() throws InterruptedException {
    long begin = System.nanoTime();
    measureFrom = begin + warmupNanos;
    if (warmupNanos > 0) {
      issued.set(Long.MIN_VALUE / 2); // the operation budget counts from the end of the warm-up
    }
    if (rate > 0) {
      done = new CountDownLatch(1);
      Thread issuer = new Thread(() -> issueOnSchedule(begin), "load-open-loop");
      issuer.setDaemon(true);
      issuer.start();
    } else {
      done = new CountDownLatch(clients);
      for (int c = 0; c < clients; c++) {
        next();
      }
    }
    long second = 1;
    boolean warm = warmupNanos == 0;
    long start = measureFrom;
    if (warm) {
      serversAtStart = servers.sample();
    }
    while (!done.await(Math.max(1, begin + TimeUnit.SECONDS.toNanos(second) - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      long now = System.nanoTime();
      if (!warm && now >= measureFrom) {
        warm = true;
        issued.set(0);
        reads.reset();
        writes.reset();
        errors.clear();
        serversAtStart = servers.sample();
        progress.printf("  %s warm-up done (%d s), measuring%n", driver.name(), TimeUnit.NANOSECONDS.toSeconds(warmupNanos));
      }
      if (durationNanos > 0 && now - start >= durationNanos) {
        running = false;
      }
      if (now - begin >= TimeUnit.SECONDS.toNanos(second)) {
        printProgress(second);
        second++;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    readTotal.add(reads.getIntervalHistogram());
    writeTotal.add(writes.getIntervalHistogram());
    long ops = readTotal.getTotalCount() + writeTotal.getTotalCount() + errors.values().stream().mapToLong(LongAdder::sum).sum();
    Map<String, Long> errorCounts = new TreeMap<>();
    errors.forEach((k, v) -> errorCounts.put(k, v.sum()));
    double cpuPerOp = Double.NaN;
    double switchesPerOp = Double.NaN;
    if (!servers.isEmpty() && serversAtStart != null && ops > 0) {
      ServerProcesses.Sample used = servers.sample().minus(serversAtStart);
      cpuPerOp = used.cpuNanos() / 1e6 / ops;
      switchesPerOp = (double) used.contextSwitches() / ops;
    }
    return new Result(driver.name(), workload, clients, ops, seconds, ops / seconds, Stats.of(readTotal),
        Stats.of(writeTotal), errorCounts, cpuPerOp, switchesPerOp);
  }

  private void printProgress(long second) {
    Histogram r = reads.getIntervalHistogram();
    Histogram w = writes.getIntervalHistogram();
    if (System.nanoTime() >= measureFrom) {
      readTotal.add(r);
      writeTotal.add(w);
    }
    long errs = errors.values().stream().mapToLong(LongAdder::sum).sum();
    progress.printf("  %s %-10s c=%-4d %3ds%s %,9d ops/s  read p50 %s p99 %s  write p50 %s p99 %s  errors %d%n",
        driver.name(), workload.name().toLowerCase(), clients, second, System.nanoTime() < measureFrom ? " (warm-up)" : "", r.getTotalCount() + w.getTotalCount(),
        ms(r, 50), ms(r, 99), ms(w, 50), ms(w, 99), errs);
  }

  private static String ms(Histogram h, double pct) {
    return h.getTotalCount() == 0 ? "    -   " : String.format("%6.2fms", h.getValueAtPercentile(pct) / 1e6);
  }

  /**
   * The open loop's issuer: the i-th operation is due at {@code begin + i / rate}; it starts then,
   * or as soon as one of the {@code clients} slots frees, and its latency counts from when it was due.
   */
  private void issueOnSchedule(long begin) {
    java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(clients);
    double interval = 1e9 / rate;
    try {
      for (long i = 0; running && (maxOps <= 0 || issued.incrementAndGet() <= maxOps); i++) {
        long due = begin + (long) (i * interval);
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
          java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
        slots.acquire();
        boolean read = nextIsRead();
        send(read).whenComplete((res, err) -> {
          record(read, due, err);
          slots.release();
        });
      }
      running = false;
      slots.acquire(clients); // every operation answered
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      done.countDown();
    }
  }

  /** Issues operations for one virtual user until the run stops; loops instead of recursing on instant completions. */
  private void next() {
    while (true) {
      if (!running || (maxOps > 0 && issued.incrementAndGet() > maxOps)) {
        running = false;
        done.countDown();
        return;
      }
      boolean read = nextIsRead();
      long t0 = System.nanoTime();
      CompletableFuture<?> f = send(read);
      if (!f.isDone()) {
        f.whenComplete((res, err) -> {
          record(read, t0, err);
          next();
        });
        return;
      }
      f.handle((res, err) -> {
        record(read, t0, err);
        return null;
      });
    }
  }

  private boolean nextIsRead() {
    return workload.readFraction > 0 && ThreadLocalRandom.current().nextDouble() < workload.readFraction;
  }

  /** Starts one read or write of the next key. */
  private CompletableFuture<?> send(boolean read) {
    byte[] k = key(keys.next());
    return (read ? driver.read(k) : driver.write(k, value)).orTimeout(OP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private void record(boolean read, long t0, Throwable err) {
    long now = System.nanoTime();
    if (t0 < measureFrom && now >= measureFrom) {
      return; // started during the warm-up, ended after it: counted nowhere
    }
    long nanos = now - t0;
    if (err != null) {
      errors.computeIfAbsent(driver.errorCode(err), k -> new LongAdder()).increment();
      return;
    }
    (read ? reads : writes).recordValue(Math.max(1, nanos));
  }
}
