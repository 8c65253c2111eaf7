package io.distkv.bench.load;

import io.distkv.common.protocol.Trace;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Where traced requests spent their time: one histogram per stage, a stage being the time from
 * the previous stamped stage to this one ({@link Trace}); writes and reads apart (a read has no
 * "leader log durable" stage: its propose→commit is the ReadIndex round or the lease check).
 * Thread-safe.
 */
final class TraceBreakdown {
  /** Stage-to-stage intervals, named by where the time went. */
  static final List<String> INTERVALS = List.of(
      "client → node (send, Artery, router mailbox)",
      "router → replica (validate, hand over, mailbox)",
      "propose → leader log durable (batch + fsync)",
      "→ commit known (followers' append + fsync + ack)",
      "commit → applied (state machine)",
      "applied → reply sent",
      "reply sent → client (Artery, inbox, future)");

  private final long measureFrom;
  private final List<Histogram> writes = new ArrayList<>();
  private final List<Histogram> reads = new ArrayList<>();
  private final Histogram writeTotal = new ConcurrentHistogram(3);
  private final Histogram readTotal = new ConcurrentHistogram(3);

  /** Counts only requests sent at or after {@code measureFrom} (System.nanoTime): not the warm-up. */
  TraceBreakdown(long measureFrom) {
    this.measureFrom = measureFrom;
    for (int i = 0; i < INTERVALS.size(); i++) {
      writes.add(new ConcurrentHistogram(3));
      reads.add(new ConcurrentHistogram(3));
    }
  }

  void add(long[] t) {
    if (t.length != Trace.STAGES || t[Trace.CLIENT_SEND] - measureFrom < 0) {
      return;
    }
    boolean write = t[Trace.LOG_DURABLE] != 0;
    List<Histogram> into = write ? writes : reads;
    long prev = t[Trace.CLIENT_SEND];
    for (int stage = 1; stage < Trace.STAGES; stage++) {
      if (t[stage] == 0) {
        continue; // not a stage of this request (a read's log write)
      }
      into.get(stage - 1).recordValue(Math.max(0, (t[stage] - prev) / 1000));
      prev = t[stage];
    }
    (write ? writeTotal : readTotal).recordValue(Math.max(0, (t[Trace.CLIENT_RECEIVE] - t[Trace.CLIENT_SEND]) / 1000));
  }

  boolean isEmpty() {
    return writeTotal.getTotalCount() == 0 && readTotal.getTotalCount() == 0;
  }

  /** The per-stage table: p50 and p99 in µs for writes and reads. */
  void print(PrintStream out, String title) {
    out.printf("%n%s: per-stage time of traced requests, µs (stage = from the previous stamp)%n", title);
    out.printf("%-52s %10s %10s %10s %10s%n", "stage", "write p50", "write p99", "read p50", "read p99");
    for (int i = 0; i < INTERVALS.size(); i++) {
      out.printf(Locale.ROOT, "%-52s %10s %10s %10s %10s%n", INTERVALS.get(i), pct(writes.get(i), 50), pct(writes.get(i), 99),
          pct(reads.get(i), 50), pct(reads.get(i), 99));
    }
    out.printf(Locale.ROOT, "%-52s %10s %10s %10s %10s%n", "total (client send → client receive)", pct(writeTotal, 50),
        pct(writeTotal, 99), pct(readTotal, 50), pct(readTotal, 99));
    out.printf("traced: %,d writes, %,d reads%n", writeTotal.getTotalCount(), readTotal.getTotalCount());
  }

  private static String pct(Histogram h, double p) {
    return h.getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%,d", h.getValueAtPercentile(p));
  }
}
