package io.distkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.client.BlockingDistKvClient;
import io.distkv.client.DistKvClient;
import io.distkv.client.Versioned;
import io.distkv.common.NodeId;
import io.distkv.common.backup.BackupManifest;
import io.distkv.common.error.CorruptionException;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.placement.PlacementSettings;
import io.distkv.server.backup.Restore;
import io.distkv.storage.LsmOptions;
import io.distkv.testkit.DistKvTestCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `distkv backup` under write load, then the backup restored into new clusters of three and of
 * four nodes: every write acknowledged before the backup began is there, with its version; the
 * restored clusters take new writes. A backup with one flipped byte, or without its SHA256SUMS,
 * is refused naming the file.
 */
@Tag("phase6")
class BackupRestoreTest {
  @TempDir Path tmp;

  @Test
  void aBackupUnderWriteLoadRestoresEveryWriteAcknowledgedBeforeItBegan() throws Exception {
    Path backup = tmp.resolve("backup");
    Map<String, Versioned> ackedBefore = new ConcurrentHashMap<>();
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(8).resp("").start()) {
      BlockingDistKvClient kv = cluster.newClient().blocking();
      for (int i = 0; i < 200; i++) {
        String key = "pre-" + i;
        long version = kv.put(key, "value-" + i);
        ackedBefore.put(key, new Versioned(utf8("value-" + i), version));
      }
      kv.put("pre-7", "overwritten");
      ackedBefore.put("pre-7", kv.get(utf8("pre-7")).orElseThrow());
      AtomicBoolean backupBegun = new AtomicBoolean();
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> writers = new ArrayList<>();
      Set<String> failures = ConcurrentHashMap.newKeySet();
      java.util.concurrent.CountDownLatch liveAcks = new java.util.concurrent.CountDownLatch(200);
      for (int w = 0; w < 2; w++) {
        DistKvClient client = cluster.newClient();
        String prefix = "live-" + w + "-";
        Thread t = new Thread(() -> {
          for (int i = 0; !stop.get(); i++) {
            String key = prefix + i;
            try {
              long version = client.blocking().put(key, "v" + i);
              if (!backupBegun.get()) { // acknowledged before the backup began
                ackedBefore.put(key, new Versioned(utf8("v" + i), version));
                liveAcks.countDown();
              }
            } catch (RuntimeException e) {
              failures.add(e.toString());
            }
          }
        });
        t.start();
        writers.add(t);
      }
      assertThat(liveAcks.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("writes acknowledged under load").isTrue();
      backupBegun.set(true);
      String[] result = run("--contact", cluster.respEndpoints().get(1), "-o", "json", "backup", backup.toString());
      stop.set(true);
      for (Thread t : writers) {
        t.join(30_000);
      }
      assertThat(result[0]).as(result[2]).isEqualTo("0");
      assertThat(result[1]).contains("\"partitions\":8");
      assertThat(failures).isEmpty();
      String[] again = run("--contact", cluster.respEndpoints().get(0), "backup", backup.toString());
      assertThat(again[0]).isEqualTo(String.valueOf(DistKvCli.USAGE));
      assertThat(again[2]).contains("not empty");
    }
    BackupManifest manifest = BackupManifest.verify(backup);
    assertThat(manifest.partitions()).isEqualTo(8);
    assertThat(manifest.entries()).allSatisfy(e -> assertThat(e.index()).isPositive());

    for (int nodes : new int[] {3, 4}) {
      try (DistKvTestCluster restored = DistKvTestCluster.builder().nodes(nodes).partitions(8).restoreFrom(backup)
          .start()) {
        BlockingDistKvClient kv = restored.newClient().blocking();
        for (Map.Entry<String, Versioned> e : ackedBefore.entrySet()) {
          Optional<Versioned> got = kv.get(utf8(e.getKey()));
          assertThat(got).as("%s on the restored %d-node cluster", e.getKey(), nodes).isPresent();
          assertThat(got.get().value()).isEqualTo(e.getValue().value());
          assertThat(got.get().version()).as("version of %s", e.getKey()).isEqualTo(e.getValue().version());
        }
        Versioned pre7 = ackedBefore.get("pre-7");
        assertThat(kv.compareAndSet(utf8("pre-7"), pre7.version(), utf8("after-restore")).applied()).isTrue();
        assertThat(kv.get("pre-7")).contains("after-restore");
        kv.put("new-key", "new");
        assertThat(kv.get("new-key")).contains("new");
      }
    }
  }

  @Test
  void aDamagedOrUnfinishedBackupIsRefusedNamingTheFile() throws Exception {
    Path backup = tmp.resolve("backup");
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(2).resp("").start()) {
      BlockingDistKvClient kv = cluster.newClient().blocking();
      for (int i = 0; i < 100; i++) {
        kv.put("k" + i, "v" + i);
      }
      assertThat(run("--contact", cluster.respEndpoints().get(0), "backup", backup.toString())[0]).isEqualTo("0");
    }
    Set<NodeId> members = Set.of(NodeId.of("node1"));
    PlacementSettings settings = new PlacementSettings(2, 1, 150, false);
    Path table;
    try (Stream<Path> s = Files.list(BackupManifest.partitionDir(backup, 1))) {
      table = s.filter(f -> f.getFileName().toString().endsWith(".sst")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(table);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(table, bytes);
    Path dataDir = tmp.resolve("node1");
    assertThatThrownBy(() -> Restore.restore(backup, NodeId.of("node1"), members, settings, dataDir,
        LsmOptions.defaults()))
        .isInstanceOf(CorruptionException.class).hasMessageContaining(table.toString()).hasMessageContaining("SHA-256");
    assertThat(dataDir).doesNotExist();

    bytes[bytes.length / 2] ^= 0x01;
    Files.write(table, bytes);
    assertThatThrownBy(() -> Restore.restore(backup, NodeId.of("node1"), members,
        new PlacementSettings(4, 1, 150, false), dataDir, LsmOptions.defaults()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("2 partitions");
    Files.delete(backup.resolve(BackupManifest.SUMS));
    assertThatThrownBy(() -> Restore.restore(backup, NodeId.of("node1"), members, settings, dataDir,
        LsmOptions.defaults()))
        .isInstanceOf(CorruptionException.class).hasMessageContaining("incomplete").hasMessageContaining("SHA256SUMS");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = DistKvCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }
}
