package io.distkv.server.router;

import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** Request counts and latency (HdrHistogram) of a node's router, read by JMX. Thread-safe. */
public final class RequestMetrics {
  private final LongAdder requests = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final Recorder recorder = new Recorder(3);
  private final Histogram total = new Histogram(3);

  void record(long nanos, boolean ok) {
    requests.increment();
    if (!ok) {
      errors.increment();
    }
    recorder.recordValue(Math.max(1, nanos / 1000));
  }

  public long requests() {
    return requests.sum();
  }

  public long errors() {
    return errors.sum();
  }

  /** Latency percentile in microseconds over every request so far. */
  public synchronized long percentileMicros(double percentile) {
    total.add(recorder.getIntervalHistogram());
    return total.getValueAtPercentile(percentile);
  }
}
