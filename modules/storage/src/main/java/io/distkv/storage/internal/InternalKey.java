package io.distkv.storage.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Internal keys, as in LevelDB: {@code userKey ++ trailer}, the 8-byte big-endian trailer being
 * {@code (sequence << 8) | type}. Order: user key ascending (unsigned bytes), then trailer
 * descending, so the newest version of a key comes first.
 */
public final class InternalKey {
  public static final byte TYPE_DELETION = 0;
  public static final byte TYPE_VALUE = 1;
  /** Sequence numbers use 56 bits. */
  public static final long MAX_SEQUENCE = (1L << 56) - 1;

  public static final Comparator<byte[]> COMPARATOR = InternalKey::compare;
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private InternalKey() {}

  public static byte[] encode(byte[] userKey, long sequence, byte type) {
    byte[] out = Arrays.copyOf(userKey, userKey.length + 8);
    LONG_BE.set(out, userKey.length, (sequence << 8) | (type & 0xFF));
    return out;
  }

  /** The key to seek to for the newest version of {@code userKey} visible at {@code sequence}. */
  public static byte[] seekKey(byte[] userKey, long sequence) {
    return encode(userKey, sequence, TYPE_VALUE);
  }

  public static int userKeyLength(byte[] ikey) {
    return ikey.length - 8;
  }

  public static byte[] userKey(byte[] ikey) {
    return Arrays.copyOf(ikey, ikey.length - 8);
  }

  public static long trailer(byte[] ikey) {
    return (long) LONG_BE.get(ikey, ikey.length - 8);
  }

  public static long sequence(byte[] ikey) {
    return trailer(ikey) >>> 8;
  }

  public static byte type(byte[] ikey) {
    return (byte) ikey[ikey.length - 1];
  }

  public static int compare(byte[] a, byte[] b) {
    int c = Arrays.compareUnsigned(a, 0, a.length - 8, b, 0, b.length - 8);
    if (c != 0) {
      return c;
    }
    return Long.compareUnsigned(trailer(b), trailer(a));
  }

  /**
   * Compares the internal key {@code a[off, off + len)} with {@code b}, in {@link #compare} order,
   * without copying it out.
   */
  public static int compare(byte[] a, int off, int len, byte[] b) {
    int c = Arrays.compareUnsigned(a, off, off + len - 8, b, 0, b.length - 8);
    if (c != 0) {
      return c;
    }
    return Long.compareUnsigned(trailer(b), (long) LONG_BE.get(a, off + len - 8));
  }

  /** Compares the user-key parts only. */
  public static int compareUserKey(byte[] ikeyA, byte[] ikeyB) {
    return Arrays.compareUnsigned(ikeyA, 0, ikeyA.length - 8, ikeyB, 0, ikeyB.length - 8);
  }

  /** Compares an internal key's user part to a plain user key. */
  public static int compareToUserKey(byte[] ikey, byte[] userKey) {
    return Arrays.compareUnsigned(ikey, 0, ikey.length - 8, userKey, 0, userKey.length);
  }

  public static String describe(byte[] ikey) {
    return new String(ikey, 0, ikey.length - 8, java.nio.charset.StandardCharsets.ISO_8859_1)
        + "@" + sequence(ikey) + (type(ikey) == TYPE_DELETION ? "(del)" : "");
  }
}
