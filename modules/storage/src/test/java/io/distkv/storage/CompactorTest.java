package io.distkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("phase3")
class CompactorTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void compactorActorKeepsLevelZeroWithinItsTrigger() {
    ActorRef<Compactor.Command> compactor = testKit.spawn(Compactor.create());
    LsmOptions options = LsmOptions.builder()
        .writeBufferBytes(64 * 1024)
        .targetFileBytes(64 * 1024)
        .levelBaseBytes(1 << 20)
        .l0CompactionTrigger(2)
        .syncPolicy(SyncPolicy.NEVER)
        .build();
    try (LsmStore store = LsmStore.open(dir, options, Compactor.scheduler(compactor))) {
      for (int i = 0; i < 20_000; i++) {
        store.put(String.format("key%08d", i % 7000).getBytes(), new byte[200]);
      }
      TestProbe<Compactor.Status> probe = testKit.createTestProbe();
      probe.awaitAssert(Duration.ofSeconds(30), () -> {
        compactor.tell(new Compactor.GetStatus(probe.getRef()));
        Compactor.Status s = probe.receiveMessage();
        assertThat(s.busy()).isFalse();
        assertThat(s.flushesRun()).as("flushes ran on the compactor too").isPositive();
        assertThat(s.compactionsRun()).isPositive();
        assertThat(s.failures()).isZero();
        assertThat(store.stats().filesPerLevel().get(0)).isLessThan(options.l0CompactionTrigger());
        return null;
      });
      StoreStats stats = store.stats();
      assertThat(stats.compactions()).isPositive();
      assertThat(stats.filesPerLevel().subList(1, 7).stream().mapToInt(Integer::intValue).sum()).isPositive();
      assertThat(store.get(String.format("key%08d", 6999).getBytes())).hasSize(200);
    }
  }

  /**
   * Twenty stores of one "node" share one compactor (two threads), one block cache and one
   * memtable budget: no store has a flush or compaction thread of its own, the memtables together
   * stay near the budget although each store's write buffer alone would allow twenty times more,
   * and every store keeps level 0 within its trigger.
   */
  @Test
  void storesOfANodeShareOneCompactorCacheAndMemtableBudget() throws Exception {
    ActorRef<Compactor.Command> compactor = testKit.spawn(Compactor.create(2, Compactor.DEFAULT_DISPATCHER));
    long budget = 1 << 20;
    WriteBufferManager buffers = new WriteBufferManager(budget);
    io.distkv.storage.sstable.BlockCache cache = new io.distkv.storage.sstable.BlockCache(4 << 20);
    StoreResources shared = new StoreResources(cache, buffers, Compactor.scheduler(compactor));
    LsmOptions options = LsmOptions.builder()
        .writeBufferBytes(1 << 20) // each alone: a 1 MiB memtable; together they must fit the same 1 MiB
        .targetFileBytes(64 * 1024)
        .levelBaseBytes(1 << 20)
        .l0CompactionTrigger(4)
        .walEnabled(false)
        .build();
    long threadsBefore = distkvThreads();
    java.util.List<LsmStore> stores = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        stores.add(LsmStore.open(dir.resolve("s" + i), options, shared));
      }
      assertThat(distkvThreads()).as("flush/compaction threads of the stores' own").isEqualTo(threadsBefore);
      long peak = 0;
      for (int round = 0; round < 200; round++) {
        for (int i = 0; i < stores.size(); i++) {
          stores.get(i).put(String.format("key%06d", round * 7 % 1000).getBytes(), new byte[1000]);
        }
        peak = Math.max(peak, buffers.memtableBytes());
      }
      assertThat(buffers.flushesForced()).isPositive();
      // The budget is checked every 1/16 of it; a flush frees its memtable when it is written.
      assertThat(peak).as("memtable bytes of all stores").isLessThan(3 * budget);
      TestProbe<Compactor.Status> probe = testKit.createTestProbe();
      probe.awaitAssert(Duration.ofSeconds(30), () -> {
        compactor.tell(new Compactor.GetStatus(probe.getRef()));
        Compactor.Status s = probe.receiveMessage();
        assertThat(s.busy()).isFalse();
        assertThat(s.failures()).isZero();
        return null;
      });
      for (LsmStore s : stores) {
        assertThat(s.get(String.format("key%06d", 199 * 7 % 1000).getBytes())).hasSize(1000);
        assertThat(s.get(String.format("key%06d", 7).getBytes())).hasSize(1000); // flushed long ago: read from a table
        assertThat(s.level0Files()).isLessThan(options.l0SlowdownTrigger());
      }
      assertThat(cache.weightedSize()).isPositive().isLessThanOrEqualTo(4 << 20);
    } finally {
      for (LsmStore s : stores) {
        s.close();
      }
    }
  }

  /** Live threads named like a store's own flush or compaction thread. */
  static long distkvThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("distkv-flush") || t.getName().equals("distkv-compaction")).count();
  }
}
