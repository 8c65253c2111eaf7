package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Histories round-trip through JSON lines, and a malformed line is refused with its file and line number. */
@Tag("phase4")
class HistoryFileTest {
  @TempDir Path tmp;

  @Test
  void roundTripsAndChecksTheSameAgain() {
    History h = new History(Histories.simulatedRegister("k", 2_000, 8, 80, 1));
    Path file = tmp.resolve("history.jsonl");
    h.write(file);
    History back = History.read(file);
    assertThat(back).isEqualTo(h);
    assertThat(VerifyRun.check(back)).extracting(CheckResult::verdict).containsOnly(CheckResult.Verdict.VALID);
  }

  @Test
  void malformedLineIsNamed() throws Exception {
    Path file = tmp.resolve("bad.jsonl");
    Files.writeString(file, """
        {"process":1,"type":"GET","key":"k","outcome":"OK","version":0,"invokeNanos":1,"completeNanos":2}
        {"process":1,"type":"JUMP","key":"k"}
        """);
    assertThatThrownBy(() -> History.read(file)).hasMessageContaining("bad.jsonl:2");
  }
}
