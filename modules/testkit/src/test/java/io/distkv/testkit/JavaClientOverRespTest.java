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
import io.distkv.common.auth.Role;
import io.distkv.common.auth.Users;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.PermissionDeniedException;
import io.distkv.common.error.UnauthenticatedException;
import io.distkv.common.protocol.Consistency;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client over the nodes' RESP ports ({@code distkv.client.transport = resp}) on a mutual
 * TLS cluster with users: a client logs in as the user its certificate names (CN) or with a
 * password, every API call works as over Artery, and its role decides what it may do: a
 * read-write client's remove-node is refused with PERMISSION_DENIED and the membership is
 * unchanged.
 */
@Tag("phase5")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaClientOverRespTest {
  @TempDir static Path certs;
  TestCerts ca;
  DistKvTestCluster cluster;

  @BeforeAll
  void start() {
    // "app" and "ops" are certificate users; "reader" logs in with a password; "stranger" has a
    // certificate of the CA but is no user.
    ca = TestCerts.generate(certs, "node", "--users", "app", "ops", "stranger");
    Users users = new Users(Map.of(
        "app", RespRolesTest.user("app", "app-pw", Role.READ_WRITE),
        "ops", RespRolesTest.user("ops", "ops-pw", Role.ADMIN),
        "reader", RespRolesTest.user("reader", "reader-pw", Role.READ_ONLY)));
    cluster = DistKvTestCluster.builder().nodes(3).partitions(4).resp("", users).tls(ca.pem("node")).start();
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  ClientSettings.Builder over(String certificate) {
    return ClientSettings.builder().transport(ClientSettings.Transport.RESP).contactPoints(cluster.respEndpoints())
        .tls(ca.pem(certificate));
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void everyCallWorksOverResp() throws Exception {
    try (DistKvClient client = cluster.newClient(over("app").build())) {
      BlockingDistKvClient c = client.blocking();
      long v1 = c.put("k1", "one");
      assertThat(client.get(b("k1")).toCompletableFuture().get()).map(Versioned::version).contains(v1);
      assertThat(c.get("k1")).contains("one");
      cluster.await("an eventual read (its own READONLY connection) sees k1", Duration.ofSeconds(10),
          () -> client.get(b("k1"), Consistency.EVENTUAL).toCompletableFuture().join()
              .map(x -> new String(x.value(), StandardCharsets.UTF_8)).equals(Optional.of("one")));

      assertThat(client.compareAndSet(b("k1"), v1 + 100, b("x")).toCompletableFuture().get().applied()).isFalse();
      var cas = client.compareAndSet(b("k1"), v1, b("two")).toCompletableFuture().get();
      assertThat(cas.applied()).isTrue();
      assertThat(cas.version()).isGreaterThan(v1);
      assertThat(client.putIfAbsent(b("k1"), b("three")).toCompletableFuture().get().applied()).isFalse();
      assertThat(client.putIfAbsent(b("k2"), b("new")).toCompletableFuture().get().applied()).isTrue();

      assertThat(client.incrementBy(b("n"), 5).toCompletableFuture().get()).isEqualTo(5);
      assertThat(client.incrementBy(b("n"), -2).toCompletableFuture().get()).isEqualTo(3);
      assertThatThrownBy(() -> client.incrementBy(b("k1"), 1).toCompletableFuture().join())
          .hasCauseInstanceOf(InvalidArgumentException.class);

      assertThat(client.remove(b("k2")).toCompletableFuture().get()).isTrue();
      assertThat(client.remove(b("k2")).toCompletableFuture().get()).isFalse();
      long deleted = client.delete(b("k1")).toCompletableFuture().get();
      assertThat(deleted).isGreaterThan(cas.version());
      assertThat(c.get("k1")).isEmpty();

      // a batch: atomic in one partition, and refused as a whole when a condition fails
      List<byte[]> same = keysOfOnePartition(client, 3);
      var applied = client.batch(new Batch().put(same.get(0), b("a")).put(same.get(1), b("b"))
          .putIfAbsent(same.get(2), b("c"))).toCompletableFuture().get();
      assertThat(applied.applied()).isTrue();
      var refused = client.batch(new Batch().put(same.get(0), b("A")).putIfAbsent(same.get(1), b("B")))
          .toCompletableFuture().get();
      assertThat(refused.applied()).isFalse();
      assertThat(client.get(same.get(0)).toCompletableFuture().get()).map(v -> new String(v.value())).contains("a");

      // a scan across partitions, page by page
      for (int i = 0; i < 25; i++) {
        c.put(String.format("scan/%02d", i), "v" + i);
      }
      List<String> seen = new ArrayList<>();
      ScanPage page = client.scan(b("scan/"), b("scan0"), 10).toCompletableFuture().get();
      while (true) {
        page.entries().stream().map(KeyValue::key).map(String::new).forEach(seen::add);
        if (!page.hasMore()) {
          break;
        }
        page = client.nextPage(page).toCompletableFuture().get();
      }
      assertThat(seen).hasSize(25).isSorted().startsWith("scan/00").endsWith("scan/24");

      var info = client.clusterInfo().toCompletableFuture().get();
      assertThat(info.nodes()).hasSize(3);
      assertThat(info.partitions()).hasSize(4);
      assertThat(client.leaderFor(b("k1")).toCompletableFuture().get()).isPresent();
      try (DistKvClient artery = cluster.newClient()) {
        for (String k : List.of("a", "b", "scan/07", "n")) {
          assertThat(client.partitionOf(b(k))).isEqualTo(artery.partitionOf(b(k)));
        }
        assertThat(artery.blocking().get("n")).as("written over RESP, read over Artery").contains("3");
      }
      assertThat(client.stats().attempts()).isPositive();
    }
  }

  List<byte[]> keysOfOnePartition(DistKvClient client, int n) {
    List<byte[]> keys = new ArrayList<>();
    int p = client.partitionOf(b("batch-0"));
    for (int i = 0; keys.size() < n; i++) {
      if (client.partitionOf(b("batch-" + i)) == p) {
        keys.add(b("batch-" + i));
      }
    }
    return keys;
  }

  @Test
  void aReadWriteClientsMembershipChangesAreRefusedAndNothingChanges() {
    java.util.SortedMap<Integer, List<String>> before = cluster.replicasByPartition();
    try (DistKvClient app = cluster.newClient(over("app").build())) {
      assertThat(app.blocking().put("app-key", "v")).isPositive();
      for (CompletableFuture<?> refused : List.of(app.removeNode("node3").toCompletableFuture(),
          app.addNode("node4").toCompletableFuture(), app.rebalance().toCompletableFuture(),
          app.transferLeader(0, "node2").toCompletableFuture())) {
        assertThatThrownBy(refused::join).hasCauseInstanceOf(PermissionDeniedException.class)
            .hasMessageContaining("user 'app' has role read-write");
      }
      assertThat(app.blocking().get("app-key")).as("the client still serves").contains("v");
    }
    assertThat(cluster.clusterInfo().nodes()).hasSize(3);
    assertThat(cluster.replicasByPartition()).isEqualTo(before);
  }

  @Test
  void anAdminCertificateMayTransferLeadership() throws Exception {
    try (DistKvClient ops = cluster.newClient(over("ops").build())) {
      var p0 = ops.clusterInfo().toCompletableFuture().get().partitions().get(0);
      String target = p0.replicas().stream().filter(r -> !r.equals(p0.leader())).findFirst().orElseThrow();
      ops.transferLeader(0, target).toCompletableFuture().get(10, TimeUnit.SECONDS);
      cluster.await("partition 0 led by " + target, Duration.ofSeconds(15),
          () -> target.equals(cluster.clusterInfo().partitions().get(0).leader()));
    }
  }

  @Test
  void aPasswordLogsInAsItsUserAndAWrongOneIsRefusedAtConnect() {
    try (DistKvClient reader = cluster.newClient(over("stranger").credentials("reader", "reader-pw").build())) {
      assertThat(reader.blocking().get("nothing-here")).isEmpty();
      assertThatThrownBy(() -> reader.put(b("r"), b("x")).toCompletableFuture().join())
          .hasCauseInstanceOf(PermissionDeniedException.class).hasMessageContaining("'dkv.set' needs read-write");
    }
    assertThatThrownBy(() -> DistKvClient.connect(over("stranger").credentials("reader", "wrong").build()))
        .isInstanceOf(UnauthenticatedException.class).hasMessageContaining("WRONGPASS");
    assertThatThrownBy(() -> DistKvClient.connect(over("stranger").build()))
        .as("a certificate that names no user, and no password").isInstanceOf(UnauthenticatedException.class)
        .hasMessageContaining("NOAUTH");
  }

  @Test
  void anUnreachableContactPointIsSkipped() throws Exception {
    List<String> points = new ArrayList<>();
    points.add("127.0.0.1:" + io.distkv.common.io.FreePorts.next());
    points.addAll(cluster.respEndpoints());
    try (DistKvClient app = cluster.newClient(over("app").contactPoints(points).build())) {
      assertThat(app.blocking().put("skip", "ok")).isPositive();
      assertThat(app.stats().attemptsByNode()).doesNotContainKey(points.get(0));
    }
  }
}
