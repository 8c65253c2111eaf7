package io.distkv.server.router;

import io.distkv.common.error.ErrorCode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Request counts and latency of a node's router: for JMX (totals and percentiles, HdrHistogram)
 * and for /metrics ({@code distkv_requests_seconds}, a Micrometer timer with a latency histogram
 * per operation and outcome code). Thread-safe; recorded on routers' and replicas' threads.
 */
public final class RequestMetrics {
  private final LongAdder requests = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final Recorder recorder = new Recorder(3);
  private final Histogram total = new Histogram(3);
  private final MeterRegistry registry;
  /** One timer per operation and code, looked up without building a meter id per request. */
  private final ConcurrentHashMap<String, Timer[]> timers = new ConcurrentHashMap<>();

  /** Metrics kept for JMX only (tests, tools). */
  public RequestMetrics() {
    this(new SimpleMeterRegistry());
  }

  public RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void record(String op, ErrorCode code, long nanos) {
    requests.increment();
    if (code != ErrorCode.OK) {
      errors.increment();
    }
    recorder.recordValue(Math.max(1, nanos / 1000));
    Timer[] byCode = timers.computeIfAbsent(op, o -> new Timer[ErrorCode.values().length]);
    Timer t = byCode[code.ordinal()];
    if (t == null) {
      t = Timer.builder("distkv.requests").description("Requests answered by this node's router, by operation and code")
          .tag("op", op).tag("code", code.name())
          .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
          .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
      byCode[code.ordinal()] = t;
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
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
