package io.distkv.verify;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Faults injected into node processes on a schedule drawn from a seed: the same seed, kinds, run
 * length and node count give the same faults at the same offsets. One fault at a time, each
 * healed before a quiet gap and the next one.
 */
public final class Nemesis {
  /** A kind of fault. */
  public enum Kind {
    /** {@code kill -9}, then a restart from the node's data directory. */
    KILL,
    /** SIGSTOP for less than {@code down-unreachable-after}: the node comes back as the same member. */
    PAUSE_SHORT,
    /** SIGSTOP for longer than {@code down-unreachable-after}: the others down it; after SIGCONT it restarts itself and rejoins. */
    PAUSE_LONG;

    String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** One planned fault: {@code kind} on {@code node} from {@code atMillis} after the start, for {@code durationMillis}. */
  public record Fault(Kind kind, int node, long atMillis, long durationMillis) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s %s at %.1f s for %.1f s", kind.label(), NodeCluster.id(node),
          atMillis / 1e3, durationMillis / 1e3);
    }
  }

  /** A fault as it happened: from the moment it was injected to the moment it was healed (history clock). */
  public record Window(Fault fault, long startNanos, long endNanos) {}

  private Nemesis() {}

  /**
   * Parses a comma-separated list of nemesis names: {@code kill}, {@code pause} (short and long
   * pauses), {@code none}. {@code partition} is refused with what to use instead.
   */
  public static List<Kind> parse(String spec) {
    List<Kind> kinds = new ArrayList<>();
    for (String name : spec.split(",")) {
      switch (name.trim().toLowerCase(Locale.ROOT)) {
        case "kill" -> kinds.add(Kind.KILL);
        case "pause" -> {
          kinds.add(Kind.PAUSE_SHORT);
          kinds.add(Kind.PAUSE_LONG);
        }
        case "pause-short" -> kinds.add(Kind.PAUSE_SHORT);
        case "pause-long" -> kinds.add(Kind.PAUSE_LONG);
        case "none", "" -> { }
        case "partition" -> throw new IllegalArgumentException(
            "nemesis 'partition' is not built yet (docs/verification.md \"What is not covered yet\"); use kill,pause");
        default -> throw new IllegalArgumentException("unknown nemesis '" + name.trim()
            + "': expected kill, pause, pause-short, pause-long or none");
      }
    }
    return List.copyOf(kinds);
  }

  /**
   * The faults for a run of {@code runMillis}: quiet 2–4 s at the start; then faults of a random
   * kind on a random node, each followed by 3–6 s of quiet; nothing in the last 3 s. Kills last
   * 1–5 s, short pauses 20–60% of {@code downAfterMillis}, long ones that plus 2–4 s.
   */
  public static List<Fault> schedule(long seed, List<Kind> kinds, long runMillis, int nodes, long downAfterMillis) {
    if (kinds.isEmpty()) {
      return List.of();
    }
    SplittableRandom r = new SplittableRandom(seed);
    List<Fault> faults = new ArrayList<>();
    long t = 2_000 + r.nextLong(2_000);
    while (true) {
      Kind kind = kinds.get(r.nextInt(kinds.size()));
      int node = r.nextInt(nodes);
      long duration = switch (kind) {
        case KILL -> 1_000 + r.nextLong(4_000);
        case PAUSE_SHORT -> downAfterMillis / 5 + r.nextLong(Math.max(1, downAfterMillis * 2 / 5));
        case PAUSE_LONG -> downAfterMillis + 2_000 + r.nextLong(2_000);
      };
      if (t + duration > runMillis - 3_000) {
        break;
      }
      faults.add(new Fault(kind, node, t, duration));
      t += duration + 3_000 + r.nextLong(3_000);
    }
    return Collections.unmodifiableList(faults);
  }

  /**
   * Runs {@code faults} against {@code cluster} on the calling thread, timing them by {@code clock}
   * (nanoseconds since the history's start); returns the windows as they happened. Interrupting
   * the thread heals the fault in progress and stops.
   */
  public static List<Window> run(NodeCluster cluster, List<Fault> faults, LongSupplier clock) {
    List<Window> windows = new ArrayList<>();
    for (Fault f : faults) {
      if (!sleepUntil(clock, TimeUnit.MILLISECONDS.toNanos(f.atMillis()))) {
        break;
      }
      long start = clock.getAsLong();
      switch (f.kind()) {
        case KILL -> cluster.kill(f.node());
        case PAUSE_SHORT, PAUSE_LONG -> cluster.pause(f.node());
      }
      boolean go = sleepUntil(clock, start + TimeUnit.MILLISECONDS.toNanos(f.durationMillis()));
      heal(cluster, f);
      windows.add(new Window(f, start, clock.getAsLong()));
      if (!go) {
        break;
      }
    }
    return windows;
  }

  private static void heal(NodeCluster cluster, Fault f) {
    switch (f.kind()) {
      case KILL -> cluster.start(f.node());
      case PAUSE_SHORT, PAUSE_LONG -> cluster.resume(f.node());
    }
  }

  /** False if interrupted. */
  private static boolean sleepUntil(LongSupplier clock, long nanos) {
    long wait;
    while ((wait = nanos - clock.getAsLong()) > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !Thread.currentThread().isInterrupted();
  }
}
