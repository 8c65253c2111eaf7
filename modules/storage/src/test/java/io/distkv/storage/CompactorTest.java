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
        assertThat(s.running()).isFalse();
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
}
