package io.distkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase5")
class WriteSessionTest {
  @Test
  void noWriteInFlightIsEverBelowAFirstUnacknowledgedSequenceReportedMeanwhile() throws InterruptedException {
    WriteSession session = new WriteSession("c");
    AtomicLong maxReported = new AtomicLong();
    AtomicReference<String> violation = new AtomicReference<>();
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        for (int i = 0; i < 50_000 && violation.get() == null; i++) {
          long seq = session.begin();
          long first = session.firstUnacked(seq);
          maxReported.accumulateAndGet(first, Math::max);
          // While seq is in flight, every reported first-unacknowledged sequence must be <= seq:
          // the partition forgets results below it, and would refuse seq as already acknowledged.
          long seen = maxReported.get();
          if (seen > seq) {
            violation.compareAndSet(null, "sequence " + seq + " in flight while " + seen + " was reported as first unacknowledged");
          }
          session.acknowledged(seq);
        }
      });
    }
    for (Thread t : threads) {
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(violation.get()).isNull();
  }
}
