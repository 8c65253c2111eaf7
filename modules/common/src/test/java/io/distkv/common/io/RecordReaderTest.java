package io.distkv.common.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.CorruptionException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record-log reader's end-of-log rules (docs/formats.md "Record log"). */
@Tag("phase3")
class RecordReaderTest {
  @TempDir Path tmp;

  private static byte[] log(String... payloads) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String p : payloads) {
      out.write(RecordWriter.frame(p.getBytes(StandardCharsets.UTF_8)));
    }
    return out.toByteArray();
  }

  private Path file(byte[] bytes) throws IOException {
    Path p = tmp.resolve("log-" + System.nanoTime());
    Files.write(p, bytes);
    return p;
  }

  private static List<String> strings(RecordReader.Result r) {
    return r.records().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
  }

  private static byte[] zeroTail(byte[] content, int zeros) {
    return Arrays.copyOf(content, content.length + zeros);
  }

  @Test
  void aCleanLogReadsEveryRecord() throws IOException {
    byte[] bytes = log("a", "bb", "ccc");
    RecordReader.Result r = RecordReader.readAll(file(bytes));
    assertThat(strings(r)).containsExactly("a", "bb", "ccc");
    assertThat(r.hasTornTail()).isFalse();
    assertThat(r.validLength()).isEqualTo(bytes.length);
  }

  @Test
  void aZeroFilledTailEndsTheLogWithoutBeingTorn() throws IOException {
    byte[] content = log("a", "bb");
    RecordReader.Result r = RecordReader.readAll(file(zeroTail(content, 4096)));
    assertThat(strings(r)).containsExactly("a", "bb");
    assertThat(r.hasTornTail()).isFalse();
    assertThat(r.validLength()).isEqualTo(content.length);
  }

  @Test
  void aLastRecordWhosePayloadEndsInZerosIsStillRead() throws IOException {
    byte[] payload = {7, 0, 0, 0};
    byte[] content = RecordWriter.frame(payload);
    RecordReader.Result r = RecordReader.readAll(file(zeroTail(content, 100)));
    assertThat(r.records()).hasSize(1);
    assertThat(r.records().get(0)).isEqualTo(payload);
    assertThat(r.hasTornTail()).isFalse();
  }

  @Test
  void aRecordCutOffByTheEndOfTheFileIsATornTail() throws IOException {
    byte[] content = log("a", "a longer last record");
    int lastStart = log("a").length;
    RecordReader.Result r = RecordReader.readAll(file(Arrays.copyOf(content, content.length - 3)));
    assertThat(strings(r)).containsExactly("a");
    assertThat(r.tornTailOffset()).isEqualTo(lastStart);
    assertThat(r.validLength()).isEqualTo(lastStart);
  }

  @Test
  void aBadRecordFollowedOnlyByZerosIsATornTail() throws IOException {
    byte[] content = zeroTail(log("a", "a longer last record"), 1000);
    int lastStart = log("a").length;
    int lastEnd = log("a", "a longer last record").length;
    Arrays.fill(content, lastEnd - 5, lastEnd, (byte) 0); // the copy into the mapping was cut short
    RecordReader.Result r = RecordReader.readAll(file(content));
    assertThat(strings(r)).containsExactly("a");
    assertThat(r.tornTailOffset()).isEqualTo(lastStart);
  }

  @Test
  void aBadRecordWithDataAfterItIsCorruptionNamingFileAndOffset() throws IOException {
    byte[] content = zeroTail(log("a", "bb", "ccc"), 64);
    int second = log("a").length;
    content[second + RecordWriter.HEADER] ^= 0x40;
    Path p = file(content);
    assertThatThrownBy(() -> RecordReader.readAll(p))
        .isInstanceOf(CorruptionException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("at offset " + second);
  }

  @Test
  void aHoleOfZerosBeforeMoreRecordsIsCorruption() throws IOException {
    byte[] first = log("a");
    byte[] rest = log("bb");
    byte[] content = new byte[first.length + 16 + rest.length];
    System.arraycopy(first, 0, content, 0, first.length);
    System.arraycopy(rest, 0, content, first.length + 16, rest.length);
    Path p = file(content);
    assertThatThrownBy(() -> RecordReader.readAll(p))
        .isInstanceOf(CorruptionException.class)
        .hasMessageContaining("at offset " + first.length);
  }
}
