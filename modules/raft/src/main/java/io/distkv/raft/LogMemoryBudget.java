package io.distkv.raft;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One bound on the Raft log entries every replica of a node holds in memory
 * ({@code distkv.raft.log-memory-budget}). A replica keeps its log after its last compaction point
 * in memory until its own thresholds ({@link SnapshotPolicy}) compact it, which bounds one
 * partition but not a node of many: 64 partitions × 64 MiB do not fit a small heap. Replicas
 * report their log bytes; once the total reaches the budget, the replicas with the largest logs
 * (of those not already asked) are asked to compact up to what their state machines hold
 * durably, as many as bring the rest to three quarters of the budget, as the write buffer
 * manager flushes the largest memtable first. The total is recomputed from the
 * members every {@code budget / 16} bytes of growth, so a report costs nothing in between.
 * Thread-safe: replicas report from their own actors.
 */
public final class LogMemoryBudget {
  private final long budgetBytes;
  private final long checkEvery;
  private final Set<Member> members = ConcurrentHashMap.newKeySet();
  private final AtomicLong grownSinceCheck = new AtomicLong();
  private final AtomicLong shrinksAsked = new AtomicLong();

  public LogMemoryBudget(long budgetBytes) {
    if (budgetBytes < 1) {
      throw new IllegalArgumentException("log memory budget must be >= 1 byte, was " + budgetBytes);
    }
    this.budgetBytes = budgetBytes;
    this.checkEvery = Math.max(1, budgetBytes / 16);
  }

  /** No node-wide bound: only each replica's own thresholds compact its log. */
  public static LogMemoryBudget unlimited() {
    return new LogMemoryBudget(Long.MAX_VALUE);
  }

  /** A replica's place in the budget; {@code shrink} is run (on a reporting thread) to ask it to compact. */
  public Member join(Runnable shrink) {
    Member m = new Member(shrink);
    members.add(m);
    return m;
  }

  public long budgetBytes() {
    return budgetBytes;
  }

  /** Log bytes every member reported last. */
  public long bytes() {
    long total = 0;
    for (Member m : members) {
      total += m.bytes;
    }
    return total;
  }

  /** How many times a replica was asked to compact because the budget was reached. */
  public long shrinksAsked() {
    return shrinksAsked.get();
  }

  private void grew(long delta) {
    if (grownSinceCheck.addAndGet(delta) < checkEvery) {
      return;
    }
    grownSinceCheck.set(0);
    long total = 0;
    long beingCompacted = 0;
    java.util.List<Member> candidates = new java.util.ArrayList<>();
    for (Member m : members) {
      long b = m.bytes;
      total += b;
      if (m.asked) {
        beingCompacted += b;
      } else if (b > 0) {
        candidates.add(m);
      }
    }
    if (total < budgetBytes) {
      return;
    }
    // Ask the largest logs, enough of them that what stays is a quarter below the budget: one log
    // at a time would leave the total at the budget plus the growth of every log between checks.
    long remaining = total - beingCompacted;
    long target = budgetBytes - budgetBytes / 4;
    candidates.sort(java.util.Comparator.comparingLong((Member m) -> m.bytes).reversed());
    for (Member m : candidates) {
      if (remaining <= target) {
        break;
      }
      m.asked = true;
      remaining -= m.bytes;
      shrinksAsked.incrementAndGet();
      m.shrink.run();
    }
  }

  /** One replica's log in the budget. */
  public final class Member implements AutoCloseable {
    private final Runnable shrink;
    private volatile long bytes;
    /** Asked to compact and has not compacted since (not asked again meanwhile). */
    private volatile boolean asked;

    private Member(Runnable shrink) {
      this.shrink = shrink;
    }

    /** The replica's log now holds {@code logBytes} in memory. */
    public void report(long logBytes) {
      long delta = logBytes - bytes;
      bytes = logBytes;
      if (delta > 0) {
        grew(delta);
      }
    }

    /** The replica compacted its log (it may be asked again). */
    public void compacted(long logBytes) {
      asked = false;
      bytes = logBytes;
    }

    /** The replica stopped: its log no longer counts. */
    @Override
    public void close() {
      members.remove(this);
    }
  }
}
