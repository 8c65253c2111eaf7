package io.distkv.storage.sstable;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.Keys;
import io.distkv.storage.internal.InternalIterator;
import io.distkv.storage.internal.InternalKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("phase3")
class SsTableTest {
  @TempDir Path tmp;

  @Test
  void bloomFilterFalsePositiveRateIsAboutOnePercentAtTenBitsPerKey() {
    int n = 100_000;
    long[] hashes = new long[n];
    for (int i = 0; i < n; i++) {
      hashes[i] = BloomFilter.hash(("present-" + i).getBytes(StandardCharsets.UTF_8));
    }
    BloomFilter filter = BloomFilter.read(BloomFilter.build(hashes, n, 10), TableFormat.VERSION);
    for (int i = 0; i < n; i++) {
      assertThat(filter.mayContain(("present-" + i).getBytes(StandardCharsets.UTF_8))).isTrue(); // no false negatives
    }
    int falsePositives = 0;
    for (int i = 0; i < n; i++) {
      if (filter.mayContain(("absent-" + i).getBytes(StandardCharsets.UTF_8))) {
        falsePositives++;
      }
    }
    double rate = falsePositives / (double) n;
    assertThat(rate).isBetween(0.003, 0.015); // theory for m/n = 10, k = 7: 0.82%
    assertThat(filter.sizeBytes()).isEqualTo(n * 10 / 8 + 1);
  }

  @Test
  void blockRoundTripsAndIteratesBothWaysWithSeeks() {
    Random rnd = new Random(7);
    for (int interval : new int[] {1, 2, 16}) {
      TreeMap<byte[], byte[]> entries = new TreeMap<>(InternalKey.COMPARATOR);
      for (int i = 0; i < 300; i++) {
        byte[] user = ("k" + rnd.nextInt(1000)).getBytes(StandardCharsets.UTF_8);
        byte[] value = new byte[rnd.nextInt(30)];
        rnd.nextBytes(value);
        entries.put(InternalKey.encode(user, i, InternalKey.TYPE_VALUE), value);
      }
      BlockBuilder builder = new BlockBuilder(interval);
      entries.forEach(builder::add);
      Block block = new Block(builder.finish(), "test");
      List<byte[]> keys = new ArrayList<>(entries.keySet());

      Block.Iter it = block.iterator();
      int i = 0;
      for (it.seekToFirst(); it.valid(); it.next(), i++) {
        assertThat(it.key()).isEqualTo(keys.get(i));
        assertThat(it.value()).isEqualTo(entries.get(keys.get(i)));
      }
      assertThat(i).isEqualTo(keys.size());
      i = keys.size() - 1;
      for (it.seekToLast(); it.valid(); it.prev(), i--) {
        assertThat(it.key()).isEqualTo(keys.get(i));
      }
      assertThat(i).isEqualTo(-1);
      for (int probe = 0; probe < 200; probe++) {
        byte[] target = InternalKey.encode(("k" + rnd.nextInt(1100)).getBytes(StandardCharsets.UTF_8), rnd.nextInt(300), InternalKey.TYPE_VALUE);
        Map.Entry<byte[], byte[]> ceil = entries.ceilingEntry(target);
        it.seek(target);
        assertThat(it.valid()).isEqualTo(ceil != null);
        if (ceil != null) {
          assertThat(it.key()).isEqualTo(ceil.getKey());
        }
        Map.Entry<byte[], byte[]> floor = entries.floorEntry(target);
        it.seekForPrev(target);
        assertThat(it.valid()).isEqualTo(floor != null);
        if (floor != null) {
          assertThat(it.key()).isEqualTo(floor.getKey());
        }
      }
    }
  }

  /** A table of 2,000 entries in 256-byte blocks; fills {@code entries} with what it holds. */
  private static Path writeTable(Path file, TreeMap<byte[], byte[]> entries) throws Exception {
    try (SsTableWriter w = new SsTableWriter(file, 256, 10, false)) {
      for (int i = 0; i < 2000; i++) {
        byte[] ikey = InternalKey.encode(String.format("key%05d", i).getBytes(StandardCharsets.UTF_8), 5000 - i,
            InternalKey.TYPE_VALUE);
        byte[] value = ("value-" + i).getBytes(StandardCharsets.UTF_8);
        w.add(ikey, value);
        entries.put(ikey, value);
      }
      w.finish();
    }
    return file;
  }

  @Test
  void userReadsComeFromAMappingCompactionReadsDoNotMapTheFile() throws Exception {
    TreeMap<byte[], byte[]> entries = new TreeMap<>(InternalKey.COMPARATOR);
    Path file = writeTable(tmp.resolve("mapped.sst"), entries);
    try (SsTableReader r = new SsTableReader(file, 1, new BlockCache(1 << 20))) {
      // A compaction's pass (blocks read around the cache) reads every entry without a mapping.
      InternalIterator compaction = r.iterator(false);
      List<byte[]> seen = new ArrayList<>();
      for (compaction.seekToFirst(); compaction.valid(); compaction.next()) {
        seen.add(compaction.value());
      }
      assertThat(seen).containsExactlyElementsOf(entries.values());
      assertThat(r.isMapped()).isFalse();
      // A user's point read maps the file and reads the same bytes out of the mapping.
      byte[] user = "key01234".getBytes(StandardCharsets.UTF_8);
      Map.Entry<byte[], byte[]> e = r.get(InternalKey.seekKey(user, InternalKey.MAX_SEQUENCE), user);
      assertThat(e.getValue()).isEqualTo("value-1234".getBytes(StandardCharsets.UTF_8));
      assertThat(r.isMapped()).isTrue();
    }
  }

  @Test
  void aReleasedTableFailsLaterReadsWithAnErrorNotACrash() throws Exception {
    TreeMap<byte[], byte[]> entries = new TreeMap<>(InternalKey.COMPARATOR);
    Path file = writeTable(tmp.resolve("released.sst"), entries);
    SsTableReader r = new SsTableReader(file, 1, new BlockCache(1 << 20));
    byte[] first = "key00000".getBytes(StandardCharsets.UTF_8);
    assertThat(r.get(InternalKey.seekKey(first, InternalKey.MAX_SEQUENCE), first)).isNotNull();
    assertThat(r.isMapped()).isTrue();
    r.closeAndUnmap();
    assertThat(r.isMapped()).isFalse();
    // Only a table no version lists is released, so no store read gets here; if one did, it must
    // not touch the released mapping (that would crash the JVM) but fail on the closed file.
    byte[] last = "key01999".getBytes(StandardCharsets.UTF_8); // in a block not read before, so not cached
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.get(InternalKey.seekKey(last, InternalKey.MAX_SEQUENCE), last))
        .isInstanceOf(io.distkv.common.error.StorageIoException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void tableIteratorsAndGetsAgreeAtEveryBlockEdge() throws Exception {
    for (boolean lz4 : new boolean[] {false, true}) {
      Path file = tmp.resolve("t" + lz4 + ".sst");
      TreeMap<byte[], byte[]> entries = new TreeMap<>(InternalKey.COMPARATOR);
      try (SsTableWriter w = new SsTableWriter(file, 256, 10, lz4)) {
        for (int i = 0; i < 2000; i++) {
          byte[] ikey = InternalKey.encode(String.format("key%05d", i).getBytes(StandardCharsets.UTF_8), 5000 - i, InternalKey.TYPE_VALUE);
          byte[] value = ("value-value-value-" + i).getBytes(StandardCharsets.UTF_8);
          w.add(ikey, value);
          entries.put(ikey, value);
        }
        w.finish();
      }
      try (SsTableReader r = new SsTableReader(file, 1, new BlockCache(1 << 20))) {
        assertThat(r.entries()).isEqualTo(2000);
        List<byte[]> keys = new ArrayList<>(entries.keySet());
        InternalIterator it = r.iterator();
        int i = 0;
        for (it.seekToFirst(); it.valid(); it.next(), i++) {
          assertThat(it.key()).isEqualTo(keys.get(i));
        }
        assertThat(i).isEqualTo(2000);
        i = 1999;
        for (it.seekToLast(); it.valid(); it.prev(), i--) {
          assertThat(it.key()).isEqualTo(keys.get(i));
        }
        assertThat(i).isEqualTo(-1);
        for (int k = 0; k < 2000; k++) {
          byte[] user = String.format("key%05d", k).getBytes(StandardCharsets.UTF_8);
          // Every key, whether first or last in its block, is found by point lookup and by seek.
          Map.Entry<byte[], byte[]> e = r.get(InternalKey.seekKey(user, InternalKey.MAX_SEQUENCE), user);
          assertThat(e).isNotNull();
          assertThat(e.getValue()).isEqualTo(entries.get(keys.get(k)));
          it.seek(InternalKey.seekKey(user, InternalKey.MAX_SEQUENCE));
          assertThat(it.key()).isEqualTo(keys.get(k));
          it.seekForPrev(InternalKey.seekKey(user, InternalKey.MAX_SEQUENCE));
          if (k == 0) {
            assertThat(it.valid()).isFalse();
          } else {
            assertThat(it.key()).isEqualTo(keys.get(k - 1));
          }
          // a sequence older than the entry is not visible
          assertThat(r.get(InternalKey.seekKey(user, 1), user)).isNull();
        }
        assertThat(r.get(InternalKey.seekKey("nope".getBytes(), 9999), "nope".getBytes())).isNull();
      }
    }
  }

  @Test
  void compressionShrinksRepetitiveBlocks() throws Exception {
    long[] sizes = new long[2];
    for (int c = 0; c < 2; c++) {
      Path file = tmp.resolve("c" + c + ".sst");
      try (SsTableWriter w = new SsTableWriter(file, 4096, 10, c == 1)) {
        for (int i = 0; i < 5000; i++) {
          w.add(InternalKey.encode(String.format("key%05d", i).getBytes(), i + 1, InternalKey.TYPE_VALUE), new byte[100]);
        }
        sizes[c] = w.finish();
      }
    }
    assertThat(sizes[1]).isLessThan(sizes[0] / 3);
    assertThat(Keys.compare(new byte[] {1}, new byte[] {1, 0})).isNegative();
  }
}
