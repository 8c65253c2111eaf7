package io.distkv.server.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.backup.BackupManifest;
import io.distkv.common.backup.BackupManifest.FileEntry;
import io.distkv.common.backup.BackupManifest.PartitionBackup;
import io.distkv.common.protocol.KvCommand;
import io.distkv.raft.log.SegmentedLog;
import io.distkv.server.partition.KvStateMachine;
import io.distkv.storage.LsmOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `distkv restore DIR --config NODE.conf` on a backup made of two partitions' checkpoints: what it
 * writes for one node of a new two-node cluster (stores holding the backup's index, Raft snapshot
 * points whose voters are the new replicas), and its exit codes and messages for a data directory
 * in use, a damaged file, a config that does not match and a missing argument.
 */
@Tag("phase6")
class RestoreCommandTest {
  @TempDir Path tmp;

  @Test
  void restoresOneNodeOfANewClusterAndRefusesWhatItMustWithTheRightExitCode() throws Exception {
    Path backup = tmp.resolve("backup");
    List<PartitionBackup> entries = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("source").resolve("p" + p), LsmOptions.defaults())) {
        for (long i = 1; i <= 10 + p; i++) {
          sm.apply(i, KvCommand.single("", 0, KvCommand.Op.put(utf8("k" + p + "-" + i), utf8("v" + i))).encode());
        }
        Path dir = BackupManifest.partitionDir(backup, p);
        long index = sm.checkpoint(dir);
        List<FileEntry> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
          for (Path f : s.sorted().toList()) {
            files.add(new FileEntry(f.getFileName().toString(), Files.size(f), io.distkv.common.io.Digests.sha256(f)));
          }
        }
        entries.add(new PartitionBackup(p, index, "old-node", files));
      }
    }
    new BackupManifest(BackupManifest.FORMAT, BackupManifest.VERSION, "b1", "2026-11-30T00:00:00Z", 2, false, entries)
        .write(backup);
    Path dataDir = tmp.resolve("node1-data");
    Path conf = tmp.resolve("node1.conf");
    Files.writeString(conf, """
        distkv {
          node { id = "node1", host = "127.0.0.1", port = 7901, data-dir = "%s" }
          cluster.members = ["node1@127.0.0.1:7901", "node2@127.0.0.1:7902"]
          partitions = 2
          replication-factor = 2
        }
        """.formatted(dataDir));

    String[] ok = run(backup.toString(), "--config", conf.toString(), "-o", "json");
    assertThat(ok[0]).as(ok[2]).isEqualTo("0");
    assertThat(ok[1]).contains("\"partitions\":[0,1]").contains("\"node\":\"node1\"");
    try (KvStateMachine p1 = KvStateMachine.open(dataDir.resolve("partitions").resolve("p1"), LsmOptions.defaults())) {
      assertThat(p1.appliedIndex()).isEqualTo(11);
      assertThat(p1.get(utf8("k1-11")).value()).isEqualTo(utf8("v11"));
    }
    try (SegmentedLog log = SegmentedLog.open(dataDir.resolve("raft"), 64L << 20, true)) {
      SegmentedLog.GroupState p0 = log.groups().get("p0");
      assertThat(p0.snapshot().index()).isEqualTo(10);
      assertThat(p0.snapshot().configuration().voters()).containsExactlyInAnyOrder("node1", "node2");
      assertThat(p0.hardState().commit()).isEqualTo(10);
    }
    assertThat(tmp.resolve("node1-data.restoring")).doesNotExist();

    String[] again = run(backup.toString(), "--config", conf.toString());
    assertThat(again[0]).isEqualTo("2");
    assertThat(again[2]).contains("is not empty");

    Files.writeString(conf, Files.readString(conf).replace("partitions = 2", "partitions = 4")
        .replace(dataDir.toString(), tmp.resolve("other").toString()));
    String[] mismatch = run(backup.toString(), "--config", conf.toString());
    assertThat(mismatch[0]).isEqualTo("2");
    assertThat(mismatch[2]).contains("has 2 partitions").contains("says 4");

    Path manifest = backup.resolve(BackupManifest.FILE);
    Files.writeString(manifest, Files.readString(manifest).replace("\"old-node\"", "\"other-node\""));
    String[] damaged = run(backup.toString(), "--config", conf.toString());
    assertThat(damaged[0]).isEqualTo("1");
    assertThat(damaged[2]).contains(manifest.toString()).contains("does not match its SHA-256");

    String[] usage = run(backup.toString());
    assertThat(usage[0]).isEqualTo("2");
    assertThat(usage[2]).contains("no --config given").contains("usage: distkv restore");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Exit code, standard output, standard error of one run. */
  private static String[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      return new String[] {String.valueOf(RestoreCommand.run(args)), o.toString(StandardCharsets.UTF_8),
          e.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
