package io.distkv.verify;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
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
    PAUSE_LONG,
    /** Network partition into a minority and a majority (random sides), message paths cut both ways. */
    PARTITION_HALVES,
    /** The node that leads the most partitions (asked when the fault starts) cut off from all others. */
    PARTITION_LEADER,
    /** A bridge: one node still talks to both sides, which cannot talk to each other. */
    PARTITION_BRIDGE;

    boolean isPartition() {
      return this == PARTITION_HALVES || this == PARTITION_LEADER || this == PARTITION_BRIDGE;
    }

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

  /**
   * A fault as it happened: from the moment it was injected to the moment it was healed (history
   * clock); {@code detail} says what was cut or stopped.
   */
  public record Window(Fault fault, String detail, long startNanos, long endNanos) {}

  private Nemesis() {}

  /**
   * Parses a comma-separated list of nemesis names: {@code kill}, {@code pause} (short and long
   * pauses), {@code partition} (majority/minority, the busiest leader isolated, a bridge), each
   * kind by its own name too, or {@code none}.
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
        case "partition" -> {
          kinds.add(Kind.PARTITION_HALVES);
          kinds.add(Kind.PARTITION_LEADER);
          kinds.add(Kind.PARTITION_BRIDGE);
        }
        case "partition-halves" -> kinds.add(Kind.PARTITION_HALVES);
        case "partition-leader" -> kinds.add(Kind.PARTITION_LEADER);
        case "partition-bridge" -> kinds.add(Kind.PARTITION_BRIDGE);
        default -> throw new IllegalArgumentException("unknown nemesis '" + name.trim() + "': expected kill, pause, "
            + "pause-short, pause-long, partition, partition-halves, partition-leader, partition-bridge or none");
      }
    }
    return List.copyOf(kinds);
  }

  /**
   * The faults for a run of {@code runMillis}: quiet 2–4 s at the start; then faults of a random
   * kind on a random node, each followed by 3–6 s of quiet; nothing in the last 3 s. Kills last
   * 1–5 s, short pauses 20–60% of {@code downAfterMillis}, long ones that plus 2–4 s, partitions
   * from half of it to 1.5 times it plus 2 s (the cut-off side is downed in some, not in others).
   * A partition's sides are drawn from the seed too ({@code node} and {@link #sides}).
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
        case PARTITION_HALVES, PARTITION_LEADER, PARTITION_BRIDGE -> downAfterMillis / 2 + r.nextLong(downAfterMillis + 2_000);
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
  public static List<Window> run(NodeCluster cluster, List<Fault> faults, LongSupplier clock, IntSupplier busiestLeader) {
    List<Window> windows = new ArrayList<>();
    for (Fault f : faults) {
      if (!sleepUntil(clock, TimeUnit.MILLISECONDS.toNanos(f.atMillis()))) {
        break;
      }
      long start = clock.getAsLong();
      String detail;
      switch (f.kind()) {
        case KILL -> {
          cluster.kill(f.node());
          detail = NodeCluster.id(f.node()) + " killed";
        }
        case PAUSE_SHORT, PAUSE_LONG -> {
          cluster.pause(f.node());
          detail = NodeCluster.id(f.node()) + " stopped";
        }
        default -> {
          int target = f.node();
          if (f.kind() == Kind.PARTITION_LEADER) {
            int busiest = busiestLeader.getAsInt();
            target = busiest >= 0 ? busiest : target;
          }
          List<List<Integer>> sides = sides(f, target, cluster.size());
          for (int a : sides.get(0)) {
            for (int b : sides.get(1)) {
              cluster.cut(a, b);
            }
          }
          detail = describe(sides);
        }
      }
      boolean go = sleepUntil(clock, start + TimeUnit.MILLISECONDS.toNanos(f.durationMillis()));
      heal(cluster, f);
      windows.add(new Window(f, detail, start, clock.getAsLong()));
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
      default -> cluster.healNetwork();
    }
  }

  /**
   * The two sides of a partition whose paths are cut: halves = a minority of (n-1)/2 nodes
   * ({@code target} first) against the rest; leader = {@code target} against the rest; bridge =
   * the others split into two sides, with {@code target} (the bridge) on neither, so it keeps
   * talking to both. The choice of the other members is seeded by the fault itself.
   */
  static List<List<Integer>> sides(Fault f, int target, int nodes) {
    List<Integer> others = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      if (i != target) {
        others.add(i);
      }
    }
    Collections.shuffle(others, new java.util.Random(f.atMillis() * 31 + f.node()));
    return switch (f.kind()) {
      case PARTITION_HALVES -> {
        List<Integer> minority = new ArrayList<>(List.of(target));
        minority.addAll(others.subList(0, Math.max(0, (nodes - 1) / 2 - 1)));
        List<Integer> majority = new ArrayList<>(others.subList(Math.max(0, (nodes - 1) / 2 - 1), others.size()));
        yield List.of(minority, majority);
      }
      case PARTITION_LEADER -> List.of(List.of(target), others);
      case PARTITION_BRIDGE -> List.of(others.subList(0, others.size() / 2), others.subList(others.size() / 2, others.size()));
      default -> throw new IllegalArgumentException(f.kind() + " is not a partition");
    };
  }

  private static String describe(List<List<Integer>> sides) {
    return String.join(" ", sides.get(0).stream().map(NodeCluster::id).toList()) + " | "
        + String.join(" ", sides.get(1).stream().map(NodeCluster::id).toList());
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
