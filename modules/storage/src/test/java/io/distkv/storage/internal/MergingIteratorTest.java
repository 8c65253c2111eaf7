package io.distkv.storage.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The merge against a sorted map, with few children (linear scan) and many (heap). */
@Tag("phase3")
class MergingIteratorTest {
  @ParameterizedTest(name = "{0} children")
  @ValueSource(ints = {1, 2, 3, MergingIterator.HEAP_THRESHOLD, MergingIterator.HEAP_THRESHOLD + 1, 9, 16})
  void mergesForwardBackwardAndSeeksLikeOneSortedMap(int childCount) {
    Random rnd = new Random(childCount);
    TreeMap<byte[], byte[]> model = new TreeMap<>(InternalKey.COMPARATOR);
    List<MemTable> tables = new ArrayList<>();
    for (int c = 0; c < childCount; c++) {
      tables.add(new MemTable(0));
    }
    long seq = 1;
    for (int i = 0; i < 3000; i++) {
      // runs of neighbouring keys into one child, and keys spread over all children
      MemTable t = tables.get(rnd.nextInt(childCount));
      int base = rnd.nextInt(500);
      int run = rnd.nextBoolean() ? 1 : 1 + rnd.nextInt(8);
      for (int j = 0; j < run; j++) {
        byte[] user = String.format("k%04d", base + j).getBytes();
        byte[] value = new byte[] {(byte) i, (byte) j};
        t.add(seq, InternalKey.TYPE_VALUE, user, value);
        model.put(InternalKey.encode(user, seq, InternalKey.TYPE_VALUE), value);
        seq++;
      }
    }
    MergingIterator it = merged(tables);
    List<byte[]> forward = new ArrayList<>();
    for (it.seekToFirst(); it.valid(); it.next()) {
      forward.add(it.key());
      assertThat(it.value()).isEqualTo(model.get(it.key()));
    }
    assertThat(forward).containsExactlyElementsOf(model.keySet());

    List<byte[]> backward = new ArrayList<>();
    it = merged(tables);
    for (it.seekToLast(); it.valid(); it.prev()) {
      backward.add(it.key());
    }
    assertThat(backward).containsExactlyElementsOf(model.descendingKeySet());

    for (int i = 0; i < 300; i++) {
      byte[] target = InternalKey.encode(String.format("k%04d", rnd.nextInt(520)).getBytes(), rnd.nextInt((int) seq),
          InternalKey.TYPE_VALUE);
      it = merged(tables);
      it.seek(target);
      Map.Entry<byte[], byte[]> ge = model.ceilingEntry(target);
      assertThat(it.valid() ? it.key() : null).isEqualTo(ge == null ? null : ge.getKey());
      // a few steps on from the seek
      for (int step = 0; step < 5 && ge != null; step++) {
        it.next();
        ge = model.higherEntry(ge.getKey());
        assertThat(it.valid() ? it.key() : null).isEqualTo(ge == null ? null : ge.getKey());
      }
      it = merged(tables);
      it.seekForPrev(target);
      Map.Entry<byte[], byte[]> le = model.floorEntry(target);
      assertThat(it.valid() ? it.key() : null).isEqualTo(le == null ? null : le.getKey());
      for (int step = 0; step < 5 && le != null; step++) {
        it.prev();
        le = model.lowerEntry(le.getKey());
        assertThat(it.valid() ? it.key() : null).isEqualTo(le == null ? null : le.getKey());
      }
    }
  }

  private static MergingIterator merged(List<MemTable> tables) {
    List<InternalIterator> children = new ArrayList<>();
    tables.forEach(t -> children.add(t.iterator()));
    return new MergingIterator(children);
  }
}
