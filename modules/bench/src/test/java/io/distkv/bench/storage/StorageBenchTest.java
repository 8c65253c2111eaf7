package io.distkv.bench.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke run of the storage benchmark harness on dist-kv and iq80 LevelDB with a tiny data set. */
@Tag("phase6")
class StorageBenchTest {
  @TempDir Path tmp;

  @Test
  void keysAreSixteenZeroPaddedDigitsAsInDbBench() {
    for (long k : new long[] {0, 7, 42, 999_999, 1_234_567_890_123L}) {
      assertThat(new String(StorageBench.key(k), StandardCharsets.US_ASCII)).isEqualTo(String.format("%016d", k));
    }
  }

  @Test
  void everyWorkloadRunsOnBothPureJavaEnginesAndFindsWhatWasWritten() throws Exception {
    Path json = tmp.resolve("result.json");
    StorageBench.main(new String[] {"--engines", "distkv,leveldb", "--num", "4000", "--threads", "1,2",
        "--warmup", "1000", "--dir", tmp.resolve("db").toString(), "--json", json.toString()});
    String out = Files.readString(json);
    for (String workload : new String[] {"fillseq", "fillrandom", "overwrite", "readseq", "readrandom(warm)",
        "seekrandom", "readrandom(cold)"}) {
      assertThat(out).contains("\"engine\":\"dist-kv\",\"threads\":1,\"benchmark\":\"" + workload + "\"");
      assertThat(out).contains("\"engine\":\"iq80-leveldb\",\"threads\":2,\"benchmark\":\"" + workload + "\"");
    }
  }
}
