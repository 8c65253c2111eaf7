package io.distkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM writes batches and reports each acknowledged one; it is killed with SIGKILL after a
 * random number of acknowledgements, repeatedly. After every restart every acknowledged batch must
 * be fully present and no batch partly present. With sync ALWAYS that is the fsync promise; with
 * sync NEVER it is the process-crash promise (the memory-mapped WAL's pages are in the page cache
 * when a write returns, so killing the process loses nothing acknowledged; only a machine crash
 * may). Fault schedule: seed {@code distkv.crash.seed} (default 42), {@code distkv.crash.cycles}
 * cycles per policy (default 20).
 */
@Tag("phase3")
class CrashSafetyTest {
  @TempDir Path tmp;

  static LsmOptions options(SyncPolicy sync) {
    // Small buffers so that kills also land during flushes, compactions and WAL switches.
    return LsmOptions.builder()
        .writeBufferBytes(64 * 1024)
        .targetFileBytes(64 * 1024)
        .levelBaseBytes(1 << 20)
        .l0CompactionTrigger(2)
        .syncPolicy(sync)
        .build();
  }

  static byte[] key(long batch, int size, int j) {
    return String.format("b%08d-n%02d-k%02d", batch, size, j).getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "sync {0}")
  @EnumSource(value = SyncPolicy.class, names = {"ALWAYS", "NEVER"})
  void everyAcknowledgedBatchSurvivesSigkillAndNoBatchIsTorn(SyncPolicy sync) throws Exception {
    long seed = Long.getLong("distkv.crash.seed", 42L);
    int cycles = Integer.getInteger("distkv.crash.cycles", 20);
    Random rnd = new Random(seed);
    Path dir = tmp.resolve("db");
    Map<Long, Integer> acked = new HashMap<>();
    long nextBatch = 0;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int cycle = 0; cycle < cycles; cycle++) {
      int killAfter = 1 + rnd.nextInt(300);
      Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          "-Xmx256m", CrashWriter.class.getName(), dir.toString(), Long.toString(nextBatch), Long.toString(rnd.nextLong()),
          sync.name())
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      int seen = 0;
      try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while (seen < killAfter && (line = in.readLine()) != null) {
          if (line.startsWith("ACK ")) {
            String[] parts = line.split(" ");
            acked.put(Long.parseLong(parts[1]), Integer.parseInt(parts[2]));
            seen++;
          }
        }
        child.destroyForcibly(); // SIGKILL, mid-write of the next batch
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(seen).as("cycle %d: child died before %d acks (seed %d)", cycle, killAfter, seed).isEqualTo(killAfter);

      TreeMap<Long, Integer> present = new TreeMap<>();
      Map<Long, Integer> sizes = new HashMap<>();
      try (LsmStore store = LsmStore.open(dir, options(sync)); KvIterator it = store.scan(null, null, 0, false)) {
        while (it.hasNext()) {
          String k = new String(it.next().key(), StandardCharsets.UTF_8);
          long batch = Long.parseLong(k.substring(1, 9));
          present.merge(batch, 1, Integer::sum);
          sizes.put(batch, Integer.parseInt(k.substring(11, 13)));
        }
      }
      for (Map.Entry<Long, Integer> a : acked.entrySet()) {
        assertThat(present.get(a.getKey())).as("cycle %d seed %d: acknowledged batch %d", cycle, seed, a.getKey())
            .isEqualTo(a.getValue());
      }
      for (Map.Entry<Long, Integer> p : present.entrySet()) {
        assertThat(p.getValue()).as("cycle %d seed %d: batch %d is torn", cycle, seed, p.getKey())
            .isEqualTo(sizes.get(p.getKey()));
      }
      nextBatch = present.isEmpty() ? nextBatch : Math.max(nextBatch, present.lastKey() + 1);
      nextBatch = Math.max(nextBatch, acked.keySet().stream().mapToLong(Long::longValue).max().orElse(-1) + 1);
    }
    assertThat(acked).hasSizeGreaterThan(cycles);
  }

}
