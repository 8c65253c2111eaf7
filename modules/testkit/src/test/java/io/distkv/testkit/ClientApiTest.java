package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.client.Batch;
import io.distkv.client.BlockingDistKvClient;
import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.client.KeyValue;
import io.distkv.client.ScanPage;
import io.distkv.client.Versioned;
import io.distkv.client.WriteResult;
import io.distkv.common.config.ConfigValidationException;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.ShuttingDownException;
import io.distkv.common.error.UnavailableException;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.PartitionState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The Java client against a 3-node in-JVM cluster (16 partitions, RF 3): every operation. */
@Tag("phase5")
class ClientApiTest {
  static DistKvTestCluster cluster;
  static DistKvClient client;
  static BlockingDistKvClient kv;

  @BeforeAll
  static void start() {
    cluster = DistKvTestCluster.builder().nodes(3).partitions(16).start();
    client = cluster.newClient();
    kv = client.blocking();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putGetDeleteWithVersionsAtBothConsistencyLevels() {
    long v1 = kv.put("api-k", "one");
    assertThat(kv.get("api-k")).contains("one");
    Versioned got = kv.get(b("api-k"), Consistency.LINEARIZABLE).orElseThrow();
    assertThat(got.version()).isEqualTo(v1);
    long v2 = kv.put("api-k", "two");
    assertThat(v2).isGreaterThan(v1);
    // EVENTUAL reads a replica's state: it converges to the acknowledged value.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Optional<Versioned> eventual = kv.get(b("api-k"), Consistency.EVENTUAL);
    while (eventual.map(Versioned::version).orElse(0L) != v2 && System.nanoTime() < deadline) {
      eventual = kv.get(b("api-k"), Consistency.EVENTUAL);
    }
    assertThat(eventual.orElseThrow().valueAsString()).isEqualTo("two");
    long vDel = kv.delete("api-k");
    assertThat(vDel).isGreaterThan(v2);
    assertThat(kv.get("api-k")).isEmpty();
    assertThat(kv.get(b("never-written"), Consistency.LINEARIZABLE)).isEmpty();
    kv.delete("never-written"); // deleting a missing key succeeds
    // Values are bytes: empty and binary values round-trip.
    kv.put(b("bin"), new byte[] {0, -1, 7});
    assertThat(kv.get(b("bin")).orElseThrow().value()).containsExactly(0, -1, 7);
    kv.put(b("empty"), new byte[0]);
    assertThat(kv.get(b("empty")).orElseThrow().value()).isEmpty();
  }

  @Test
  void compareAndSetAndPutIfAbsentReportConflictsAsResults() {
    WriteResult created = kv.putIfAbsent(b("cas-k"), b("a"));
    assertThat(created.applied()).isTrue();
    WriteResult exists = kv.putIfAbsent(b("cas-k"), b("b"));
    assertThat(exists).isEqualTo(new WriteResult(false, created.version()));
    WriteResult swapped = kv.compareAndSet(b("cas-k"), created.version(), b("c"));
    assertThat(swapped.applied()).isTrue();
    WriteResult stale = kv.compareAndSet(b("cas-k"), created.version(), b("d"));
    assertThat(stale).isEqualTo(new WriteResult(false, swapped.version()));
    assertThat(kv.get("cas-k")).contains("c");
    // Expected version 0 = must be absent.
    assertThat(kv.compareAndSet(b("cas-absent"), 0, b("x")).applied()).isTrue();
    assertThat(kv.compareAndSet(b("cas-absent"), 0, b("y")).applied()).isFalse();
  }

  @Test
  void concurrentCompareAndSetIncrementsLoseNoUpdate() {
    kv.put("counter", "0");
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      workers.add(CompletableFuture.runAsync(() -> {
        for (int i = 0; i < 10; i++) {
          while (true) {
            Versioned cur = kv.get(b("counter")).orElseThrow();
            int n = Integer.parseInt(cur.valueAsString());
            if (kv.compareAndSet(b("counter"), cur.version(), b(Integer.toString(n + 1))).applied()) {
              break;
            }
          }
        }
      }));
    }
    workers.forEach(CompletableFuture::join);
    assertThat(kv.get("counter")).contains("40");
  }

  @Test
  void batchesAreAtomicWithinOnePartitionAndRefusedAcrossPartitions() {
    List<String> samePartition = new ArrayList<>();
    int p = kv.partitionOf(b("batch-0"));
    for (int i = 0; samePartition.size() < 3; i++) {
      if (kv.partitionOf(b("batch-" + i)) == p) {
        samePartition.add("batch-" + i);
      }
    }
    WriteResult ok = kv.batch(new Batch().put(samePartition.get(0), "x").put(samePartition.get(1), "y"));
    assertThat(ok.applied()).isTrue();
    assertThat(kv.get(b(samePartition.get(0))).orElseThrow().version()).isEqualTo(ok.version());
    // A failed condition fails the whole batch.
    WriteResult failed = kv.batch(new Batch().put(b(samePartition.get(2)), b("z"))
        .compareAndSet(b(samePartition.get(0)), 1, b("never")));
    assertThat(failed.applied()).isFalse();
    assertThat(kv.get(samePartition.get(2))).isEmpty();
    assertThat(kv.get(samePartition.get(0))).contains("x");
    String other = null;
    for (int i = 0; other == null; i++) {
      if (kv.partitionOf(b("other-" + i)) != p) {
        other = "other-" + i;
      }
    }
    String otherKey = other;
    assertThatThrownBy(() -> kv.batch(new Batch().put(samePartition.get(0), "1").put(otherKey, "2")))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("one partition");
    assertThat(kv.get(otherKey)).isEmpty();
  }

  @Test
  void scansMergeEveryPartitionInKeyOrderAndPageWithContinuationTokens() {
    TreeMap<String, String> expected = new TreeMap<>();
    List<CompletionStage<Long>> writes = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      String k = String.format("scan/%04d", i);
      expected.put(k, "v" + i);
      writes.add(client.put(b(k), b("v" + i)));
    }
    writes.forEach(w -> w.toCompletableFuture().join());
    kv.delete("scan/0100");
    expected.remove("scan/0100");
    // One page: the first 40 keys in order, from all partitions.
    ScanPage first = kv.scan(b("scan/"), b("scan0"), 40);
    assertThat(first.entries()).extracting(KeyValue::keyAsString)
        .containsExactlyElementsOf(expected.keySet().stream().limit(40).toList());
    assertThat(first.hasMore()).isTrue();
    assertThat(first.continuation()).isNotBlank();
    // Paging through all of it with tokens visits every live key once, in order.
    List<String> seen = new ArrayList<>();
    ScanPage page = first;
    while (true) {
      page.entries().forEach(e -> seen.add(e.keyAsString() + "=" + e.valueAsString()));
      if (!page.hasMore()) {
        break;
      }
      page = kv.nextPage(page);
    }
    assertThat(seen).containsExactlyElementsOf(expected.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    // Bounds: [scan/0010, scan/0020) and the lazy stream.
    assertThat(kv.scan(b("scan/0010"), b("scan/0020"), 100).entries()).hasSize(10);
    assertThat(kv.scanAll(b("scan/"), b("scan0"), 7).count()).isEqualTo(expected.size());
    assertThat(kv.scan(b("scan/"), b("scan0"), 1000, Consistency.EVENTUAL).entries().size()).isLessThanOrEqualTo(expected.size());
    assertThat(kv.scan(b("zzz"), b("aaa"), 10).entries()).isEmpty();
    assertThatThrownBy(() -> kv.scan(null, null, 0)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("limit");
  }

  @Test
  void clusterInfoLeaderForAndLeaderTransfer() {
    ClusterInfo info = kv.clusterInfo();
    assertThat(info.partitionCount()).isEqualTo(16);
    assertThat(info.nodes()).hasSize(3).allMatch(n -> n.reachable() && n.replicas() == 16);
    assertThat(info.partitions()).allMatch(p -> p.state() == PartitionState.ACTIVE && p.leader() != null);
    assertThat(info.nodes().stream().mapToInt(n -> n.leaders()).sum()).isEqualTo(16);
    int p = kv.partitionOf(b("leader-key"));
    String leader = kv.leaderFor(b("leader-key")).orElseThrow();
    assertThat(info.partitions().get(p).replicas()).contains(leader);
    String target = info.partitions().get(p).replicas().stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
    kv.transferLeader(p, target);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!target.equals(kv.leaderFor(b("leader-key")).orElse(null)) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(kv.leaderFor(b("leader-key"))).contains(target);
    kv.put("leader-key", "after-transfer"); // the client follows the new leader
    assertThat(kv.get("leader-key")).contains("after-transfer");
    assertThatThrownBy(() -> kv.transferLeader(p, "node-x")).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("node-x");
    assertThatThrownBy(() -> kv.transferLeader(99, target)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("99");
  }

  @Test
  void badInputFailsAtOnceWithAClearMessageAndSendsNothing() {
    byte[] bigKey = new byte[4097];
    byte[] bigValue = new byte[(1 << 20) + 1];
    List<CompletionStage<?>> refused = List.of(client.get(null), client.get(new byte[0]), client.put(bigKey, b("v")),
        client.put(b("k"), bigValue), client.put(b("k"), null), client.compareAndSet(b("k"), -1, b("v")),
        client.batch(new Batch()));
    for (CompletionStage<?> r : refused) {
      // Completed before returning: nothing was sent and waited for.
      assertThat(r.toCompletableFuture().isCompletedExceptionally()).isTrue();
    }
    assertThatThrownBy(() -> kv.get(new byte[0])).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> kv.put(bigKey, b("v"))).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("4097 bytes").hasMessageContaining("max-key-size");
    assertThatThrownBy(() -> kv.put(b("k"), bigValue)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("max-value-size");
    // The largest allowed value goes through remoting and back.
    byte[] largest = new byte[1 << 20];
    largest[largest.length - 1] = 42;
    kv.put(b("largest"), largest);
    assertThat(kv.get(b("largest")).orElseThrow().value()).isEqualTo(largest);
  }

  @Test
  void aClosedClientRefusesAndBadSettingsAreNamed() {
    DistKvClient other = cluster.newClient();
    other.blocking().put("closed-k", "v");
    other.close();
    assertThatThrownBy(() -> other.blocking().get("closed-k")).isInstanceOf(ShuttingDownException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> ClientSettings.builder().contactPoints("nohost", "h:99999").build())
        .isInstanceOf(ConfigValidationException.class).hasMessageContaining("nohost").hasMessageContaining("h:99999");
    assertThatThrownBy(() -> ClientSettings.fromConfig(com.typesafe.config.ConfigFactory.parseString(
        "distkv.client.request-timeout = banana\ndistkv.client.max-retries = -1")))
        .isInstanceOf(ConfigValidationException.class).hasMessageContaining("request-timeout").hasMessageContaining("max-retries");
  }

  @Test
  void connectingToNoNodeFailsWithTheContactPointsNamed() throws Exception {
    int unused = io.distkv.common.io.FreePorts.next();
    ClientSettings nowhere = ClientSettings.builder().contactPoints("127.0.0.1:" + unused)
        .requestTimeout(Duration.ofSeconds(1)).attemptTimeout(Duration.ofMillis(300)).build();
    assertThatThrownBy(() -> DistKvClient.connect(nowhere)).isInstanceOf(UnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + unused);
  }
}
