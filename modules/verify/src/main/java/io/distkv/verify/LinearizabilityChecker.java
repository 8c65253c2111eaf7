package io.distkv.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Checks that every key's operations form a linearizable history of a register with
 * compare-and-set: the Wing–Gong search with Lowe's memoisation (the algorithm of Porcupine and
 * Knossos' "linear" checker), split per key.
 *
 * <p>Model: the register holds a value or nothing. PUT and DELETE set it; a CAS whose expected
 * version was read together with value {@code x} applies only while the register holds {@code x}
 * (values are unique per run, and the version checker proves each value has exactly one version,
 * so "version matches" and "value matches" are the same test); a refused CAS (CONFLICT) saw
 * another value; a GET must see the current value. An operation whose outcome is unknown may take
 * effect at any point after its invocation or never: its return is placed after every other event,
 * and an unknown read is dropped (it has no effect). Operations that definitely failed without an
 * answer from the state machine are dropped too.
 *
 * <p>An operation that leaves the register as it is (a read, a refused CAS) and can take effect at
 * the current point is linearized there without keeping the alternative of placing it later: every
 * operation that completed before it was invoked is already linearized (the search never passes a
 * return event without it), so placing it earlier breaks no real-time order, and it sees the same
 * value. If no valid order extends the prefix with it, none extends the prefix without it, and the
 * search backs up past it. Without this rule a window of 16 concurrent reads costs 2^16
 * configurations per value.
 *
 * <p>Values are unique per run, so a value other than "absent" once overwritten never returns: a
 * step that overwrites a value which some operation not yet linearized must still see (a read of
 * it, a CAS expecting it) is cut at once instead of when that operation's return is reached.
 *
 * <p>The search explores at most {@code budget} steps per key; when that runs out the key's verdict
 * is UNKNOWN, never valid. Visited configurations are remembered by a 64-bit Zobrist hash of the
 * set of linearized operations plus the register's value: a hash collision could only prune a
 * branch, so it can turn a valid history into a reported violation but never the reverse.
 */
public final class LinearizabilityChecker {
  /** Default search budget per key, in steps (one step = one attempt to linearize an operation). */
  public static final long DEFAULT_BUDGET = 50_000_000L;

  private final long budget;

  public LinearizabilityChecker() {
    this(DEFAULT_BUDGET);
  }

  public LinearizabilityChecker(long budget) {
    this.budget = budget;
  }

  /** The verdict over every key of {@code history}. */
  public CheckResult check(History history) {
    List<String> violations = new ArrayList<>();
    boolean exhausted = false;
    int checked = 0;
    for (Map.Entry<String, List<Op>> e : history.byKey().entrySet()) {
      List<Op> ops = e.getValue().stream().filter(o -> isRegisterOp(o.type())).toList();
      if (ops.isEmpty()) {
        continue;
      }
      KeyResult r = checkKey(e.getKey(), ops);
      checked += r.operations;
      if (r.verdict == CheckResult.Verdict.INVALID) {
        violations.add(r.explanation);
      } else if (r.verdict == CheckResult.Verdict.UNKNOWN) {
        exhausted = true;
      }
    }
    return CheckResult.of("linearizability", violations, exhausted, checked);
  }

  static boolean isRegisterOp(Op.Type t) {
    return t == Op.Type.PUT || t == Op.Type.GET || t == Op.Type.CAS || t == Op.Type.DELETE;
  }

  /** One key's verdict; {@code explanation} names where the search got stuck when INVALID. */
  record KeyResult(CheckResult.Verdict verdict, String explanation, int operations, long steps) {}

  // Kinds of model operation.
  private static final int WRITE = 0;
  private static final int CAS_APPLIED = 1;
  private static final int CAS_REFUSED = 2;
  private static final int CAS_UNKNOWN = 3;
  private static final int READ = 4;

  /** Checks one key's register operations (any order). */
  KeyResult checkKey(String key, List<Op> all) {
    Map<String, Integer> ids = new HashMap<>();
    List<Op> ops = new ArrayList<>();
    List<int[]> model = new ArrayList<>(); // {kind, arg, arg2}
    for (Op op : all) {
      int[] m = model(op, ids);
      if (m != null) {
        ops.add(op);
        model.add(m);
      }
    }
    int n = ops.size();
    if (n == 0) {
      return new KeyResult(CheckResult.Verdict.VALID, null, 0, 0);
    }
    // Events: node 0 is the list head; op i has call node 1+2i and return node 2+2i.
    int nodes = 2 * n + 1;
    long[] time = new long[nodes];
    for (int i = 0; i < n; i++) {
      Op op = ops.get(i);
      time[1 + 2 * i] = op.invokeNanos();
      time[2 + 2 * i] = op.outcome() == Op.Outcome.UNKNOWN ? Long.MAX_VALUE : Math.max(op.completeNanos(), op.invokeNanos());
    }
    Integer[] order = new Integer[2 * n];
    for (int i = 0; i < 2 * n; i++) {
      order[i] = i + 1;
    }
    // By time; at equal times calls first (the two operations count as concurrent).
    Arrays.sort(order, (a, b) -> {
      int c = Long.compare(time[a], time[b]);
      return c != 0 ? c : Boolean.compare(a % 2 == 0, b % 2 == 0);
    });
    int[] next = new int[nodes];
    int[] prev = new int[nodes];
    int last = 0;
    for (int node : order) {
      next[last] = node;
      prev[node] = last;
      last = node;
    }
    next[last] = -1;

    long[] zobrist = new long[n];
    SplittableRandom random = new SplittableRandom(0x5eed_1d5L);
    for (int i = 0; i < n; i++) {
      zobrist[i] = random.nextLong();
    }
    boolean[] finite = new boolean[n];
    int finiteRemaining = 0;
    for (int i = 0; i < n; i++) {
      finite[i] = ops.get(i).outcome() != Op.Outcome.UNKNOWN;
      if (finite[i]) {
        finiteRemaining++;
      }
    }
    // Values some operation saw: read, or expected by a CAS (its read saw it).
    Set<Integer> observed = new HashSet<>();
    observed.add(0);
    for (int[] m : model) {
      if (m[0] == READ || m[0] == CAS_APPLIED || m[0] == CAS_REFUSED || m[0] == CAS_UNKNOWN) {
        observed.add(m[1]);
      }
    }
    // Unknown writes of values nobody saw ("spares") all leave the register in a state no operation
    // refers to, so they share one state id, and only the earliest-invoked spare not yet used is
    // ever tried: any valid order that uses spares can use them in invocation order instead (each
    // is invoked before the point it is moved to, and unknown operations have no return to keep
    // in order). Without this every subset of pending spares is a configuration of its own.
    int spareState = ids.size() + 1;
    List<Integer> spareOrder = new ArrayList<>();
    boolean[] spare = new boolean[n];
    for (int node = next[0]; node > 0; node = next[node]) {
      int i = (node - 1) / 2;
      int[] m = model.get(i);
      if (node % 2 == 1 && !finite[i] && m[0] == WRITE && !observed.contains(m[1])) {
        spare[i] = true;
        spareOrder.add(i);
        model.set(i, new int[] {WRITE, spareState, 0});
      } else if (node % 2 == 1 && !finite[i] && m[0] == CAS_UNKNOWN && !observed.contains(m[2])) {
        model.set(i, new int[] {CAS_UNKNOWN, m[1], spareState});
      }
    }
    int sparesUsed = 0;
    // need[v]: operations not yet linearized that can only take effect while the register holds v
    // (reads of v, applied CAS expecting v). Values are unique, so once v (not absent) is
    // overwritten it never comes back, and a step that overwrites v while need[v] > 0 is a dead end.
    int[] need = new int[ids.size() + 2];
    for (int i = 0; i < n; i++) {
      int[] m = model.get(i);
      if (finite[i] && (m[0] == READ || m[0] == CAS_APPLIED)) {
        need[m[1]]++;
      }
    }
    Set<Config> seen = new HashSet<>();
    int[] stackOp = new int[n];
    int[] stackState = new int[n];
    boolean[] stackGreedy = new boolean[n];
    int depth = 0;
    int state = 0; // every key starts absent
    long hash = 0;
    long steps = 0;
    Stuck best = null;
    int node = next[0];
    while (finiteRemaining > 0) {
      if (node > 0 && node % 2 == 1) {
        int i = (node - 1) / 2;
        int[] m = model.get(i);
        if (!finite[i] && ((spare[i] && spareOrder.get(sparesUsed) != i)
            || !worthTrying(m, state, observed, model, next))) {
          node = next[node];
          continue;
        }
        int s2 = step(state, m);
        steps++;
        if (steps > budget) {
          return new KeyResult(CheckResult.Verdict.UNKNOWN, "key " + key + ": search budget of " + budget
              + " steps ran out", n, steps);
        }
        boolean needy = finite[i] && (m[0] == READ || m[0] == CAS_APPLIED);
        if (s2 >= 0 && s2 != state && state != 0 && need[state] - (needy && m[1] == state ? 1 : 0) > 0) {
          s2 = -1; // would overwrite a value some pending operation still has to see
        }
        if (s2 >= 0 && seen.add(new Config(hash ^ zobrist[i], s2))) {
          if (needy) {
            need[m[1]]--;
          }
          if (spare[i]) {
            sparesUsed++;
          }
          stackOp[depth] = i;
          stackState[depth] = state;
          stackGreedy[depth] = m[0] == READ || m[0] == CAS_REFUSED;
          depth++;
          state = s2;
          hash ^= zobrist[i];
          lift(node, next, prev);
          if (finite[i]) {
            finiteRemaining--;
          }
          node = next[0];
          continue;
        }
        node = next[node];
        continue;
      }
      // A return event (or the end of the list): the operations linearized so far cannot be
      // extended past it, so undo the last choice.
      if (best == null || depth > best.depth) {
        best = Stuck.at(next, node, state, depth);
      }
      // Undo the greedy steps (they are never wrong: see below), then the last real choice.
      boolean greedy;
      int call;
      do {
        if (depth == 0) {
          return new KeyResult(CheckResult.Verdict.INVALID, best.explain(key, ops, ids), n, steps);
        }
        depth--;
        int i = stackOp[depth];
        greedy = stackGreedy[depth];
        state = stackState[depth];
        hash ^= zobrist[i];
        call = 1 + 2 * i;
        int[] m = model.get(i);
        if (finite[i] && (m[0] == READ || m[0] == CAS_APPLIED)) {
          need[m[1]]++;
        }
        if (spare[i]) {
          sparesUsed--;
        }
        unlift(call, next, prev);
        if (finite[i]) {
          finiteRemaining++;
        }
      } while (greedy);
      node = next[call];
    }
    return new KeyResult(CheckResult.Verdict.VALID, null, n, steps);
  }

  private record Config(long linearized, int state) {}

  /**
   * Whether linearizing the unknown operation {@code m} now can be needed (a sound pruning; the
   * argument is in docs/verification.md). An unknown CAS that would not apply changes nothing now,
   * so it may as well take effect at the end. An unknown write of a value nobody saw can only
   * matter by making a refused CAS possible: if a valid order places it elsewhere, the same order
   * with it moved to the end, or moved to just before such a CAS, is valid too. So it is tried only
   * while a pending refused CAS expects the current value.
   */
  private static boolean worthTrying(int[] m, int state, Set<Integer> observed, List<int[]> model, int[] next) {
    if (m[0] == CAS_UNKNOWN && state != m[1]) {
      return false;
    }
    int written = m[0] == WRITE ? m[1] : m[2];
    if (observed.contains(written)) {
      return true;
    }
    for (int node = next[0]; node > 0 && node % 2 == 1; node = next[node]) {
      int[] other = model.get((node - 1) / 2);
      if (other[0] == CAS_REFUSED && other[1] == state) {
        return true;
      }
    }
    return false;
  }

  /** The model operation for {@code op}, or null when it has no effect to check. */
  private static int[] model(Op op, Map<String, Integer> ids) {
    boolean unknown = op.outcome() == Op.Outcome.UNKNOWN;
    switch (op.type()) {
      case PUT -> {
        return op.outcome() == Op.Outcome.FAIL ? null : new int[] {WRITE, id(op.value(), ids), 0};
      }
      case DELETE -> {
        return op.outcome() == Op.Outcome.FAIL ? null : new int[] {WRITE, 0, 0};
      }
      case CAS -> {
        int expected = id(op.expectedValue(), ids);
        if (op.casConflict()) {
          return new int[] {CAS_REFUSED, expected, 0};
        }
        if (op.outcome() == Op.Outcome.FAIL) {
          return null;
        }
        return new int[] {unknown ? CAS_UNKNOWN : CAS_APPLIED, expected, id(op.value(), ids)};
      }
      case GET -> {
        return op.ok() ? new int[] {READ, id(op.value(), ids), 0} : null;
      }
      default -> {
        return null;
      }
    }
  }

  private static int id(String value, Map<String, Integer> ids) {
    return value == null ? 0 : ids.computeIfAbsent(value, v -> ids.size() + 1);
  }

  /** The register's state after {@code m} from {@code state}, or -1 if {@code m} cannot happen there. */
  private static int step(int state, int[] m) {
    return switch (m[0]) {
      case WRITE -> m[1];
      case CAS_APPLIED -> state == m[1] ? m[2] : -1;
      case CAS_REFUSED -> state != m[1] ? state : -1;
      case CAS_UNKNOWN -> state == m[1] ? m[2] : state;
      case READ -> state == m[1] ? state : -1;
      default -> throw new IllegalStateException("model kind " + m[0]);
    };
  }

  private static void lift(int call, int[] next, int[] prev) {
    int ret = call + 1;
    next[prev[call]] = next[call];
    if (next[call] >= 0) {
      prev[next[call]] = prev[call];
    }
    next[prev[ret]] = next[ret];
    if (next[ret] >= 0) {
      prev[next[ret]] = prev[ret];
    }
  }

  private static void unlift(int call, int[] next, int[] prev) {
    int ret = call + 1;
    next[prev[ret]] = ret;
    if (next[ret] >= 0) {
      prev[next[ret]] = ret;
    }
    next[prev[call]] = call;
    if (next[call] >= 0) {
      prev[next[call]] = call;
    }
  }

  /** Where the deepest branch of the search stopped: for the violation's explanation. */
  private record Stuck(int node, int state, int depth, List<Integer> pending) {
    static Stuck at(int[] next, int stuckAt, int state, int depth) {
      List<Integer> pending = new ArrayList<>();
      for (int node = next[0]; node > 0 && node != stuckAt && pending.size() < 8; node = next[node]) {
        if (node % 2 == 1) {
          pending.add((node - 1) / 2);
        }
      }
      return new Stuck(stuckAt, state, depth, pending);
    }

    String explain(String key, List<Op> ops, Map<String, Integer> ids) {
      String value = "absent";
      for (Map.Entry<String, Integer> e : ids.entrySet()) {
        if (e.getValue() == state) {
          value = e.getKey();
        }
      }
      StringBuilder b = new StringBuilder("key ").append(key).append(": not linearizable; the longest linearizable ")
          .append("prefix takes ").append(depth).append(" of ").append(ops.size())
          .append(" operations and leaves the register at ").append(value);
      if (node > 0) {
        b.append("; no pending operation can take effect before this one completes: ").append(ops.get((node - 2) / 2));
      }
      if (!pending.isEmpty()) {
        b.append("; pending: ");
        b.append(String.join("; ", pending.stream().map(i -> ops.get(i).toString()).toList()));
      }
      return b.toString();
    }
  }
}
