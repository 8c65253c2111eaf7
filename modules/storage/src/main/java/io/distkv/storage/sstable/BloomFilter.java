package io.distkv.storage.sstable;

import io.distkv.common.ring.KeyHash;

/**
 * A Bloom filter over user keys (one per table), using double hashing of xxHash64
 * (Kirsch–Mitzenmacher): probe i tests bit {@code reduce(h1 + i·h2)} of m bits. With 10 bits per
 * key and k = 7 probes the false-positive rate is ≈ 0.8%. Layout: {@code [bits][k u8]}.
 *
 * <p>How a probe maps onto the m bits depends on the table format version: version 1 takes
 * {@code floorMod(h1 + i·h2, m)} (a division per probe), version 2 the multiply-shift
 * {@code ((h1 + i·h2) as unsigned 32 bits · m) >>> 32} (Lemire's range reduction; no division).
 * New tables are version 2; version 1 tables stay readable.
 */
public final class BloomFilter {
  private final byte[] bits; // includes the trailing k byte
  private final int numBits;
  private final int k;
  private final boolean multiplyShift;

  private BloomFilter(byte[] bits, int formatVersion) {
    this.bits = bits;
    this.numBits = (bits.length - 1) * 8;
    this.k = bits[bits.length - 1] & 0xFF;
    this.multiplyShift = formatVersion >= 2;
  }

  /** Format version 2's probe position: {@code x} (unsigned) scaled into [0, nbits). */
  private static int reduce(int x, int nbits) {
    return (int) (((x & 0xFFFFFFFFL) * nbits) >>> 32);
  }

  /** Builds the filter bytes (table format version 2) for key hashes from {@link #hash(byte[])}. */
  public static byte[] build(long[] hashes, int count, int bitsPerKey) {
    int k = Math.max(1, Math.min(30, (int) Math.round(bitsPerKey * 0.69)));
    int nbits = Math.max(64, count * bitsPerKey);
    int nbytes = (nbits + 7) / 8;
    nbits = nbytes * 8;
    byte[] out = new byte[nbytes + 1];
    out[nbytes] = (byte) k;
    for (int i = 0; i < count; i++) {
      long h = hashes[i];
      int h1 = (int) h;
      int h2 = (int) (h >>> 32) | 1;
      for (int j = 0; j < k; j++) {
        int bit = reduce(h1 + j * h2, nbits);
        out[bit >>> 3] |= (byte) (1 << (bit & 7));
      }
    }
    return out;
  }

  public static long hash(byte[] userKey) {
    return KeyHash.hash64(userKey);
  }

  /** The hash of the user key {@code key[0, length)}. */
  public static long hash(byte[] key, int length) {
    return KeyHash.hash64(key, 0, length);
  }

  /** A filter block of a table written in {@code formatVersion}. */
  public static BloomFilter read(byte[] bytes, int formatVersion) {
    return new BloomFilter(bytes, formatVersion);
  }

  public boolean mayContain(byte[] userKey) {
    return mayContainHash(hash(userKey));
  }

  public boolean mayContainHash(long h) {
    if (k == 0 || k > 30 || numBits == 0) {
      return true; // unknown encoding: never rule anything out
    }
    int h1 = (int) h;
    int h2 = (int) (h >>> 32) | 1;
    for (int j = 0; j < k; j++) {
      int bit = multiplyShift ? reduce(h1 + j * h2, numBits) : Math.floorMod(h1 + j * h2, numBits);
      if ((bits[bit >>> 3] & (1 << (bit & 7))) == 0) {
        return false;
      }
    }
    return true;
  }

  public int sizeBytes() {
    return bits.length;
  }

}
