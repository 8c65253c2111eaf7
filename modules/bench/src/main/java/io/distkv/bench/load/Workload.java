package io.distkv.bench.load;

/** YCSB-style operation mixes. */
public enum Workload {
  /** Only updates (puts of existing or new keys). */
  WRITE(0.0),
  /** YCSB A: 50% reads, 50% updates. */
  A(0.5),
  /** YCSB B: 95% reads, 5% updates. */
  B(0.95),
  /** YCSB C: reads only. */
  C(1.0);

  final double readFraction;

  Workload(double readFraction) {
    this.readFraction = readFraction;
  }

  static Workload parse(String s) {
    return switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "write", "write-only", "w" -> WRITE;
      case "a" -> A;
      case "b" -> B;
      case "c", "read-only" -> C;
      default -> throw new IllegalArgumentException("unknown workload '" + s + "' (write, a, b, c)");
    };
  }

  String label() {
    return this == WRITE ? "write-only" : "workload " + name();
  }
}
