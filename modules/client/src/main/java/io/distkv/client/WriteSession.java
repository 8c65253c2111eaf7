package io.distkv.client;

import java.util.TreeSet;

/**
 * The client's write session: every logical write gets the next sequence number once (its retries
 * reuse it), and each write tells the partition the client's first unacknowledged sequence so the
 * partition can forget older results. Many writes may be in flight at once.
 *
 * <p>Taking a sequence and registering it as in flight is one atomic step: otherwise a write begun
 * by another thread in between could report a first unacknowledged sequence above this one, the
 * partition would forget it, and this write would be refused as "already acknowledged" (seen in
 * {@code ClientApiTest}'s concurrent compare-and-set test).
 */
final class WriteSession {
  private final String clientId;
  private long next = 1;
  private final TreeSet<Long> inFlight = new TreeSet<>();

  WriteSession(String clientId) {
    this.clientId = clientId;
  }

  String clientId() {
    return clientId;
  }

  /** A new write's sequence; it stays in flight until {@link #acknowledged}. */
  synchronized long begin() {
    long seq = next++;
    inFlight.add(seq);
    return seq;
  }

  /** The write finished (answered, or given up: the client will never retry it). */
  synchronized void acknowledged(long seq) {
    inFlight.remove(seq);
  }

  /** The lowest sequence still in flight (at most {@code seq}, which is itself in flight). */
  synchronized long firstUnacked(long seq) {
    Long first = inFlight.isEmpty() ? null : inFlight.first();
    return first == null ? seq : Math.min(first, seq);
  }
}
