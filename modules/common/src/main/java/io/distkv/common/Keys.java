package io.distkv.common;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The ordering of keys everywhere in dist-kv: unsigned lexicographic over bytes, a proper prefix
 * before any longer key (as in LevelDB's bytewise comparator).
 */
public final class Keys {
  /** Unsigned lexicographic comparator over raw byte arrays. */
  public static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;

  private Keys() {}

  public static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  /** The smallest key strictly greater than every key that starts with {@code prefix}, or null. */
  public static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xFF) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return null; // all 0xFF: no upper bound
  }
}
