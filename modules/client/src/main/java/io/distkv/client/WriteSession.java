package io.distkv.client;

import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client's write session: every logical write gets the next sequence number once (its retries
 * reuse it), and each write tells the partition the client's first unacknowledged sequence so the
 * partition can forget older results. Many writes may be in flight at once.
 */
final class WriteSession {
  private final String clientId;
  private final AtomicLong next = new AtomicLong(1);
  private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();

  WriteSession(String clientId) {
    this.clientId = clientId;
  }

  String clientId() {
    return clientId;
  }

  /** A new write's sequence; it stays in flight until {@link #acknowledged}. */
  long begin() {
    long seq = next.getAndIncrement();
    inFlight.add(seq);
    return seq;
  }

  /** The write finished (answered, or given up: the client will never retry it). */
  void acknowledged(long seq) {
    inFlight.remove(seq);
  }

  /** The lowest sequence still in flight (at most {@code seq}, which is itself in flight). */
  long firstUnacked(long seq) {
    Long first = inFlight.isEmpty() ? null : inFlight.first();
    return first == null ? seq : Math.min(first, seq);
  }
}
