package io.distkv.storage;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link CrashSafetyTest}: writes random batches with the given sync policy forever and
 * prints {@code ACK <batch> <size>} after each write returns, until it is killed.
 * Batch b writes keys {@code b<b>-n<size>-k<j>} for j < size, so a reader can tell whether a batch
 * is complete.
 */
public final class CrashWriter {
  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    long firstBatch = Long.parseLong(args[1]);
    Random rnd = new Random(Long.parseLong(args[2]));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    LsmStore store = LsmStore.open(dir, CrashSafetyTest.options(SyncPolicy.valueOf(args[3])));
    out.println("OPEN");
    out.flush();
    for (long b = firstBatch; ; b++) {
      int size = 1 + rnd.nextInt(20);
      WriteBatch batch = new WriteBatch();
      for (int j = 0; j < size; j++) {
        byte[] value = new byte[50 + rnd.nextInt(400)];
        rnd.nextBytes(value);
        batch.put(CrashSafetyTest.key(b, size, j), value);
      }
      if (rnd.nextInt(10) == 0 && b > firstBatch) {
        batch.delete(CrashSafetyTest.key(b - 1, 0, 0)); // a tombstone for a key that may not exist
      }
      store.write(batch);
      out.println("ACK " + b + " " + size);
      out.flush();
    }
  }
}
