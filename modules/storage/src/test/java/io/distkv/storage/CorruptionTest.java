package io.distkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.CorruptionException;
import io.distkv.storage.version.FileNames;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged files: a flipped table byte is reported with the file name, a torn WAL tail is
 * recovered, damage in the middle of a WAL or a truncated manifest refuse to open with the file
 * and offset. Crash images are made by copying the directory of a store that is still open.
 */
@Tag("phase3")
class CorruptionTest {
  @TempDir Path tmp;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<Path> files(Path dir, String suffixOrPrefix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffixOrPrefix)
          || p.getFileName().toString().startsWith(suffixOrPrefix)).sorted().toList();
    }
  }

  /** Copies a live store's files: the image a machine crash would leave (WAL synced). */
  static Path crashImage(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (Path p : files(from, "")) {
      if (!p.getFileName().toString().equals(FileNames.LOCK)) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
    return to;
  }

  static void flipByte(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int v = f.read();
      f.seek(offset);
      f.write(v ^ 0x5A);
    }
  }

  @Test
  void flippedByteInATableBlockIsReportedWithTheFileName() throws IOException {
    Path dir = tmp.resolve("db");
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      for (int i = 0; i < 1000; i++) {
        store.put(b(String.format("key%05d", i)), b("value-" + i));
      }
    }
    Path table = files(dir, ".sst").get(0);
    flipByte(table, 100); // inside the first data block
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      assertThatThrownBy(() -> store.get(b("key00001")))
          .isInstanceOf(CorruptionException.class)
          .hasMessageContaining(table.getFileName().toString())
          .hasMessageContaining("checksum mismatch at offset 0");
      assertThatThrownBy(() -> {
        try (KvIterator it = store.scan(null, null, 0, false)) {
          it.forEachRemaining(e -> {});
        }
      }).isInstanceOf(CorruptionException.class).hasMessageContaining(table.getFileName().toString());
    }
  }

  @Test
  void tornWalTailIsTruncatedAndEverythingBeforeItRecovered() throws IOException {
    Path dir = tmp.resolve("db");
    Path image;
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      for (int i = 0; i < 100; i++) {
        store.put(b("k" + i), b("v" + i));
      }
      image = crashImage(dir, tmp.resolve("image"));
    }
    Path wal = files(image, ".log").get(files(image, ".log").size() - 1);
    byte[] bytes = Files.readAllBytes(wal);
    int end = bytes.length;
    while (bytes[end - 1] == 0) {
      end--; // the WAL file grows in preallocated zero-filled steps
    }
    assertThat(end).isLessThan(bytes.length);
    // The last record (k99) loses its tail, as when a crash interrupts the copy into the mapping.
    Arrays.fill(bytes, end - 3, end, (byte) 0);
    Files.write(wal, bytes);
    try (LsmStore store = LsmStore.open(image, LsmOptions.defaults())) {
      for (int i = 0; i < 99; i++) {
        assertThat(store.get(b("k" + i))).isEqualTo(b("v" + i));
      }
      assertThat(store.get(b("k99"))).isNull();
      store.put(b("after"), b("ok"));
    }
    try (LsmStore store = LsmStore.open(image, LsmOptions.defaults())) {
      assertThat(store.get(b("after"))).isEqualTo(b("ok"));
      assertThat(store.get(b("k98"))).isEqualTo(b("v98"));
    }
  }

  @Test
  void corruptRecordInTheMiddleOfTheWalNamesFileAndOffset() throws IOException {
    Path dir = tmp.resolve("db");
    Path image;
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      for (int i = 0; i < 10; i++) {
        store.put(b("k" + i), b("v" + i));
      }
      image = crashImage(dir, tmp.resolve("image"));
    }
    Path wal = files(image, ".log").get(0);
    flipByte(wal, 12); // payload of the first record; nine more follow
    assertThatThrownBy(() -> LsmStore.open(image, LsmOptions.defaults()))
        .isInstanceOf(CorruptionException.class)
        .hasMessageContaining(wal.getFileName().toString())
        .hasMessageContaining("at offset 0");
  }

  @Test
  void truncatedManifestIsAClearErrorNotSilentLoss() throws IOException {
    Path dir = tmp.resolve("db");
    try (LsmStore store = LsmStore.open(dir, LsmOptions.builder().writeBufferBytes(64 * 1024).build())) {
      for (int i = 0; i < 3000; i++) {
        store.put(b(String.format("key%05d", i)), new byte[100]);
      }
    }
    Path manifest = files(dir, "MANIFEST-").get(0);
    try (RandomAccessFile f = new RandomAccessFile(manifest.toFile(), "rw")) {
      f.setLength(f.length() - 5);
    }
    assertThatThrownBy(() -> LsmStore.open(dir, LsmOptions.defaults()))
        .isInstanceOf(CorruptionException.class)
        .hasMessageContaining(manifest.getFileName().toString())
        .hasMessageContaining("truncated or corrupt record");
  }

  @Test
  void missingCurrentWithTablesPresentRefusesToStartEmpty() throws IOException {
    Path dir = tmp.resolve("db");
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      store.put(b("k"), b("v"));
    }
    Files.delete(dir.resolve(FileNames.CURRENT));
    assertThatThrownBy(() -> LsmStore.open(dir, LsmOptions.defaults()))
        .isInstanceOf(CorruptionException.class)
        .hasMessageContaining("CURRENT is missing");
  }

  @Test
  void garbageInPlaceOfATableIsNotATable() throws IOException {
    Path dir = tmp.resolve("db");
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      store.put(b("k"), b("v"));
    }
    Path table = files(dir, ".sst").get(0);
    long size = Files.size(table);
    flipByte(table, size - 1); // last byte of the magic number
    try (LsmStore store = LsmStore.open(dir, LsmOptions.defaults())) {
      assertThatThrownBy(() -> store.get(b("k")))
          .isInstanceOf(CorruptionException.class)
          .hasMessageContaining("bad table magic")
          .hasMessageContaining(table.getFileName().toString());
    }
  }
}
