package io.distkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.Keys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random operations against the store and a TreeMap model, compared after every read. Seeds are
 * fixed for CI; {@code -Ddistkv.lsm.seeds=N} runs N more random seeds, {@code -Ddistkv.lsm.seed=S}
 * replays one. A failure names its seed and step.
 */
@Tag("phase3")
class LsmModelTest {
  @TempDir Path tmp;

  static List<Long> seeds() {
    String one = System.getProperty("distkv.lsm.seed");
    if (one != null) {
      return List.of(Long.parseLong(one));
    }
    List<Long> seeds = new ArrayList<>(List.of(1L, 2L, 3L, 4L, 5L, 6L));
    int extra = Integer.getInteger("distkv.lsm.seeds", 0);
    Random r = new Random();
    for (int i = 0; i < extra; i++) {
      seeds.add(r.nextLong());
    }
    return seeds;
  }

  record SnapshotModel(Snapshot snapshot, NavigableMap<byte[], byte[]> model) {}

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void storeMatchesTreeMapModel(long seed) {
    Random rnd = new Random(seed);
    Path dir = tmp.resolve("db-" + seed);
    LsmOptions options = LsmOptions.builder()
        .writeBufferBytes(64 * 1024)
        .targetFileBytes(64 * 1024)
        .levelBaseBytes(1 << 20)
        .blockBytes(rnd.nextBoolean() ? 256 : 4096)
        .compression(rnd.nextBoolean() ? Compression.LZ4 : Compression.NONE)
        .l0CompactionTrigger(2)
        .l0SlowdownTrigger(4)
        .l0StopTrigger(6)
        .walEnabled(true)
        .syncPolicy(SyncPolicy.NEVER)
        .build();
    NavigableMap<byte[], byte[]> model = new TreeMap<>(Keys.ORDER);
    List<SnapshotModel> snaps = new ArrayList<>();
    LsmStore store = LsmStore.open(dir, options);
    int ops = Integer.getInteger("distkv.lsm.ops", 4000);
    int keySpace = 50 + rnd.nextInt(2000);
    try {
      for (int step = 0; step < ops; step++) {
        String ctx = "seed " + seed + " step " + step;
        int op = rnd.nextInt(100);
        if (op < 40) {
          byte[] k = key(rnd, keySpace);
          byte[] v = value(rnd);
          store.put(k, v);
          model.put(k, v);
        } else if (op < 50) {
          byte[] k = key(rnd, keySpace);
          store.delete(k);
          model.remove(k);
        } else if (op < 58) {
          WriteBatch batch = new WriteBatch();
          int n = 1 + rnd.nextInt(20);
          for (int i = 0; i < n; i++) {
            byte[] k = key(rnd, keySpace);
            if (rnd.nextInt(4) == 0) {
              batch.delete(k);
              model.remove(k);
            } else {
              byte[] v = value(rnd);
              batch.put(k, v);
              model.put(k, v);
            }
          }
          store.write(batch);
        } else if (op < 75) {
          byte[] k = key(rnd, keySpace);
          assertThat(store.get(k)).as(ctx + " get").isEqualTo(model.get(k));
        } else if (op < 85) {
          checkScan(store, model, null, rnd, ctx);
        } else if (op < 89) {
          snaps.add(new SnapshotModel(store.snapshot(), new TreeMap<>(model)));
        } else if (op < 93 && !snaps.isEmpty()) {
          SnapshotModel s = snaps.get(rnd.nextInt(snaps.size()));
          byte[] k = key(rnd, keySpace);
          assertThat(store.get(k, s.snapshot())).as(ctx + " snapshot get").isEqualTo(s.model().get(k));
          checkScan(store, s.model(), s.snapshot(), rnd, ctx + " snapshot");
          if (rnd.nextBoolean()) {
            s.snapshot().close();
            snaps.remove(s);
          }
        } else if (op < 95) {
          store.flush();
        } else if (op < 97) {
          store.compactRange(rnd.nextBoolean() ? null : key(rnd, keySpace), null);
        } else {
          snaps.forEach(s -> s.snapshot().close());
          snaps.clear();
          store.close();
          store = LsmStore.open(dir, options);
        }
      }
      checkScan(store, model, null, rnd, "seed " + seed + " final");
      assertThat(count(store.scan(null, null, 0, false))).isEqualTo(model.size());
    } finally {
      store.close();
    }
  }

  private static void checkScan(LsmStore store, NavigableMap<byte[], byte[]> model, Snapshot snap, Random rnd, String ctx) {
    byte[] start = rnd.nextInt(4) == 0 ? null : key(rnd, 3000);
    byte[] end = rnd.nextInt(4) == 0 ? null : key(rnd, 3000);
    boolean reverse = rnd.nextBoolean();
    int limit = rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(50);
    NavigableMap<byte[], byte[]> view = model;
    if (start != null && end != null && Keys.compare(start, end) > 0) {
      view = new TreeMap<>(Keys.ORDER);
    } else if (start != null && end != null) {
      view = model.subMap(start, true, end, false);
    } else if (start != null) {
      view = model.tailMap(start, true);
    } else if (end != null) {
      view = model.headMap(end, false);
    }
    List<String> expected = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : (reverse ? view.descendingMap() : view).entrySet()) {
      if (limit > 0 && expected.size() == limit) {
        break;
      }
      expected.add(render(e.getKey(), e.getValue()));
    }
    List<String> actual = new ArrayList<>();
    try (KvIterator it = store.scan(start, end, limit, reverse, snap)) {
      it.forEachRemaining(e -> actual.add(render(e.key(), e.value())));
    }
    assertThat(actual).as(ctx + " scan [%s, %s) limit %d reverse %s", render(start), render(end), limit, reverse)
        .isEqualTo(expected);
  }

  private static long count(KvIterator it) {
    long n = 0;
    try (it) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  private static String render(byte[] k) {
    return k == null ? "null" : new String(k);
  }

  private static String render(byte[] k, byte[] v) {
    return render(k) + "=" + Arrays.hashCode(v) + "/" + v.length;
  }

  private static byte[] key(Random rnd, int space) {
    int n = rnd.nextInt(space);
    // Keys share prefixes and vary in length, so prefix compression and "prefix sorts first" matter.
    return (rnd.nextInt(10) == 0 ? "k" + n : "key-" + n).getBytes();
  }

  private static byte[] value(Random rnd) {
    byte[] v = new byte[rnd.nextInt(10) == 0 ? rnd.nextInt(2000) : rnd.nextInt(60)];
    rnd.nextBytes(v);
    return v;
  }
}
