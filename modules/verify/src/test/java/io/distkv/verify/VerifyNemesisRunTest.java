package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short verification run against three real node processes (the node main in child JVMs):
 * 6 clients on 4 keys for 50 s under every nemesis (kill -9, short and long SIGSTOP, network
 * partitions), seed {@value #SEED}, whose schedule holds at least one kill, one pause and one
 * partition. Every checker must find the history valid: linearizable, versions in order, no
 * acknowledged set element lost after healing.
 */
@Tag("phase6")
class VerifyNemesisRunTest {
  static final long SEED = 2;

  @TempDir Path tmp;

  @Test
  void shortNemesisRunIsValid() throws Exception {
    List<Nemesis.Kind> kinds = Nemesis.parse("kill,pause,partition");
    List<Nemesis.Fault> planned = Nemesis.schedule(SEED, kinds, 50_000, 3, 5_000);
    assertThat(planned).as("seed %d's schedule", SEED).extracting(Nemesis.Fault::kind).contains(Nemesis.Kind.KILL)
        .containsAnyOf(Nemesis.Kind.PAUSE_SHORT, Nemesis.Kind.PAUSE_LONG)
        .containsAnyOf(Nemesis.Kind.PARTITION_HALVES, Nemesis.Kind.PARTITION_LEADER, Nemesis.Kind.PARTITION_BRIDGE);

    VerifyRun.Options o = new VerifyRun.Options(
        NodeCluster.classPathLaunch(System.getProperty("java.class.path"), "384m"), tmp, 3, 8, 6, 4,
        Duration.ofSeconds(50), SEED, kinds, Duration.ofSeconds(5), Duration.ofSeconds(3), 200,
        "VerifyNemesisRunTest seed " + SEED);
    VerifyRun.Result r = VerifyRun.run(o, System.out);
    System.out.println(r.summary());

    assertThat(r.faults()).hasSize(planned.size());
    assertThat(r.checks()).as(r.summary()).extracting(CheckResult::verdict).containsOnly(CheckResult.Verdict.VALID);
    assertThat(r.history().ops().stream().filter(op -> op.ok() && op.type().isWrite()).count())
        .as("acknowledged writes").isGreaterThan(100);
    // Every acknowledged set element was read back after healing (the lost-write checker is VALID, not UNKNOWN).
    assertThat(r.checks().get(2).checked()).isPositive();
    assertThat(Files.size(tmp.resolve("history.jsonl"))).isPositive();
    assertThat(Files.size(tmp.resolve("timeline.png"))).isPositive();
  }
}
