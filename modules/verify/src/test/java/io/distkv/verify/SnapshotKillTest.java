package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.client.Batch;
import io.distkv.client.DistKvClient;
import io.distkv.client.Versioned;
import io.distkv.common.concurrent.Poll;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes with {@code -Xmx64m} (storage budgets sized to it, within half the heap as
 * the node asks: 4 MiB block cache, 8 MiB of memtables, the Raft log's 10%) and one partition of
 * 512 MiB (8× a node's heap): a follower that missed the load can only come back by snapshot, streamed file by file from disk.
 * {@code kill -9} of the receiver mid-transfer: the restarted follower resumes after the bytes it
 * kept. {@code kill -9} of the sender (the leader) mid-transfer: the new leader sends its own
 * snapshot and the follower starts over with it. Afterwards the follower leads and answers every
 * acknowledged write from its own store. Transfers run at 48 MiB/s
 * ({@code distkv.raft.snapshot-max-bytes-per-sec}) so that "mid-transfer" lasts a few seconds.
 */
@Tag("phase4")
class SnapshotKillTest {
  static final String HEAP = "64m";
  static final int VALUE_BYTES = 64 << 10;
  static final int KEYS = 8192; // 512 MiB
  static final int PER_BATCH = 8; // 512 KiB per write
  static final int IN_FLIGHT = 4;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp; // node logs stay for a failed run

  static byte[] key(int i) {
    return ("key-" + i).getBytes(StandardCharsets.UTF_8);
  }

  static byte[] value(int i) {
    return value(i, VALUE_BYTES);
  }

  /** {@code bytes} bytes that differ per key: a fill of i, with i's own four bytes first. */
  static byte[] value(int i, int bytes) {
    byte[] v = new byte[bytes];
    Arrays.fill(v, (byte) (i * 31));
    v[0] = (byte) (i >> 24);
    v[1] = (byte) (i >> 16);
    v[2] = (byte) (i >> 8);
    v[3] = (byte) i;
    return v;
  }

  @Test
  void aSnapshotTransferSurvivesKill9OfTheReceiverAndOfTheSender() throws Exception {
    String conf = """
        distkv {
          partitions = 1
          raft { snapshot-entries = 200, snapshot-bytes = 8MiB, snapshot-max-bytes-per-sec = 48MiB }
          cluster.down-unreachable-after = 120s
          leader-balance-interval = 0s # leaders stay where the test puts them
          # Budgets within half of a 64 MiB heap (4 + 2 x 8 + 6.4 MiB of Raft log): with 8 MiB of block
          # cache and 16 of memtables the leader's live set was 34 MiB and it ran out of memory now and
          # then while streaming 1 MiB chunks and taking 512 KiB writes.
          storage { block-cache-size = 4MiB, write-buffer-size = 2MiB, write-buffer-budget = 8MiB }
        }
        """;
    // The nodes log what the snapshot transfers do (the test class path's logback-test.xml says WARN).
    Path logback = tmp.resolve("logback-nodes.xml");
    Files.writeString(logback, """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
          </appender>
          <logger name="io.distkv" level="INFO"/>
          <root level="WARN"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
    List<String> launch = new ArrayList<>(NodeCluster.classPathLaunch(System.getProperty("java.class.path"), HEAP));
    launch.add(1, "-Dlogback.configurationFile=" + logback);
    try (NodeCluster cluster = new NodeCluster(launch, tmp.resolve("cluster"), 3, conf)) {
      cluster.startAll();
      cluster.awaitReady(Duration.ofSeconds(120));
      try (DistKvClient client = DistKvClient.connect(cluster.clientSettings(Duration.ofSeconds(30), Duration.ofSeconds(5)))) {
        client.transferLeader(0, "node1").toCompletableFuture().get(30, TimeUnit.SECONDS);

        // 1. node3 misses half the data; it comes back by snapshot, and is killed mid-transfer.
        cluster.kill(2);
        load(client, 0, KEYS / 2);
        Poll.await("node1 compacted its log", Duration.ofSeconds(60), () -> snapshotIndex(cluster, 0) > 0);
        cluster.start(2);
        long held = awaitMidTransfer(cluster, 2);
        cluster.kill(2);
        assertThat(stagedBytes(cluster, 2)).as("the received prefix stays on node3's disk").isGreaterThanOrEqualTo(held);
        cluster.start(2);
        Poll.await("node3 resumed the transfer", Duration.ofSeconds(60),
            () -> log(cluster, 2).contains("resuming snapshot"));
        awaitCaughtUp(cluster, 2, 0);

        // 2. node3 misses the other half; the leader sending it the snapshot is killed mid-transfer.
        cluster.kill(2);
        load(client, KEYS / 2, KEYS);
        cluster.start(2);
        awaitMidTransfer(cluster, 2);
        cluster.kill(0); // node1: the leader, the sender
        Poll.await("node2 leads", Duration.ofSeconds(60), () -> "LEADER".equals(role(cluster, 1)));
        awaitCaughtUp(cluster, 2, 1);
        cluster.start(0);

        // 3. node3 holds every acknowledged write: as leader it answers linearizable reads from its own store.
        // (Until node2's failure detector sees the restarted node1 and node3 again, node2 refuses a
        // leader transfer at once as READ_ONLY: the killed incarnations are unreachable members until downed.)
        Poll.await("node2 sees node1 and node3 as members, none unreachable", Duration.ofSeconds(90),
            () -> cluster.seesEveryNodeReachable(1));
        client.transferLeader(0, "node3").toCompletableFuture().get(60, TimeUnit.SECONDS);
        Poll.await("node3 leads", Duration.ofSeconds(30), () -> "LEADER".equals(role(cluster, 2)));
        List<CompletableFuture<Optional<Versioned>>> reads = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
          reads.add(client.get(key(i)).toCompletableFuture());
          if (reads.size() == 16 || i == KEYS - 1) {
            for (int j = 0; j < reads.size(); j++) {
              int k = i - reads.size() + 1 + j;
              Optional<Versioned> v = reads.get(j).get(30, TimeUnit.SECONDS);
              assertThat(v).as("key %d", k).isPresent();
              assertThat(v.get().value()).as("value of key %d", k).isEqualTo(value(k));
            }
            reads.clear();
          }
        }
        assertThat(log(cluster, 2)).doesNotContain("OutOfMemoryError");
        assertThat(log(cluster, 0) + log(cluster, 1)).doesNotContain("OutOfMemoryError");
      }
    }
  }

  /** Writes keys [from, to) in batches, a few in flight; every one must be acknowledged. */
  static void load(DistKvClient client, int from, int to) throws Exception {
    List<CompletableFuture<?>> inFlight = new ArrayList<>();
    for (int i = from; i < to; i += PER_BATCH) {
      Batch b = new Batch();
      for (int k = i; k < Math.min(to, i + PER_BATCH); k++) {
        b.put(key(k), value(k));
      }
      inFlight.add(client.batch(b).toCompletableFuture());
      if (inFlight.size() == IN_FLIGHT) {
        inFlight.remove(0).get(60, TimeUnit.SECONDS);
      }
    }
    for (CompletableFuture<?> f : inFlight) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  static Path staging(NodeCluster cluster, int node) {
    return cluster.dir().resolve("data-" + NodeCluster.id(node)).resolve("snapshots").resolve("p0").resolve("in");
  }

  /** Bytes of snapshot files received so far (0 if none, or if the transfer completed). */
  static long stagedBytes(NodeCluster cluster, int node) {
    Path in = staging(cluster, node);
    if (!Files.isDirectory(in)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(in)) {
      List<Path> files = s.toList();
      if (files.stream().anyMatch(p -> p.getFileName().toString().equals("COMPLETE"))) {
        return 0;
      }
      long bytes = 0;
      for (Path p : files) {
        if (Files.isRegularFile(p) && p.getParent().getFileName().toString().equals("files")) {
          bytes += Files.size(p);
        }
      }
      return bytes;
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return 0; // (a file vanished while we looked)
    }
  }

  /** Waits until node {@code node} has received part of a snapshot (at least 16 MiB, not all). */
  static long awaitMidTransfer(NodeCluster cluster, int node) throws InterruptedException {
    long[] held = new long[1];
    Poll.await(NodeCluster.id(node) + " holds 16 MiB of a snapshot (see " + cluster.dir() + ")", Duration.ofSeconds(120),
        Duration.ofMillis(5), () -> (held[0] = stagedBytes(cluster, node)) >= 16 << 20);
    return held[0];
  }

  static Object partitionAttribute(NodeCluster cluster, int node, String attribute) {
    return cluster.jmxAttribute(node, "io.distkv:type=Partition,node=" + NodeCluster.id(node) + ",partition=0", attribute);
  }

  static long snapshotIndex(NodeCluster cluster, int node) {
    return (Long) partitionAttribute(cluster, node, "SnapshotIndex");
  }

  static String role(NodeCluster cluster, int node) {
    try {
      return (String) partitionAttribute(cluster, node, "Role");
    } catch (IllegalStateException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  /** Node {@code node} installed a snapshot and applied everything {@code leader} has committed. */
  static void awaitCaughtUp(NodeCluster cluster, int node, int leader) throws InterruptedException {
    long target = (Long) partitionAttribute(cluster, leader, "CommitIndex");
    Poll.await(NodeCluster.id(node) + " caught up to index " + target, Duration.ofSeconds(180), () -> {
      try {
        return snapshotIndex(cluster, node) > 0 && (Long) partitionAttribute(cluster, node, "AppliedIndex") >= target;
      } catch (IllegalStateException e) {
        return false; // its JMX is not up yet
      }
    });
  }

  static String log(NodeCluster cluster, int node) {
    try {
      return Files.readString(cluster.dir().resolve(NodeCluster.id(node) + ".log"));
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
