package io.distkv.storage.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.io.RecordReader;
import io.distkv.common.io.RecordWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("phase3")
class WalWriterTest {
  @TempDir Path tmp;

  private static void append(WalWriter w, byte[] payload) throws IOException {
    ByteSink sink = new ByteSink();
    sink.putLong(0); // header space
    sink.put(payload);
    w.append(sink);
  }

  @Test
  void recordsAcrossChunkBoundariesReadBackWhileOpenAndAfterClose() throws IOException {
    Path path = tmp.resolve("000001.log");
    Random rnd = new Random(5);
    List<byte[]> written = new ArrayList<>();
    long bytes = 0;
    try (WalWriter w = new WalWriter(path)) {
      // ~3 chunks of records of every size up to 70 KiB, so several straddle a chunk boundary
      while (bytes < 3L * WalWriter.CHUNK) {
        byte[] p = new byte[rnd.nextInt(70_000)];
        rnd.nextBytes(p);
        append(w, p);
        written.add(p);
        bytes += p.length + RecordWriter.HEADER;
      }
      assertThat(w.size()).isEqualTo(bytes);
      // while open (as after a process crash) the file is preallocated: records, then zeros
      assertThat(Files.size(path)).isGreaterThan(bytes).isEqualTo(4L * WalWriter.CHUNK);
      RecordReader.Result live = RecordReader.readAll(path);
      assertThat(live.records()).containsExactlyElementsOf(written);
      assertThat(live.hasTornTail()).isFalse();
      assertThat(live.validLength()).isEqualTo(bytes);
      w.sync();
    }
    assertThat(Files.size(path)).as("close cuts the preallocated tail").isEqualTo(bytes);
    RecordReader.Result closed = RecordReader.readAll(path);
    assertThat(closed.records()).containsExactlyElementsOf(written);
    assertThat(closed.validLength()).isEqualTo(bytes);
  }

  @Test
  void aRecordFillingTheChunkExactlyMapsTheNextOneOnlyWhenNeeded() throws IOException {
    Path path = tmp.resolve("000002.log");
    byte[] exact = new byte[WalWriter.CHUNK - RecordWriter.HEADER];
    exact[0] = 1;
    try (WalWriter w = new WalWriter(path)) {
      append(w, exact);
      assertThat(Files.size(path)).isEqualTo(WalWriter.CHUNK);
      append(w, new byte[] {9});
      assertThat(Files.size(path)).isEqualTo(2L * WalWriter.CHUNK);
    }
    assertThat(RecordReader.readAll(path).records()).hasSize(2);
  }
}
