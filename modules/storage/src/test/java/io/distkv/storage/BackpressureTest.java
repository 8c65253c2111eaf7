package io.distkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("phase3")
class BackpressureTest {
  @TempDir Path dir;

  /** Runs no compactions ("compaction has fallen behind") until {@link #open} is called. */
  static final class GatedScheduler implements CompactionScheduler {
    private final CompactionScheduler delegate = CompactionScheduler.threadPool();
    private volatile boolean open;

    void open(LsmStore store) {
      open = true;
      delegate.compactionNeeded(store);
    }

    @Override
    public void compactionNeeded(LsmStore store) {
      if (open) {
        delegate.compactionNeeded(store);
      }
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** 64 KiB memtables, no fsyncs, and level 0's compaction, slowdown and stop triggers at {@code compaction}, {@code slowdown}, {@code stop} tables. */
  static LsmOptions smallTables(int compaction, int slowdown, int stop) {
    return LsmOptions.builder()
        .writeBufferBytes(64 * 1024)
        .l0CompactionTrigger(compaction)
        .l0SlowdownTrigger(slowdown)
        .l0StopTrigger(stop)
        .syncPolicy(SyncPolicy.NEVER)
        .build();
  }

  static void await(String what, Duration deadline, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + deadline + " waiting for: " + what);
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  @Test
  void writesSlowThenStopWhenCompactionFallsBehindAndResumeAfterIt() throws Exception {
    LsmOptions options = smallTables(2, 3, 4);
    GatedScheduler scheduler = new GatedScheduler();
    try (scheduler; LsmStore store = LsmStore.open(dir, options, scheduler)) {
      AtomicLong acked = new AtomicLong();
      Thread writer = new Thread(() -> {
        byte[] value = new byte[1000];
        for (long i = 0; i < 2000; i++) {
          // Keys cycle through 100 values, so every flushed table overlaps the others and stays in L0.
          store.put(String.format("key%08d", i % 100).getBytes(), value);
          acked.incrementAndGet();
        }
      }, "writer");
      writer.start();
      // L0 fills to the stop trigger; the writer then blocks instead of growing memory.
      await("writer blocked on a full L0", Duration.ofSeconds(30),
          () -> store.stats().filesPerLevel().get(0) >= 4 && writer.getState() == Thread.State.WAITING);
      StoreStats stalled = store.stats();
      assertThat(stalled.writeSlowdowns()).isPositive();
      assertThat(stalled.writeStalls()).isPositive();
      assertThat(stalled.memtableBytes()).isLessThanOrEqualTo(2 * options.writeBufferBytes() + 64 * 1024);
      long before = acked.get();
      assertThat(before).isLessThan(2000);
      // Compaction catches up: the writer resumes and finishes.
      scheduler.open(store);
      writer.join(Duration.ofSeconds(60).toMillis());
      assertThat(acked.get()).isEqualTo(2000);
      assertThat(store.get(String.format("key%08d", 1999 % 100).getBytes())).hasSize(1000);
    }
  }

  /**
   * A writer that must not block (a Raft replica on a dispatcher thread) asks {@code writeRoom}
   * before each write: it is told SLOW near the stop trigger and FULL at it, never blocks in a
   * paced write after NOW or SLOW, and is woken once compaction catches up.
   */
  @Test
  void writeRoomTellsANonBlockingWriterWhenToWaitAndWakesItWhenCompactionCatchesUp() throws Exception {
    LsmOptions options = smallTables(2, 3, 4);
    GatedScheduler scheduler = new GatedScheduler();
    try (scheduler; LsmStore store = LsmStore.open(dir, options, scheduler)) {
      java.util.EnumSet<LsmStore.WriteRoom> seen = java.util.EnumSet.noneOf(LsmStore.WriteRoom.class);
      byte[] value = new byte[1000];
      long written = 0;
      java.util.concurrent.CountDownLatch woken;
      // Writes on this thread: a wait here would hang the test, not pass it.
      while (true) {
        woken = new java.util.concurrent.CountDownLatch(1);
        LsmStore.WriteRoom room = store.writeRoom(woken::countDown);
        seen.add(room);
        if (room == LsmStore.WriteRoom.FULL) {
          if (store.stats().filesPerLevel().get(0) >= 4) {
            break; // level 0 at its stop trigger
          }
          // a full memtable behind a running flush: the flush's end wakes the writer
          assertThat(woken.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("woken by the flush").isTrue();
          continue;
        }
        store.writePaced(new WriteBatch().put(String.format("key%08d", written % 100).getBytes(), value));
        written++;
        assertThat(written).as("level 0 full before 2,000 writes of 1 KB into 64 KiB memtables").isLessThan(2000);
      }
      assertThat(seen).contains(LsmStore.WriteRoom.NOW, LsmStore.WriteRoom.SLOW);
      assertThat(store.stats().filesPerLevel().get(0)).isGreaterThanOrEqualTo(4);
      assertThat(store.stats().writeStalls()).as("the FULL answers").isPositive();
      assertThat(store.stats().writeSlowdowns()).as("the SLOW answers").isPositive();
      assertThat(woken.getCount()).as("not woken while compaction is held").isEqualTo(1);
      // Compaction catches up: the writer is woken and may write again.
      scheduler.open(store);
      assertThat(woken.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("woken").isTrue();
      await("room again", Duration.ofSeconds(30), () -> store.writeRoom(() -> {}) != LsmStore.WriteRoom.FULL);
      store.writePaced(new WriteBatch().put("after".getBytes(), value));
      assertThat(store.get("after".getBytes())).hasSize(1000);
      assertThat(store.get(String.format("key%08d", (written - 1) % 100).getBytes())).hasSize(1000);
    }
  }

  @Test
  void closeWakesANonBlockingWriterAndItsWriteIsRefused() throws Exception {
    LsmOptions options = smallTables(1, 1, 2);
    GatedScheduler scheduler = new GatedScheduler(); // never opened
    LsmStore store = LsmStore.open(dir, options, scheduler);
    java.util.concurrent.CountDownLatch woken = new java.util.concurrent.CountDownLatch(1);
    for (long i = 0; store.writeRoom(woken::countDown) != LsmStore.WriteRoom.FULL; i++) {
      store.writePaced(new WriteBatch().put(String.format("key%08d", i % 100).getBytes(), new byte[1000]));
    }
    store.close();
    assertThat(woken.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("woken by the close").isTrue();
    assertThat(store.writeRoom(() -> {})).isEqualTo(LsmStore.WriteRoom.NOW); // and the write then says why
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.writePaced(new WriteBatch().put("k".getBytes(), new byte[1])))
        .hasMessageContaining("clos");
    scheduler.close();
  }

  @Test
  void closeRefusesAWriterStalledOnBackpressureInsteadOfHanging() throws Exception {
    LsmOptions options = smallTables(1, 1, 2);
    GatedScheduler scheduler = new GatedScheduler(); // never opened
    LsmStore store = LsmStore.open(dir, options, scheduler);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (long i = 0; ; i++) {
          store.put(String.format("key%08d", i % 100).getBytes(), new byte[1000]);
        }
      } catch (RuntimeException e) {
        failure.set(e);
      }
    }, "writer");
    writer.start();
    await("writer blocked on a full L0", Duration.ofSeconds(30),
        () -> store.stats().filesPerLevel().get(0) >= 2 && writer.getState() == Thread.State.WAITING);
    store.close();
    writer.join(Duration.ofSeconds(30).toMillis());
    assertThat(failure.get()).isInstanceOf(io.distkv.common.error.ShuttingDownException.class).hasMessageContaining("closing");
    scheduler.close();
    // Everything acknowledged before the close is on disk.
    try (LsmStore reopened = LsmStore.open(dir, options)) {
      assertThat(reopened.get(String.format("key%08d", 0).getBytes())).hasSize(1000);
    }
  }

  @Test
  void concurrentWritersShareWalFsyncs() throws Exception {
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      int threads = 8;
      int perThread = 200;
      Thread[] ts = new Thread[threads];
      for (int t = 0; t < threads; t++) {
        int id = t;
        ts[t] = new Thread(() -> {
          for (int i = 0; i < perThread; i++) {
            store.put(("t" + id + "-" + i).getBytes(), new byte[100]);
          }
        });
        ts[t].start();
      }
      for (Thread t : ts) {
        t.join();
      }
      StoreStats stats = store.stats();
      assertThat(stats.lastSequence()).isEqualTo(threads * perThread);
      // Group commit: every write is durable (sync ALWAYS) yet they shared fsyncs.
      assertThat(stats.walSyncs()).isLessThan(threads * perThread);
    }
  }

  @Test
  void concurrentWritersAcrossMemtableSwitchesLoseNothingAndKeepEachBatchWhole() throws Exception {
    // Small buffers: the group-commit hand-off runs through many memtable switches and flushes.
    LsmOptions options = LsmOptions.builder().writeBufferBytes(64 * 1024).syncPolicy(SyncPolicy.NEVER).build();
    int threads = 4;
    int perThread = 3000;
    try (LsmStore store = LsmStore.open(dir, options)) {
      Thread[] ts = new Thread[threads];
      AtomicReference<Throwable> failure = new AtomicReference<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        ts[t] = new Thread(() -> {
          try {
            for (int i = 0; i < perThread; i++) {
              // every third write is a two-key batch
              WriteBatch b = new WriteBatch().put(("t" + id + "-" + i).getBytes(), ("v" + i).getBytes());
              if (i % 3 == 0) {
                b.put(("t" + id + "-" + i + "-pair").getBytes(), ("p" + i).getBytes());
              }
              store.write(b);
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        });
        ts[t].start();
      }
      for (Thread t : ts) {
        t.join();
      }
      assertThat(failure.get()).isNull();
      assertThat(store.stats().flushes()).isGreaterThan(3);
    }
    try (LsmStore store = LsmStore.open(dir, options)) {
      for (int t = 0; t < threads; t++) {
        for (int i = 0; i < perThread; i++) {
          assertThat(store.get(("t" + t + "-" + i).getBytes())).as("t%d-%d", t, i).isEqualTo(("v" + i).getBytes());
          if (i % 3 == 0) {
            assertThat(store.get(("t" + t + "-" + i + "-pair").getBytes())).isEqualTo(("p" + i).getBytes());
          }
        }
      }
      assertThat(store.stats().lastSequence()).isEqualTo(threads * (perThread + perThread / 3));
    }
  }
}
