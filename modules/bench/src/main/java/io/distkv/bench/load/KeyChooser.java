package io.distkv.bench.load;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks key indexes in [0, n): uniform, or zipfian (θ = 0.99, YCSB's constant) with the popular
 * items scattered over the key space by hashing (YCSB's "scrambled zipfian"), so the hot keys do
 * not all land in one partition. The zipfian sampler is the rejection-free method of Gray et al.,
 * "Quickly generating billion-record synthetic databases" (SIGMOD 1994).
 */
abstract class KeyChooser {
  abstract long next();

  static KeyChooser of(String distribution, long n) {
    return switch (distribution.toLowerCase(java.util.Locale.ROOT)) {
      case "uniform" -> new Uniform(n);
      case "zipfian", "zipf" -> new ScrambledZipfian(n, 0.99);
      default -> throw new IllegalArgumentException("unknown key distribution '" + distribution + "' (uniform, zipfian)");
    };
  }

  static final class Uniform extends KeyChooser {
    private final long n;

    Uniform(long n) {
      this.n = n;
    }

    @Override
    long next() {
      return ThreadLocalRandom.current().nextLong(n);
    }
  }

  static final class ScrambledZipfian extends KeyChooser {
    private final long n;
    private final double theta;
    private final double alpha;
    private final double zetan;
    private final double eta;

    ScrambledZipfian(long n, double theta) {
      this.n = n;
      this.theta = theta;
      this.alpha = 1.0 / (1.0 - theta);
      this.zetan = zeta(n, theta);
      double zeta2 = zeta(2, theta);
      this.eta = (1 - Math.pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetan);
    }

    static double zeta(long n, double theta) {
      double sum = 0;
      for (long i = 1; i <= n; i++) {
        sum += 1 / Math.pow(i, theta);
      }
      return sum;
    }

    /** Rank in [0, n): rank 0 is the most popular. */
    long rank() {
      double u = ThreadLocalRandom.current().nextDouble();
      double uz = u * zetan;
      if (uz < 1.0) {
        return 0;
      }
      if (uz < 1.0 + Math.pow(0.5, theta)) {
        return Math.min(1, n - 1);
      }
      return Math.min(n - 1, (long) (n * Math.pow(eta * u - eta + 1, alpha)));
    }

    @Override
    long next() {
      return Math.floorMod(fnv64(rank()), n);
    }

    static long fnv64(long v) {
      long h = 0xCBF29CE484222325L;
      for (int i = 0; i < 8; i++) {
        h ^= v & 0xFF;
        h *= 0x100000001B3L;
        v >>>= 8;
      }
      return h;
    }
  }
}
