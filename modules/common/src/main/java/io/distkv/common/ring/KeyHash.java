package io.distkv.common.ring;

import java.nio.charset.StandardCharsets;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The 64-bit hash of dist-kv: xxHash64 with seed 0 (lz4-java's pure-Java implementation, which is
 * bit-identical on every JVM and platform). Pinned by test vectors: changing it re-shards every
 * existing cluster.
 */
public final class KeyHash {
  private static final XXHash64 XX = XXHashFactory.safeInstance().hash64();
  private static final long SEED = 0L;

  private KeyHash() {}

  public static long hash64(byte[] key) {
    return XX.hash(key, 0, key.length, SEED);
  }

  /** The hash of {@code key[offset, offset + length)}: equal to hashing a copy of that range. */
  public static long hash64(byte[] key, int offset, int length) {
    return XX.hash(key, offset, length, SEED);
  }

  public static long hash64(String text) {
    return hash64(text.getBytes(StandardCharsets.UTF_8));
  }
}
