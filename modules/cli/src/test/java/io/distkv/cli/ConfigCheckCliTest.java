package io.distkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `distkv config-check FILE`: validates a node config without starting a node or a client. */
@Tag("phase1")
class ConfigCheckCliTest {
  @TempDir Path tmp;

  static DistKvCliTest.Run run(String... args) {
    return DistKvCliTest.raw(args);
  }

  @Test
  void theShippedNodeConfigsAreValid() {
    for (String f : new String[] {"node1", "node2", "node3", "node4"}) {
      DistKvCliTest.Run r = run("config-check", Path.of("../../conf/" + f + ".conf").toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains("valid (node " + f);
    }
  }

  @Test
  void everyProblemIsListedWithTheNearestValidKey() throws Exception {
    Path bad = tmp.resolve("bad.conf");
    Files.writeString(bad, """
        distkv {
          node { id = "n1", data-dir = "/tmp/n1", prot = 7101 }
          raft.read_mode = "lease"
          replication-factor = 9
        }
        """);
    DistKvCliTest.Run r = run("config-check", bad.toString());
    assertThat(r.code()).isEqualTo(DistKvCli.USAGE);
    assertThat(r.err()).contains("distkv.node.prot: unknown key (did you mean distkv.node.port?)")
        .contains("distkv.raft.read_mode: unknown key (did you mean distkv.raft.read-mode?)")
        .contains("distkv.replication-factor = 9: must be 1..7");
    assertThat(run("config-check", tmp.resolve("missing.conf").toString()).err()).contains("no such file");
    Path broken = tmp.resolve("broken.conf");
    Files.writeString(broken, "distkv { node { id = ");
    DistKvCliTest.Run b = run("config-check", broken.toString());
    assertThat(b.code()).isEqualTo(DistKvCli.USAGE);
    assertThat(b.err()).contains("not valid HOCON");
  }
}
