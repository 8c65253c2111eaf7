package io.distkv.verify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the versions the system returned (the Raft index of each write) against the values and
 * against real time, per key:
 * <ul>
 *   <li>a read's (value, version) is the version the write of that value returned, and a value
 *       whose write returned no version is seen under one version only (a write applied twice
 *       shows as one value under two versions);
 *   <li>no two values share a version;
 *   <li>no value is read that no write of that key carried, nor one whose write definitely failed;
 *   <li>a write's version is above every version completed before the write started, and a
 *       linearizable read's version is at least that (no stale read); a read of an absent key
 *       after a completed version needs a delete that could have come after it.
 * </ul>
 * Eventual reads take part in the first three checks only: they may be stale.
 */
public final class VersionOrderChecker {
  public CheckResult check(History history) {
    List<String> violations = new ArrayList<>();
    int checked = 0;
    for (Map.Entry<String, List<Op>> e : history.byKey().entrySet()) {
      List<Op> ops = e.getValue();
      checked += ops.size();
      checkKey(e.getKey(), ops, violations);
    }
    return CheckResult.of("version-order", violations, false, checked);
  }

  private static boolean isRead(Op op) {
    return op.type() == Op.Type.GET || op.type() == Op.Type.EVENTUAL_GET || op.type() == Op.Type.SET_READ;
  }

  private static boolean linearizableRead(Op op) {
    return op.type() == Op.Type.GET || op.type() == Op.Type.SET_READ;
  }

  /** A write that stores a value (deletes store none). */
  private static boolean storesValue(Op op) {
    return op.type() == Op.Type.PUT || op.type() == Op.Type.CAS || op.type() == Op.Type.SET_ADD;
  }

  void checkKey(String key, List<Op> ops, List<String> violations) {
    Map<String, Op> writeOf = new HashMap<>();
    for (Op op : ops) {
      if (storesValue(op)) {
        Op earlier = writeOf.put(op.value(), op);
        if (earlier != null) {
          throw new IllegalArgumentException("key " + key + ": the history writes value " + op.value()
              + " twice; the checkers need values unique per run (" + earlier + "; " + op + ")");
        }
      }
    }
    Map<String, Long> versionOf = new HashMap<>();
    Map<Long, String> valueAt = new HashMap<>();
    // Versions of acknowledged writes first: they are what the system promised.
    for (Op op : ops) {
      if (storesValue(op) && op.ok()) {
        versionOf.put(op.value(), op.version());
        claim(key, valueAt, op.version(), op.value(), op, violations);
      }
    }
    for (Op op : ops) {
      if (!isRead(op) || !op.ok()) {
        continue;
      }
      if (op.value() == null) {
        if (op.version() != 0) {
          violations.add("key " + key + ": an absent key read with version " + op.version() + " (must be 0): " + op);
        }
        continue;
      }
      Op write = writeOf.get(op.value());
      if (write == null) {
        violations.add("key " + key + ": read a value no write of this key carried: " + op);
        continue;
      }
      if (write.outcome() == Op.Outcome.FAIL) {
        violations.add("key " + key + ": read the value of a write reported as not applied (" + write + "): " + op);
        continue;
      }
      if (op.invokeNanos() < write.invokeNanos() && op.completeNanos() < write.invokeNanos()) {
        violations.add("key " + key + ": read a value before its write was sent (" + write + "): " + op);
      }
      Long known = versionOf.putIfAbsent(op.value(), op.version());
      if (known != null && known != op.version()) {
        violations.add("key " + key + ": value " + op.value() + " seen under version " + op.version() + " but "
            + (write.ok() ? "its write returned" : "was also read at") + " version " + known + " (applied twice?): " + op);
      } else if (known == null) {
        claim(key, valueAt, op.version(), op.value(), op, violations);
      }
    }
    realTimeOrder(key, ops, violations);
  }

  private static void claim(String key, Map<Long, String> valueAt, long version, String value, Op op,
      List<String> violations) {
    String other = valueAt.putIfAbsent(version, value);
    if (other != null && !other.equals(value)) {
      violations.add("key " + key + ": version " + version + " carries both " + other + " and " + value + ": " + op);
    }
  }

  /** The version an operation proves the key had reached when it completed, or 0 if none. */
  private static long provenVersion(Op op) {
    if (!op.ok() && !op.casConflict()) {
      return 0;
    }
    if (op.type().isWrite() || linearizableRead(op) || op.casConflict()) {
      return Math.max(0, op.version());
    }
    return 0;
  }

  private static void realTimeOrder(String key, List<Op> ops, List<String> violations) {
    List<Op> byCompletion = new ArrayList<>(ops.stream().filter(o -> provenVersion(o) > 0).toList());
    byCompletion.sort(Comparator.comparingLong(Op::completeNanos));
    List<Op> deletes = ops.stream().filter(o -> o.type() == Op.Type.DELETE && o.outcome() != Op.Outcome.FAIL).toList();
    List<Op> byInvoke = new ArrayList<>(ops);
    byInvoke.sort(Comparator.comparingLong(Op::invokeNanos));
    int done = 0;
    long maxBefore = 0;
    Op maxOp = null;
    for (Op op : byInvoke) {
      while (done < byCompletion.size() && byCompletion.get(done).completeNanos() < op.invokeNanos()) {
        Op c = byCompletion.get(done++);
        if (provenVersion(c) > maxBefore) {
          maxBefore = provenVersion(c);
          maxOp = c;
        }
      }
      if (maxBefore == 0) {
        continue;
      }
      if (op.ok() && op.type().isWrite() && op.version() <= maxBefore) {
        violations.add("key " + key + ": write got version " + op.version() + ", not above version " + maxBefore
            + " of an operation that completed before it started (" + maxOp + "): " + op);
      } else if (op.ok() && linearizableRead(op) && op.value() != null && op.version() < maxBefore) {
        violations.add("key " + key + ": stale read: version " + op.version() + " after version " + maxBefore
            + " had completed (" + maxOp + "): " + op);
      } else if (op.ok() && linearizableRead(op) && op.value() == null) {
        final long floor = maxBefore;
        boolean explained = deletes.stream().anyMatch(d -> d.invokeNanos() < op.completeNanos()
            && (d.outcome() == Op.Outcome.UNKNOWN || d.version() >= floor));
        if (!explained) {
          violations.add("key " + key + ": stale read: absent after version " + maxBefore + " had completed ("
              + maxOp + ") and no delete could have come after it: " + op);
        }
      }
    }
  }
}
