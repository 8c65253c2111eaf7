package io.distkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The load generator's open loop (--rate) against a store whose every answer takes 20 ms: it
 * keeps to its schedule, never exceeds --clients in flight, and counts each latency from the
 * operation's scheduled start, so operations that waited for a slot report their wait (a closed
 * loop, or an open loop timing from the actual send, would report 20 ms). Only lower bounds
 * that the schedule implies are asserted: no figure depends on this machine's speed.
 */
@Tag("phase6")
class OpenLoopTest {
  private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    clock.shutdownNow();
  }

  /** Answers every request 20 ms after it arrives; remembers the most in flight at once. */
  private final class SlowStore implements Driver {
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();

    @Override
    public String name() {
      return "slow";
    }

    private CompletableFuture<?> answer() {
      mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      CompletableFuture<Object> f = new CompletableFuture<>();
      clock.schedule(() -> {
        inFlight.decrementAndGet();
        f.complete(null);
      }, 20, TimeUnit.MILLISECONDS);
      return f;
    }

    @Override
    public CompletableFuture<?> read(byte[] key) {
      return answer();
    }

    @Override
    public CompletableFuture<?> write(byte[] key, byte[] value) {
      return answer();
    }

    @Override
    public String errorCode(Throwable failure) {
      return failure.getClass().getSimpleName();
    }

    @Override
    public void close() {}
  }

  private LoadRun run(SlowStore store, int clients, double rate, long ops) {
    return new LoadRun(store, Workload.B, clients, KeyChooser.of("uniform", 100), 10, 0, 0, ops,
        new PrintStream(new ByteArrayOutputStream()), ServerProcesses.none()).openLoop(rate);
  }

  @Test
  void operationsThatWaitForASlotCountTheirWaitFromTheirScheduledStart() throws Exception {
    SlowStore store = new SlowStore();
    // Due every 5 ms, one slot, 20 ms each: operation i is due at 5i ms but cannot finish before
    // 20(i + 1) ms, so the last of 20 waited at least 15 * 19 + 20 = 305 ms.
    LoadRun.Result r = run(store, 1, 200, 20).run();
    assertThat(r.ops()).isEqualTo(20);
    assertThat(r.errors()).isEmpty();
    assertThat(store.mostInFlight.get()).isEqualTo(1);
    assertThat(r.overall().max()).isGreaterThanOrEqualTo(305);
    assertThat(r.overall().p50()).as("half of them waited over 150 ms").isGreaterThanOrEqualTo(150);
  }

  @Test
  void withSlotsToSpareItKeepsItsScheduleAndItsBound() throws Exception {
    SlowStore store = new SlowStore();
    // 100 operations due 2 ms apart: the last is due at 198 ms, so the run lasts at least that.
    LoadRun.Result r = run(store, 50, 500, 100).run();
    assertThat(r.ops()).isEqualTo(100);
    assertThat(r.seconds()).isGreaterThanOrEqualTo(0.198);
    assertThat(r.overall().p50()).isGreaterThanOrEqualTo(20);
    assertThat(store.mostInFlight.get()).isBetween(1, 50);
  }
}
