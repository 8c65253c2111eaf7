package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.distkv.client.BlockingDistKvClient;
import io.distkv.client.DistKvClient;
import io.distkv.client.WriteResult;
import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.NodeInfo;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.KvCommand;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The client through node failures, leader changes and splits: retries, exactly-once, deadlines. */
@Tag("phase4")
@Tag("phase5")
class ClientFaultTest {
  /** How each scenario's cluster is built ({@link TlsTest} runs scenarios on TLS clusters). */
  java.util.function.Supplier<DistKvTestCluster.Builder> clusters = DistKvTestCluster::builder;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Fault schedule: node1, the first contact point, is killed, and every partition has a leader on
   * node2 or node3 again. A client whose whole deadline is 1 s (request and attempt timeout) must
   * still connect and write: the bootstrap asks every contact point at once, so the dead one does
   * not spend the deadline (asked one after the other, node1 alone took the whole second).
   */
  @Test
  void aClientConnectsAndWritesWithinOneSecondWhileItsFirstContactPointIsDown() {
    try (DistKvTestCluster cluster = clusters.get().nodes(3).partitions(8).start()) {
      assertThat(cluster.contactPoints().get(0)).isEqualTo(cluster.node(1).hostPort());
      cluster.node(1).kill();
      cluster.awaitAllLeaders(Duration.ofSeconds(30));
      try (DistKvClient client = DistKvClient.connect(cluster.clientSettings().requestTimeout(Duration.ofSeconds(1))
          .attemptTimeout(Duration.ofSeconds(1)).build())) {
        long version = client.blocking().put(b("k"), b("v"));
        assertThat(version).isPositive();
        assertThat(client.blocking().get("k")).contains("v");
      }
    }
  }

  /**
   * Fault schedule: the node leading a partition the client writes to is stopped. The first
   * attempt sent there goes unanswered; from then on the client sends that node nothing (not
   * even for partitions its cache still says it leads, nor when a stale hint names it), until
   * the node is back and answers a probe. Deadline 10 s, attempt timeout 1 s.
   */
  @Test
  void aClientSendsNothingToASilentNodeUntilItAnswersAgain() {
    try (DistKvTestCluster cluster = clusters.get().nodes(3).partitions(8).start()) {
      DistKvClient client = cluster.newClient(cluster.clientSettings().requestTimeout(Duration.ofSeconds(10))
          .attemptTimeout(Duration.ofSeconds(1)).build());
      BlockingDistKvClient kv = client.blocking();
      ClusterInfo info = kv.clusterInfo();
      String victim = info.partitions().get(0).leader();
      List<String> keys = new ArrayList<>();
      for (int i = 0; keys.size() < 40; i++) {
        keys.add("silent-" + i);
        kv.put("silent-" + i, "before");
      }
      assertThat(client.stats().silentNodes()).isEmpty();
      cluster.node(victim).stop();
      for (String k : keys) {
        kv.put(k, "during"); // every partition: the ones the victim led need a new leader first
      }
      assertThat(client.stats().silentNodes()).containsExactly(victim);
      long sentToVictim = client.stats().attemptsByNode().get(victim);
      for (String k : keys) {
        kv.put(k, "still-during");
        assertThat(kv.get(k)).contains("still-during");
      }
      assertThat(client.stats().attemptsByNode().get(victim)).as("attempts sent to the silent %s", victim)
          .isEqualTo(sentToVictim);
      cluster.node(victim).start();
      cluster.await(victim + " answers the client's probe", Duration.ofSeconds(30),
          () -> !client.stats().silentNodes().contains(victim));
      cluster.awaitAllLeaders(Duration.ofSeconds(30));
      for (String k : keys) {
        kv.put(k, "after");
        assertThat(kv.get(k)).contains("after");
      }
    }
  }

  @Test
  void writesInFlightWhenTheBusiestLeaderStopsAreAllAppliedExactlyOnce() throws Exception {
    try (DistKvTestCluster cluster = clusters.get().nodes(3).partitions(16).start()) {
      DistKvClient client = cluster.newClient(cluster.clientSettings().requestTimeout(Duration.ofSeconds(15))
          .attemptTimeout(Duration.ofSeconds(1)).maxRetries(20).build());
      ClusterInfo info = client.blocking().clusterInfo();
      String victim = info.nodes().stream().max(Comparator.comparingInt(NodeInfo::leaders)).orElseThrow().id();
      // put-if-absent of fresh keys: a write applied twice would answer "exists" to the retry.
      Map<String, Long> acked = new ConcurrentHashMap<>();
      AtomicBoolean stopped = new AtomicBoolean();
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        writers.add(CompletableFuture.runAsync(() -> {
          for (int i = 0; i < 60 || !stopped.get(); i++) {
            String key = "w" + writer + "-" + i;
            WriteResult r = client.blocking().putIfAbsent(b(key), b("v" + i));
            assertThat(r.applied()).as("put-if-absent of %s", key).isTrue();
            acked.put(key, r.version());
            if (i > 400) {
              break;
            }
          }
        }));
      }
      while (acked.size() < 40) {
        Thread.onSpinWait();
      }
      cluster.node(victim).stop();
      stopped.set(true);
      for (CompletableFuture<Void> w : writers) {
        w.get();
      }
      BlockingDistKvClient kv = client.blocking();
      for (Map.Entry<String, Long> e : acked.entrySet()) {
        assertThat(kv.get(b(e.getKey())).orElseThrow().version()).as(e.getKey()).isEqualTo(e.getValue());
      }
      // The stopped node comes back from its disk and catches up.
      cluster.node(victim).start();
      cluster.awaitAllLeaders(Duration.ofSeconds(30));
      String sample = acked.keySet().iterator().next();
      int p = kv.partitionOf(b(sample));
      var sm = cluster.node(victim).runtime().stateMachines().get(p);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (sm.get(b(sample)).version() != acked.get(sample) && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(sm.get(b(sample)).version()).isEqualTo(acked.get(sample));
    }
  }

  @Test
  void aWriteResentAfterALeaderChangeIsAppliedOnceAndAnswersAsTheFirstTime() {
    try (DistKvTestCluster cluster = clusters.get().nodes(3).partitions(4).start()) {
      KvCommand put = new KvCommand("resending-client", 1, 1, List.of(KvCommand.Op.putIfAbsent(b("once"), b("v"))));
      TestProbe<ClientProtocol.Reply> probe = TestProbe.create(cluster.node(1).system());
      ClientProtocol.Reply first = cluster.node(1).call((id, reply) -> new ClientProtocol.Write(id, 10_000, false, put, reply),
          Duration.ofSeconds(10));
      assertThat(first.code()).isEqualTo(ErrorCode.OK);
      assertThat(first.result().code()).isEqualTo(ErrorCode.OK);
      // The reply was "lost"; meanwhile leadership moves; the client resends the same write elsewhere.
      DistKvClient admin = cluster.newClient();
      int p = admin.partitionOf(b("once"));
      ClusterInfo before = admin.blocking().clusterInfo();
      String oldLeader = before.partitions().get(p).leader();
      String newLeader = before.partitions().get(p).replicas().stream().filter(n -> !n.equals(oldLeader)).findFirst().orElseThrow();
      admin.blocking().transferLeader(p, newLeader);
      probe.awaitAssert(Duration.ofSeconds(10), () -> {
        assertThat(admin.blocking().clusterInfo().partitions().get(p).leader()).isEqualTo(newLeader);
        return null;
      });
      ClientProtocol.Reply resent = cluster.node(3).call((id, reply) -> new ClientProtocol.Write(id, 10_000, false, put,
          reply), Duration.ofSeconds(10));
      // Same answer (applied, same version), not ALREADY_EXISTS: the partition remembered the session.
      assertThat(resent.result()).isEqualTo(first.result());
      assertThat(resent.servedBy()).isEqualTo(newLeader);
      assertThat(admin.blocking().get(b("once")).orElseThrow().version()).isEqualTo(first.result().version());
      assertThat(admin.blocking().clusterInfo().partitions().get(p).commitIndex())
          .as("the resend was committed as its own log entry").isGreaterThan(first.result().version() + 1);
    }
  }

  @Test
  void aCutOffLeaderNeverServesAStaleLeaseRead() {
    try (DistKvTestCluster cluster = clusters.get().nodes(3).partitions(1).leaseReads(true).start()) {
      DistKvClient client = cluster.newClient();
      client.blocking().put("lease-k", "old");
      String oldLeader = cluster.clusterInfo().partitions().get(0).leader();
      TestNode cutOff = cluster.node(oldLeader);
      cluster.isolate(oldLeader);
      // The majority elects a new leader (only after the old one's lease has run out) and writes.
      DistKvClient majority = cluster.newClient(cluster.clientSettings().contactPoints(cluster.nodes().stream()
          .filter(n -> !n.id().equals(oldLeader)).map(TestNode::hostPort).toList()).requestTimeout(Duration.ofSeconds(15))
          .maxRetries(20).build());
      majority.blocking().put("lease-k", "new");
      // A linearizable read through the cut-off node must not answer "old".
      for (int i = 0; i < 5; i++) {
        ClientProtocol.Reply r = cutOff.ask((id, reply) -> new ClientProtocol.Get(id, 5_000, false, b("lease-k"),
            Consistency.LINEARIZABLE, reply), Duration.ofSeconds(10));
        if (r.isOk()) {
          assertThat(r.result().value()).as("linearizable read on the cut-off old leader").isEqualTo(b("new"));
        } else {
          // (it stepped down: NOT_LEADER until it has been leaderless for two election timeouts)
          assertThat(r.code()).isIn(ErrorCode.NOT_LEADER, ErrorCode.NO_QUORUM);
        }
      }
      cluster.heal();
    }
  }

  @Test
  void withoutAQuorumWritesFailTypedWithinTheDeadlineAndEventualReadsStillAnswer() {
    // ReadIndex mode here (the other tests run with lease reads, the default).
    try (DistKvTestCluster cluster = clusters.get().nodes(3).partitions(4).leaseReads(false).start()) {
      DistKvClient client = cluster.newClient(cluster.clientSettings().requestTimeout(Duration.ofSeconds(2))
          .attemptTimeout(Duration.ofSeconds(1)).build());
      BlockingDistKvClient kv = client.blocking();
      kv.put("split-k", "before");
      // Followers apply it once the next append or heartbeat tells them the commit index; the
      // eventual read below may be served by any replica, so wait until every one has it.
      for (TestNode n : cluster.nodes()) {
        cluster.await("node " + n.id() + " applied the write", Duration.ofSeconds(10), () -> {
          try {
            return "before".equals(RebalanceTest.localRead(n, "split-k"));
          } catch (Exception | AssertionError e) {
            return false;
          }
        });
      }
      // Every node cut off from every other: no partition has a majority anywhere.
      cluster.isolate("node1");
      cluster.isolate("node2");
      long start = System.nanoTime();
      Throwable failure = catchThrowable(() -> kv.put("split-k", "during"));
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertThat(failure).isInstanceOf(DistKvException.class);
      assertThat(((DistKvException) failure).code()).isIn(ErrorCode.READ_ONLY, ErrorCode.TIMEOUT, ErrorCode.NO_QUORUM);
      assertThat(tookMs).as("failed within the 2 s deadline plus one attempt").isLessThan(4_000);
      // Eventual reads answer from a replica's local state, quorum or not.
      assertThat(kv.get(b("split-k"), Consistency.EVENTUAL).orElseThrow().valueAsString()).isEqualTo("before");
      cluster.heal();
      cluster.awaitAllLeaders(Duration.ofSeconds(30));
      kv.put("split-k", "after");
      assertThat(kv.get("split-k")).contains("after");
    }
  }
}
