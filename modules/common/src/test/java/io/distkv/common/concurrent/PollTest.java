package io.distkv.common.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class PollTest {
  @Test
  void returnsOnceTheConditionHoldsCountingExceptionsAsNotYet() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Poll.await("the third call", Duration.ofSeconds(10), Duration.ofMillis(1), () -> {
      int n = calls.incrementAndGet();
      if (n == 1) {
        throw new IllegalStateException("still starting");
      }
      return n == 3;
    });
    assertThat(calls).hasValue(3);
  }

  @Test
  void failsAtTheDeadlineNamingWhatAndTheLastError() {
    AtomicInteger calls = new AtomicInteger();
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> Poll.await("node9 leads", Duration.ofMillis(200), Duration.ofMillis(10), () -> {
      if (calls.incrementAndGet() % 2 == 0) {
        throw new IllegalStateException("no answer " + calls.get());
      }
      return false;
    })).isInstanceOf(AssertionError.class)
        .hasMessageContaining("not within 200 ms: node9 leads")
        .hasMessageContaining("last error")
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
    assertThat(calls.get()).isGreaterThan(2);
  }

  @Test
  void holdsWithinAnswersFalseAtTheDeadline() throws Exception {
    assertThat(Poll.holdsWithin(Duration.ofMillis(50), Duration.ofMillis(5), () -> false)).isFalse();
    assertThat(Poll.holdsWithin(Duration.ofMillis(50), Duration.ofMillis(5), () -> true)).isTrue();
  }
}
