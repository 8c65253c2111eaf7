package io.distkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store written by an earlier release keeps working: {@code format-v1-store} was written by the
 * code before table format version 2 (bloom probes by division): 600 keys {@code key0000..key0599}
 * in two tables, {@code key0007} deleted. Its filters must still admit every present key.
 */
@Tag("phase3")
class FormatCompatibilityTest {
  @TempDir Path tmp;

  private Path copyFixture() throws IOException {
    Path dir = tmp.resolve("db");
    Files.createDirectories(dir);
    for (String name : new String[] {"000004.sst", "000005.sst", "CURRENT", "MANIFEST-000003"}) {
      try (InputStream in = getClass().getResourceAsStream("/format-v1-store/" + name)) {
        assertThat(in).as(name).isNotNull();
        Files.copy(in, dir.resolve(name));
      }
    }
    return dir;
  }

  private static byte[] key(int i) {
    return String.format("key%04d", i).getBytes(StandardCharsets.UTF_8);
  }

  private static void assertContents(LsmStore store) {
    for (int i = 0; i < 600; i++) {
      byte[] expected = i == 7 ? null : ("v1-value-" + i).getBytes(StandardCharsets.UTF_8);
      assertThat(store.get(key(i))).as("key%04d", i).isEqualTo(expected);
    }
    assertThat(store.get(key(600))).isNull();
  }

  private static int tableVersion(Path table) throws IOException {
    byte[] b = Files.readAllBytes(table);
    int at = b.length - 12; // version u32, then magic u64
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }

  @Test
  void aVersionOneStoreOpensReadsAndIsRewrittenInTheCurrentFormatByCompaction() throws IOException {
    Path dir = copyFixture();
    try (LsmStore store = LsmStore.open(dir, LsmOptions.builder().walEnabled(false).build())) {
      assertContents(store);
      store.compactRange(null, null);
      assertContents(store);
    }
    try (Stream<Path> files = Files.list(dir)) {
      var tables = files.filter(p -> p.toString().endsWith(".sst")).toList();
      assertThat(tables).isNotEmpty();
      for (Path t : tables) {
        assertThat(tableVersion(t)).as(t.toString()).isEqualTo(2);
      }
    }
    try (LsmStore store = LsmStore.open(dir, LsmOptions.builder().walEnabled(false).build())) {
      assertContents(store);
    }
  }
}
