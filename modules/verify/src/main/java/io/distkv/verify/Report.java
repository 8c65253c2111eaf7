package io.distkv.verify;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run's summary table: operations by type and outcome, the faults injected, each checker's
 * verdict and violations, and availability (share of ok operations, and ok operations per second,
 * inside and outside fault windows).
 */
public final class Report {
  private Report() {}

  /** Whether every checker found the history valid. */
  public static boolean valid(List<CheckResult> results) {
    return results.stream().allMatch(r -> r.verdict() == CheckResult.Verdict.VALID);
  }

  /** Availability inside and outside the fault windows, over the operations the workload ran (final reads excluded). */
  public record Availability(long insideOps, long insideOk, double insideSeconds, long outsideOps, long outsideOk,
      double outsideSeconds) {
    double insideShare() {
      return insideOps == 0 ? Double.NaN : (double) insideOk / insideOps;
    }

    double outsideShare() {
      return outsideOps == 0 ? Double.NaN : (double) outsideOk / outsideOps;
    }
  }

  public static Availability availability(History history, List<Nemesis.Window> windows, long runNanos) {
    long inOps = 0;
    long inOk = 0;
    long outOps = 0;
    long outOk = 0;
    for (Op op : history.ops()) {
      if (op.process() < 0 || op.invokeNanos() > runNanos) {
        continue;
      }
      boolean inside = windows.stream().anyMatch(w -> op.invokeNanos() >= w.startNanos() && op.invokeNanos() <= w.endNanos());
      if (inside) {
        inOps++;
        inOk += op.ok() || op.casConflict() ? 1 : 0;
      } else {
        outOps++;
        outOk += op.ok() || op.casConflict() ? 1 : 0;
      }
    }
    double inSeconds = windows.stream().mapToLong(w -> Math.min(w.endNanos(), runNanos) - w.startNanos())
        .filter(x -> x > 0).sum() / 1e9;
    return new Availability(inOps, inOk, inSeconds, outOps, outOk, runNanos / 1e9 - inSeconds);
  }

  public static String render(History history, List<Nemesis.Window> windows, List<CheckResult> results,
      Availability a, String command) {
    StringBuilder b = new StringBuilder();
    b.append("dist-kv verification: ").append(command).append('\n').append('\n');
    b.append(String.format(Locale.ROOT, "%-13s %8s %8s %8s%n", "operation", "ok", "fail", "unknown"));
    Map<Op.Type, long[]> counts = new EnumMap<>(Op.Type.class);
    for (Op op : history.ops()) {
      counts.computeIfAbsent(op.type(), t -> new long[3])[op.outcome().ordinal()]++;
    }
    long[] total = new long[3];
    for (Map.Entry<Op.Type, long[]> e : counts.entrySet()) {
      long[] c = e.getValue();
      b.append(String.format(Locale.ROOT, "%-13s %8d %8d %8d%n", e.getKey().name().toLowerCase(Locale.ROOT), c[0], c[1], c[2]));
      for (int i = 0; i < 3; i++) {
        total[i] += c[i];
      }
    }
    b.append(String.format(Locale.ROOT, "%-13s %8d %8d %8d%n", "total", total[0], total[1], total[2]));
    b.append('\n').append("faults: ").append(windows.size()).append('\n');
    for (int i = 0; i < windows.size(); i++) {
      Nemesis.Window w = windows.get(i);
      b.append(String.format(Locale.ROOT, "  #%-3d %-17s %7.1f s .. %7.1f s  %s%n", i + 1, w.fault().kind().label(),
          w.startNanos() / 1e9, w.endNanos() / 1e9, w.detail()));
    }
    b.append('\n').append(String.format(Locale.ROOT, "%-17s %-8s %10s %8s%n", "checker", "verdict", "violations", "checked"));
    for (CheckResult r : results) {
      b.append(String.format(Locale.ROOT, "%-17s %-8s %10d %8d%n", r.checker(), r.verdict().name().toLowerCase(Locale.ROOT),
          r.violations().size(), r.checked()));
    }
    b.append('\n').append(String.format(Locale.ROOT,
        "availability: outside faults %.1f%% ok (%.0f ok/s over %.1f s); inside faults %.1f%% ok (%.0f ok/s over %.1f s)%n",
        100 * a.outsideShare(), a.outsideSeconds() > 0 ? a.outsideOk() / a.outsideSeconds() : 0, a.outsideSeconds(),
        100 * a.insideShare(), a.insideSeconds() > 0 ? a.insideOk() / a.insideSeconds() : 0, a.insideSeconds()));
    for (CheckResult r : results) {
      for (String v : r.violations().subList(0, Math.min(20, r.violations().size()))) {
        b.append("VIOLATION ").append(r.checker()).append(": ").append(v).append('\n');
      }
      if (r.violations().size() > 20) {
        b.append("... ").append(r.violations().size() - 20).append(" more ").append(r.checker()).append(" violations\n");
      }
    }
    b.append(valid(results) ? "RESULT: valid\n" : results.stream().anyMatch(r -> r.verdict() == CheckResult.Verdict.INVALID)
        ? "RESULT: VIOLATIONS FOUND\n" : "RESULT: unknown (a checker could not decide)\n");
    return b.toString();
  }
}
