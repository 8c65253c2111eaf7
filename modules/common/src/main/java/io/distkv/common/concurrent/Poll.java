package io.distkv.common.concurrent;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Waiting with a deadline for a condition that another thread or process makes true, checking it
 * at an interval: the probes of tests and test kits (a node answers, a leader is elected, a
 * transfer has started). A condition that throws has not held yet (a node still starting, an
 * error reply); the last exception is kept as the cause of the failure.
 */
public final class Poll {
  private Poll() {
  }

  /** The interval of {@link #await(String, Duration, Callable)}. */
  public static final Duration EVERY = Duration.ofMillis(100);

  /** {@link #await(String, Duration, Duration, Callable)}, checking every {@link #EVERY}. */
  public static void await(String what, Duration within, Callable<Boolean> condition) throws InterruptedException {
    await(what, within, EVERY, condition);
  }

  /**
   * Checks {@code condition} every {@code every} until it holds, for at most {@code within}.
   *
   * @throws AssertionError naming {@code what} (with the condition's last exception as its cause)
   *     if it did not hold in time
   */
  public static void await(String what, Duration within, Duration every, Callable<Boolean> condition)
      throws InterruptedException {
    Outcome o = poll(within, every, condition);
    if (!o.held()) {
      throw new AssertionError("not within " + within.toMillis() + " ms: " + what
          + (o.lastError() == null ? "" : " (last error: " + o.lastError() + ")"), o.lastError());
    }
  }

  /** Checks {@code condition} every {@code every} until it holds (true) or {@code within} has passed (false). */
  public static boolean holdsWithin(Duration within, Duration every, Callable<Boolean> condition)
      throws InterruptedException {
    return poll(within, every, condition).held();
  }

  /** Whether the condition held; if not, its last exception (null if it only answered false). */
  private record Outcome(boolean held, Exception lastError) {}

  private static Outcome poll(Duration within, Duration every, Callable<Boolean> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    Exception last = null;
    while (true) {
      try {
        if (Boolean.TRUE.equals(condition.call())) {
          return new Outcome(true, null);
        }
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        last = e;
      }
      if (System.nanoTime() - deadline > 0) {
        return new Outcome(false, last);
      }
      Thread.sleep(every.toMillis()); // the probe's interval; the deadline bounds the wait
    }
  }
}
