package io.distkv.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Hand-built and generated histories for the checkers' tests. */
final class Histories {
  private Histories() {}

  static Op put(int p, String key, String value, long version, long start, long end) {
    return new Op(p, Op.Type.PUT, key, value, null, null, Op.Outcome.OK, null, version, start, end);
  }

  static Op putUnknown(int p, String key, String value, long start, long end) {
    return new Op(p, Op.Type.PUT, key, value, null, null, Op.Outcome.UNKNOWN, "TIMEOUT", -1, start, end);
  }

  static Op get(int p, String key, String value, long version, long start, long end) {
    return new Op(p, Op.Type.GET, key, value, null, null, Op.Outcome.OK, null, version, start, end);
  }

  static Op eventual(int p, String key, String value, long version, long start, long end) {
    return new Op(p, Op.Type.EVENTUAL_GET, key, value, null, null, Op.Outcome.OK, null, version, start, end);
  }

  static Op delete(int p, String key, long version, long start, long end) {
    return new Op(p, Op.Type.DELETE, key, null, null, null, Op.Outcome.OK, null, version, start, end);
  }

  static Op cas(int p, String key, long expectedVersion, String expectedValue, String value, long version, long start,
      long end) {
    return new Op(p, Op.Type.CAS, key, value, expectedVersion, expectedValue, Op.Outcome.OK, null, version, start, end);
  }

  static Op casRefused(int p, String key, long expectedVersion, String expectedValue, String value, long current,
      long start, long end) {
    return new Op(p, Op.Type.CAS, key, value, expectedVersion, expectedValue, Op.Outcome.FAIL, "CONFLICT", current,
        start, end);
  }

  static Op add(String element, Op.Outcome outcome, long start, long end) {
    return new Op(0, Op.Type.SET_ADD, "set/" + element, element, null, null, outcome,
        outcome == Op.Outcome.OK ? null : "TIMEOUT", outcome == Op.Outcome.OK ? 7 : -1, start, end);
  }

  static Op finalRead(String element, String found, long start, long end) {
    return new Op(-1, Op.Type.SET_READ, "set/" + element, found, null, null, Op.Outcome.OK, null, found == null ? 0 : 7,
        start, end);
  }

  static History of(Op... ops) {
    return new History(List.of(ops));
  }

  /**
   * A linearizable history of one register from a simulation: operations take effect one by one
   * at increasing instants (10 ns apart), each invoked up to {@code spread} ns before that and
   * completed up to {@code spread} ns after (so about {@code spread / 10} overlap); versions are
   * the instants' indexes, as Raft indexes would be. Some puts are unknown (applied or not), some
   * CAS expect a stale version and are refused.
   */
  static List<Op> simulatedRegister(String key, int count, int clients, long spread, long seed) {
    return simulatedRegister(key, count, clients, spread, seed, 20);
  }

  /** As above, one put in {@code unknownOneIn} (0 = none) unknown. */
  static List<Op> simulatedRegister(String key, int count, int clients, long spread, long seed, int unknownOneIn) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Op> ops = new ArrayList<>();
    String value = null;
    long version = 0;
    List<String> written = new ArrayList<>();
    List<Long> writtenVersions = new ArrayList<>();
    for (int k = 1; k <= count; k++) {
      long at = 1_000 + k * 10L;
      long start = at - r.nextLong(spread);
      long end = at + r.nextLong(spread);
      int p = r.nextInt(clients);
      int dice = r.nextInt(100);
      if (dice < 30) {
        ops.add(get(p, key, value, value == null ? 0 : version, start, end));
      } else if (dice < 55) {
        String v = key + "-v" + k;
        boolean unknown = unknownOneIn > 0 && r.nextInt(unknownOneIn) == 0;
        boolean applied = !unknown || r.nextBoolean();
        if (applied) {
          value = v;
          version = k;
          written.add(v);
          writtenVersions.add((long) k);
        }
        ops.add(unknown ? putUnknown(p, key, v, start, end) : put(p, key, v, k, start, end));
      } else if (dice < 80) {
        String v = key + "-v" + k;
        boolean stale = !written.isEmpty() && r.nextInt(3) == 0;
        int pick = stale ? r.nextInt(written.size()) : -1;
        String expectedValue = stale ? written.get(pick) : value;
        long expectedVersion = stale ? writtenVersions.get(pick) : value == null ? 0 : version;
        if (java.util.Objects.equals(expectedValue, value)) {
          value = v;
          version = k;
          written.add(v);
          writtenVersions.add((long) k);
          ops.add(cas(p, key, expectedVersion, expectedValue, v, k, start, end));
        } else {
          ops.add(casRefused(p, key, expectedVersion, expectedValue, v, value == null ? 0 : version, start, end));
        }
      } else if (dice < 90) {
        value = null;
        version = k;
        ops.add(delete(p, key, k, start, end));
      } else {
        ops.add(eventual(p, key, value, value == null ? 0 : version, start, end));
      }
    }
    return ops;
  }
}
