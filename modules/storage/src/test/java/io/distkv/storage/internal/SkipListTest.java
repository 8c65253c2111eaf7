package io.distkv.storage.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase3")
class SkipListTest {
  private static byte[] ikey(int userKey, long seq) {
    return InternalKey.encode(String.format("k%08d", userKey).getBytes(), seq, InternalKey.TYPE_VALUE);
  }

  /**
   * Inserts in runs: ascending runs (the splice path), two interleaved ascending streams (the
   * second splice), descending and random keys (the search path).
   */
  private static List<byte[]> workload(Random rnd, int n) {
    List<byte[]> keys = new ArrayList<>();
    long seq = 1;
    while (keys.size() < n) {
      int kind = rnd.nextInt(4);
      int start = rnd.nextInt(1_000_000);
      int otherStart = rnd.nextInt(1_000_000);
      int run = 1 + rnd.nextInt(200);
      for (int i = 0; i < run && keys.size() < n; i++) {
        int k = switch (kind) {
          case 0 -> start + i;
          case 1 -> start - i;
          case 2 -> i % 2 == 0 ? start + i / 2 : otherStart + i / 2;
          default -> rnd.nextInt(1_000_000);
        };
        keys.add(ikey(k, seq++));
      }
    }
    return keys;
  }

  private static void checkAgainst(SkipList list, TreeMap<byte[], byte[]> model, Random rnd) {
    assertThat(list.size()).isEqualTo(model.size());
    // every level is a sorted sub-list of the bottom level
    for (int level = 1; level < SkipList.MAX_HEIGHT; level++) {
      List<byte[]> keys = list.keysOnLevel(level);
      for (int i = 1; i < keys.size(); i++) {
        assertThat(InternalKey.compare(keys.get(i - 1), keys.get(i))).as("level %d at %d", level, i).isNegative();
      }
      assertThat(model.keySet()).containsAll(keys);
    }
    List<byte[]> forward = new ArrayList<>();
    for (SkipList.Node x = list.first(); x != null; x = x.next()) {
      forward.add(x.key);
    }
    assertThat(forward).containsExactlyElementsOf(model.keySet());
    assertThat(list.last().key).isEqualTo(model.lastKey());
    for (int i = 0; i < 2000; i++) {
      byte[] probe = ikey(rnd.nextInt(1_000_000), rnd.nextInt(model.size() + 1));
      Map.Entry<byte[], byte[]> ge = model.ceilingEntry(probe);
      SkipList.Node got = list.seekGE(probe);
      assertThat(got == null ? null : got.key).isEqualTo(ge == null ? null : ge.getKey());
      Map.Entry<byte[], byte[]> lt = model.lowerEntry(probe);
      SkipList.Node before = list.seekLT(probe);
      assertThat(before == null ? null : before.key).isEqualTo(lt == null ? null : lt.getKey());
      if (got != null) {
        assertThat(got.value).isEqualTo(ge.getValue());
      }
    }
  }

  @Test
  void matchesASortedMapForSequentialDescendingAndRandomInserts() {
    for (long seed = 1; seed <= 5; seed++) {
      Random rnd = new Random(seed);
      SkipList list = new SkipList();
      TreeMap<byte[], byte[]> model = new TreeMap<>(InternalKey.COMPARATOR);
      assertThat(list.first()).isNull();
      assertThat(list.last()).isNull();
      assertThat(list.seekGE(ikey(5, 1))).isNull();
      int i = 0;
      for (byte[] k : workload(rnd, 20_000)) {
        byte[] v = new byte[] {(byte) i++};
        list.insert(k, v);
        model.put(k, v);
        if (i % 5_000 == 0) {
          checkAgainst(list, model, rnd);
        }
      }
      checkAgainst(list, model, rnd);
    }
  }

  @Test
  void readersSeeAConsistentSortedListWhileTheWriterInserts() throws InterruptedException {
    SkipList list = new SkipList();
    List<byte[]> keys = workload(new Random(9), 200_000);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> readers = new ArrayList<>();
    Thread writer = new Thread(() -> keys.forEach(k -> list.insert(k, k)));
    for (int r = 0; r < 2; r++) {
      Random rnd = new Random(r);
      readers.add(new Thread(() -> {
        try {
          while (writer.isAlive()) {
            // a forward walk is sorted, every value belongs to its key
            byte[] prev = null;
            int seen = 0;
            for (SkipList.Node x = list.seekGE(ikey(rnd.nextInt(1_000_000), Long.MAX_VALUE >>> 8)); x != null && seen < 2000;
                x = x.next(), seen++) {
              assertThat(x.value).isSameAs(x.key);
              if (prev != null) {
                assertThat(InternalKey.compare(prev, x.key)).isNegative();
              }
              prev = x.key;
            }
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }));
    }
    readers.forEach(Thread::start);
    writer.start();
    writer.join();
    for (Thread t : readers) {
      t.join();
    }
    assertThat(failure.get()).isNull();
    assertThat(list.size()).isEqualTo(keys.size());
  }
}
