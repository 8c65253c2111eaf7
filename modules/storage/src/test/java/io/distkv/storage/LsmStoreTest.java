package io.distkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.ShuttingDownException;
import io.distkv.common.error.StorageIoException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("phase3")
class LsmStoreTest {
  @TempDir Path dir;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String s(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  static List<String> keys(KvIterator it) {
    List<String> out = new ArrayList<>();
    try (it) {
      it.forEachRemaining(e -> out.add(s(e.key()) + "=" + s(e.value())));
    }
    return out;
  }

  static LsmOptions small() {
    return LsmOptions.builder().writeBufferBytes(64 * 1024).targetFileBytes(64 * 1024).levelBaseBytes(1 << 20).build();
  }

  @Test
  void putGetDeleteOverwrite() {
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      store.put(b("a"), b("1"));
      store.put(b("b"), b("2"));
      store.put(b("a"), b("3"));
      store.delete(b("b"));
      assertThat(s(store.get(b("a")))).isEqualTo("3");
      assertThat(store.get(b("b"))).isNull();
      assertThat(store.get(b("zzz"))).isNull();
      store.put(b("empty"), new byte[0]);
      assertThat(store.get(b("empty"))).isEmpty();
    }
  }

  @Test
  void dataSurvivesReopenFromWalAndFromTables() {
    try (LsmStore store = LsmStore.open(dir, small())) {
      for (int i = 0; i < 5000; i++) {
        store.put(b(String.format("k%05d", i)), b("v" + i));
      }
      store.delete(b("k00042"));
    }
    try (LsmStore store = LsmStore.open(dir, small())) {
      assertThat(s(store.get(b("k00000")))).isEqualTo("v0");
      assertThat(s(store.get(b("k04999")))).isEqualTo("v4999");
      assertThat(store.get(b("k00042"))).isNull();
      assertThat(store.stats().totalFiles()).isGreaterThan(0);
    }
  }

  @Test
  void scansRespectBoundsLimitAndDirection() {
    try (LsmStore store = LsmStore.open(dir, small())) {
      for (String k : List.of("a", "b", "c", "d", "e")) {
        store.put(b(k), b(k.toUpperCase()));
      }
      store.flush();
      store.put(b("c"), b("C2"));
      store.delete(b("d"));
      assertThat(keys(store.scan(b("b"), b("e"), 0, false))).containsExactly("b=B", "c=C2");
      assertThat(keys(store.scan(null, null, 0, true))).containsExactly("e=E", "c=C2", "b=B", "a=A");
      assertThat(keys(store.scan(b("b"), b("e"), 0, true))).containsExactly("c=C2", "b=B");
      assertThat(keys(store.scan(null, null, 2, false))).containsExactly("a=A", "b=B");
      assertThat(keys(store.scan(b("x"), null, 0, false))).isEmpty();
      assertThat(keys(store.scan(b("c"), b("c"), 0, false))).isEmpty();
      assertThat(keys(store.scan(b("c"), b("c"), 0, true))).isEmpty();
    }
  }

  @Test
  void snapshotSeesAFrozenView() {
    try (LsmStore store = LsmStore.open(dir, small())) {
      store.put(b("k"), b("old"));
      store.put(b("gone"), b("here"));
      try (Snapshot snap = store.snapshot()) {
        store.put(b("k"), b("new"));
        store.delete(b("gone"));
        store.put(b("later"), b("x"));
        store.flush();
        store.compactRange(null, null);
        assertThat(s(store.get(b("k"), snap))).isEqualTo("old");
        assertThat(s(store.get(b("gone"), snap))).isEqualTo("here");
        assertThat(store.get(b("later"), snap)).isNull();
        assertThat(keys(store.scan(null, null, 0, false, snap))).containsExactly("gone=here", "k=old");
        assertThat(keys(store.scan(null, null, 0, true, snap))).containsExactly("k=old", "gone=here");
        assertThat(store.stats().liveSnapshots()).isEqualTo(1);
      }
      assertThat(s(store.get(b("k")))).isEqualTo("new");
      assertThat(store.stats().liveSnapshots()).isZero();
    }
  }

  @Test
  void badInputAndClosedUseGiveClearErrors() {
    LsmStore store = LsmStore.open(dir, LsmOptions.defaults());
    assertThatThrownBy(() -> store.put(new byte[0], b("v"))).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> store.put(new byte[5000], b("v"))).hasMessageContaining("5000 bytes");
    assertThatThrownBy(() -> store.put(b("k"), new byte[2 << 20])).hasMessageContaining("2097152 bytes");
    assertThatThrownBy(() -> LsmStore.open(dir, LsmOptions.defaults()))
        .isInstanceOf(StorageIoException.class)
        .hasMessageContaining("already open");
    store.close();
    assertThatThrownBy(() -> store.get(b("k"))).isInstanceOf(ShuttingDownException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> LsmOptions.builder().writeBufferBytes(10).blockBytes(1).build())
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("writeBufferBytes must be 64KiB..1GiB, was 10")
        .hasMessageContaining("blockBytes must be 256..1MiB, was 1");
  }

  @Test
  void walOffKeepsOnlyFlushedDataAndPersistsTheAppliedIndex() {
    LsmOptions noWal = small().toBuilder().walEnabled(false).build();
    try (LsmStore store = LsmStore.open(dir, noWal)) {
      store.write(new WriteBatch().put(b("a"), b("1")).appliedIndex(10));
      store.flush();
      store.write(new WriteBatch().put(b("b"), b("2")).appliedIndex(11));
      assertThat(store.persistedAppliedIndex()).isEqualTo(10);
      assertThat(store.appliedIndex()).isEqualTo(11);
    }
    // close() flushed, so both are durable
    try (LsmStore store = LsmStore.open(dir, noWal)) {
      assertThat(store.persistedAppliedIndex()).isEqualTo(11);
      assertThat(s(store.get(b("b")))).isEqualTo("2");
      assertThat(store.stats().walBytesWritten()).isZero();
    }
  }

  @Test
  void checkpointOpensElsewhereAndIsIndependent() {
    Path cp = dir.resolve("cp");
    Checkpoint info;
    try (LsmStore store = LsmStore.open(dir.resolve("db"), small())) {
      for (int i = 0; i < 2000; i++) {
        store.write(new WriteBatch().put(b("k" + i), b("v" + i)).appliedIndex(i));
      }
      info = store.checkpoint(cp);
      store.put(b("k1"), b("changed"));
      store.compactRange(null, null);
    }
    assertThat(info.appliedIndex()).isEqualTo(1999);
    assertThat(info.files()).contains("CURRENT");
    try (LsmStore copy = LsmStore.open(cp, small())) {
      assertThat(s(copy.get(b("k1")))).isEqualTo("v1");
      assertThat(s(copy.get(b("k1999")))).isEqualTo("v1999");
      assertThat(copy.persistedAppliedIndex()).isEqualTo(1999);
    }
    assertThatThrownBy(() -> {
      try (LsmStore store = LsmStore.open(dir.resolve("db"), small())) {
        store.checkpoint(cp);
      }
    }).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("not empty");
  }

  @Test
  void compactionPushesDataDownAndDropsTombstones() {
    try (LsmStore store = LsmStore.open(dir, small())) {
      byte[] value = new byte[100];
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 3000; i++) {
          store.put(b(String.format("key%06d", i)), value);
        }
      }
      for (int i = 0; i < 3000; i += 2) {
        store.delete(b(String.format("key%06d", i)));
      }
      store.compactRange(null, null);
      StoreStats stats = store.stats();
      // compactions read their inputs around the block cache: nothing cached, no lookups counted
      assertThat(stats.blockCacheBytes()).isZero();
      assertThat(stats.blockCacheHits() + stats.blockCacheMisses()).isZero();
      assertThat(stats.filesPerLevel().get(0)).isZero();
      assertThat(stats.compactions()).isGreaterThan(0);
      assertThat(stats.compactionBytesWritten()).isGreaterThan(0);
      long entries = 0;
      try (KvIterator it = store.scan(null, null, 0, false)) {
        while (it.hasNext()) {
          it.next();
          entries++;
        }
      }
      assertThat(entries).isEqualTo(1500);
      assertThat(store.stats().blockCacheBytes()).as("a reader's scan fills the cache").isPositive();
      // 1500 live keys of ~110 bytes: the overwritten versions and tombstones are gone.
      long tableBytes = stats.bytesPerLevel().stream().mapToLong(Long::longValue).sum();
      assertThat(tableBytes).isLessThan(1500L * 140 * 2);
      assertThat(stats.writeAmplification()).isGreaterThan(1.0);
    }
  }

  @Test
  void flushedTablesThatOverlapNothingSkipLevelZeroAndAreNeverRewritten() {
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      for (int batch = 0; batch < 5; batch++) {
        for (int i = 0; i < 100; i++) {
          store.put(b(String.format("seq%03d-%03d", batch, i)), b("v" + batch + "-" + i));
        }
        store.flush(); // keys only grow: each table lies beside the others
      }
      StoreStats stats = store.stats();
      assertThat(stats.filesPerLevel().get(0)).isZero();
      assertThat(stats.filesPerLevel().get(2)).isEqualTo(5);
      assertThat(stats.compactions()).isZero();
      assertThat(s(store.get(b("seq003-050")))).isEqualTo("v3-50");
      // A table overlapping L2 stops above it (in L1): newer data always sits above older.
      store.put(b("seq002-010"), b("newer"));
      store.flush();
      assertThat(store.stats().filesPerLevel().subList(0, 3)).containsExactly(0, 1, 5);
      // One overlapping L1 as well stays in L0.
      store.put(b("seq002-010"), b("newest"));
      store.flush();
      assertThat(store.stats().filesPerLevel().subList(0, 3)).containsExactly(1, 1, 5);
      store.put(b("seq002-010"), b("newer"));
      store.flush();
      assertThat(s(store.get(b("seq002-010")))).isEqualTo("newer");
      assertThat(keys(store.scan(b("seq002-009"), b("seq002-012"), 0, false)))
          .containsExactly("seq002-009=v2-9", "seq002-010=newer", "seq002-011=v2-11");
    }
  }
}
