package io.distkv.server.partition;

import io.distkv.common.error.CorruptionException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * One client's write session within one partition: the results of its writes that may still be
 * retried, by sequence, and the client's first unacknowledged sequence (everything below it had its
 * reply and is forgotten). A client with many writes in flight at once may have them applied in any
 * order; each applies once. Stored under {@code 's' + clientId}; layout in docs/formats.md
 * "Partition state".
 */
final class ClientSession {
  /** Most results kept per client and partition; beyond it the lowest are forgotten (and become stale). */
  static final int MAX_RESULTS = 1024;
  private static final byte FORMAT = 3;

  private long firstUnacked;
  private long lastUsedMillis;
  private final TreeMap<Long, byte[]> results = new TreeMap<>();

  long firstUnacked() {
    return firstUnacked;
  }

  /** The proposing router's clock at this session's latest write (0 = unknown, never expires). */
  long lastUsedMillis() {
    return lastUsedMillis;
  }

  void touch(long millis) {
    lastUsedMillis = Math.max(lastUsedMillis, millis);
  }

  /** The stored answer of write {@code sequence}, or null if it has not been applied (or is forgotten). */
  byte[] result(long sequence) {
    return results.get(sequence);
  }

  /** Records write {@code sequence}'s answer and forgets everything below the client's first unacknowledged sequence. */
  void record(long sequence, byte[] result, long clientFirstUnacked) {
    results.put(sequence, result);
    firstUnacked = Math.max(firstUnacked, clientFirstUnacked);
    results.headMap(firstUnacked).clear();
    while (results.size() > MAX_RESULTS) {
      firstUnacked = results.pollFirstEntry().getKey() + 1;
    }
  }

  byte[] encode() {
    int size = 1 + 8 + 8 + 4;
    for (byte[] r : results.values()) {
      size += 8 + 4 + r.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).put(FORMAT).putLong(firstUnacked).putLong(lastUsedMillis)
        .putInt(results.size());
    for (Map.Entry<Long, byte[]> e : results.entrySet()) {
      b.putLong(e.getKey()).putInt(e.getValue().length).put(e.getValue());
    }
    return b.array();
  }

  /**
   * Decodes a stored session. The first layout ({@code [lastSeq u64][result]}, one write in flight)
   * starts with a zero byte for any real sequence and reads as a session whose first unacknowledged
   * sequence is that write.
   */
  static ClientSession decode(byte[] stored) {
    ClientSession s = new ClientSession();
    if (stored == null) {
      return s;
    }
    try {
      ByteBuffer b = ByteBuffer.wrap(stored);
      if (stored[0] != 2 && stored[0] != FORMAT) {
        long last = b.getLong();
        byte[] result = new byte[b.remaining()];
        b.get(result);
        s.firstUnacked = last;
        s.results.put(last, result);
        return s;
      }
      byte format = b.get();
      s.firstUnacked = b.getLong();
      s.lastUsedMillis = format >= 3 ? b.getLong() : 0;
      int n = b.getInt();
      for (int i = 0; i < n; i++) {
        long seq = b.getLong();
        byte[] r = new byte[b.getInt()];
        b.get(r);
        s.results.put(seq, r);
      }
      return s;
    } catch (RuntimeException e) {
      throw new CorruptionException("malformed client session record: " + e);
    }
  }
}
