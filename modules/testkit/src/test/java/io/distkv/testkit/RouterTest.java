package io.distkv.testkit;

import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.Consistency;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.PartitionId;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.protocol.KvCommand;
import io.distkv.common.protocol.KvResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Three nodes on loopback Artery, 16 partitions, RF 3: every operation through any node's router. */
@Tag("phase2")
class RouterTest {
  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A write (a KvCommand) or linearizable get (a key) via {@code via}, following NOT_LEADER hints. */
  static ClientProtocol.Reply call(TestNode via, Object message) {
    if (message instanceof KvCommand c) {
      return via.call((id, reply) -> new ClientProtocol.Write(id, 10_000, false, c, reply), Duration.ofSeconds(10));
    }
    return via.call((id, reply) -> new ClientProtocol.Get(id, 10_000, false, (byte[]) message, Consistency.LINEARIZABLE,
        reply), Duration.ofSeconds(10));
  }

  static KvResult put(TestNode via, String k, String v) {
    ClientProtocol.Reply r = call(via, KvCommand.single("", 0, KvCommand.Op.put(b(k), b(v))));
    assertThat(r.code()).as("put %s via %s: %s", k, via.id(), r.message()).isEqualTo(ErrorCode.OK);
    return r.result();
  }

  static KvResult get(TestNode via, String k) {
    ClientProtocol.Reply r = call(via, b(k));
    assertThat(r.code()).as("get %s via %s: %s", k, via.id(), r.message()).isEqualTo(ErrorCode.OK);
    return r.result();
  }

  /**
   * A put via {@code via}, resent (same client session and sequence, so it applies once) until it
   * is acknowledged within 20 s: what DistKvClient does while a new leader is elected.
   */
  static void putRetrying(TestNode via, String k, String v) {
    KvCommand c = KvCommand.single("retrying-" + k, 1, KvCommand.Op.put(b(k), b(v)));
    TestProbe.create(via.system()).awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
      ClientProtocol.Reply r = via.call((id, reply) -> new ClientProtocol.Write(id, 2_000, false, c, reply),
          Duration.ofSeconds(3));
      assertThat(r.code()).as("put %s via %s: %s", k, via.id(), r.message()).isEqualTo(ErrorCode.OK);
      return null;
    });
  }

  @Test
  void everyOperationThroughAnyNodeAndLinearizableReadsAcrossNodes() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(16).start()) {
      // Placement: each node hosts exactly the partitions the foundation function gives it.
      for (TestNode n : cluster.nodes()) {
        assertThat(n.runtime().replicas().keySet()).containsExactlyElementsOf(
            cluster.placement().partitionsOn(io.distkv.common.NodeId.of(n.id())).stream().map(PartitionId::value).collect(Collectors.toList()));
      }
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        keys.add("key-" + i);
        put(cluster.node(1 + i % 3), "key-" + i, "value-" + i);
      }
      // A write acknowledged via one node is seen by a linearizable read via another.
      for (int i = 0; i < 60; i++) {
        KvResult r = get(cluster.node(1 + (i + 1) % 3), "key-" + i);
        assertThat(r.code()).isEqualTo(ErrorCode.OK);
        assertThat(r.value()).isEqualTo(b("value-" + i));
      }
      // CAS with versions, put-if-absent, delete
      long version = get(cluster.node(2), "key-0").version();
      ClientProtocol.Reply cas = call(cluster.node(3), KvCommand.single("", 0, KvCommand.Op.compareAndSet(b("key-0"), version, b("cas"))));
      assertThat(cas.result().code()).isEqualTo(ErrorCode.OK);
      ClientProtocol.Reply stale = call(cluster.node(1), KvCommand.single("", 0, KvCommand.Op.compareAndSet(b("key-0"), version, b("x"))));
      assertThat(stale.result().code()).isEqualTo(ErrorCode.CONFLICT);
      assertThat(stale.result().version()).isEqualTo(cas.result().version());
      ClientProtocol.Reply pia = call(cluster.node(1), KvCommand.single("", 0, KvCommand.Op.putIfAbsent(b("key-1"), b("x"))));
      assertThat(pia.result().code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
      assertThat(call(cluster.node(2), KvCommand.single("", 0, KvCommand.Op.delete(b("key-2")))).code()).isEqualTo(ErrorCode.OK);
      assertThat(get(cluster.node(3), "key-2").code()).isEqualTo(ErrorCode.NOT_FOUND);
      // A batch spanning partitions is refused up front.
      ClientProtocol.Reply cross = call(cluster.node(1), new KvCommand("", 0, keys.stream().limit(10)
          .map(k -> KvCommand.Op.put(b(k), b("v"))).toList()));
      assertThat(cross.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(cross.message()).contains("one partition");
      // Eventual reads answer from a local replica (eventually up to date).
      TestProbe<ClientProtocol.Reply> probe = TestProbe.create(cluster.node(3).system());
      probe.awaitAssert(Duration.ofSeconds(10), () -> {
        ClientProtocol.Reply r = cluster.node(3).ask((id, reply) -> new ClientProtocol.Get(id, 10_000, false, b("key-5"),
            Consistency.EVENTUAL, reply), Duration.ofSeconds(3));
        assertThat(r.result().value()).isEqualTo(b("value-5"));
        return null;
      });
    }
  }

  @Test
  @Tag("phase4")
  void stoppingANodeHostingLeadersLosesNoAcknowledgedWrite() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(16).start()) {
      for (int i = 0; i < 32; i++) {
        put(cluster.node(2), "k" + i, "before-" + i);
      }
      cluster.node(1).stop(); // hosts replicas (and leaders) of most partitions
      for (int i = 0; i < 32; i++) {
        putRetrying(cluster.node(2), "k" + i, "after-" + i);
      }
      for (int i = 0; i < 32; i++) {
        assertThat(get(cluster.node(3), "k" + i).value()).isEqualTo(b("after-" + i));
      }
    }
  }

  @Test
  @Tag("phase4")
  void theMinoritySideIsReadOnlyAndTheMajorityKeepsWorking() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(16).start()) {
      for (int i = 0; i < 16; i++) {
        put(cluster.node(1), "k" + i, "before-" + i);
      }
      // Fault schedule: node3 is cut off from node1 and node2, both directions, for Raft traffic
      // and router requests alike.
      TestNode minority = cluster.node(3);
      cluster.isolate("node3");
      TestProbe<ClientProtocol.Reply> probe = TestProbe.create(minority.system());
      // Writes fail fast with READ_ONLY (once the local replicas know they are leaderless).
      probe.awaitAssert(Duration.ofSeconds(15), Duration.ofMillis(200), () -> {
        ClientProtocol.Reply r = minority.ask((id, reply) -> new ClientProtocol.Write(id, 5_000, false,
            KvCommand.single("", 0, KvCommand.Op.put(b("k3"), b("minority"))), reply), Duration.ofSeconds(6));
        assertThat(r.code()).isEqualTo(ErrorCode.READ_ONLY);
        assertThat(r.message()).contains("read-only");
        return null;
      });
      assertThat(minority.ask((id, reply) -> new ClientProtocol.Get(id, 5_000, false, b("k3"), Consistency.LINEARIZABLE,
          reply), Duration.ofSeconds(10)).code()).isEqualTo(ErrorCode.NO_QUORUM);
      // Eventual reads still answer from local data.
      ClientProtocol.Reply eventual = minority.ask((id, reply) -> new ClientProtocol.Get(id, 5_000, false, b("k3"),
          Consistency.EVENTUAL, reply), Duration.ofSeconds(3));
      assertThat(eventual.code()).isEqualTo(ErrorCode.OK);
      assertThat(eventual.result().value()).isEqualTo(b("before-3"));
      // The majority side keeps working.
      for (int i = 0; i < 16; i++) {
        put(cluster.node(1), "k" + i, "majority-" + i);
      }
      // Heal: node3 catches up.
      cluster.heal();
      probe.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(200), () -> {
        for (int i = 0; i < 16; i++) {
          var sm = minority.runtime().stateMachines().get(new io.distkv.common.placement.Partitioner(16).indexOf(b("k" + i)));
          assertThat(sm.get(b("k" + i)).value()).isEqualTo(b("majority-" + i));
        }
        return null;
      });
    }
  }

  @Test
  @Tag("phase4")
  void aKilledNodeReplaysWhatItsStoresHadNotFlushedFromItsRaftLog() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(4).start()) {
      for (int i = 0; i < 100; i++) {
        put(cluster.node(2), "crash-" + i, "v" + i);
      }
      TestNode victim = cluster.node(1);
      // Every acknowledged write is applied on node1 too, but not flushed: its stores' persisted
      // applied index lags (the WAL is off; the Raft log is the durable record).
      TestProbe<ClientProtocol.Reply> probe = TestProbe.create(victim.system());
      probe.awaitAssert(Duration.ofSeconds(10), () -> {
        for (int i = 0; i < 100; i++) {
          int p = new io.distkv.common.placement.Partitioner(4).indexOf(b("crash-" + i));
          assertThat(victim.runtime().stateMachines().get(p).get(b("crash-" + i)).value()).isEqualTo(b("v" + i));
        }
        return null;
      });
      assertThat(victim.runtime().stateMachines().values())
          .anyMatch(sm -> sm.appliedIndex() < sm.lastApplied());
      victim.kill();
      victim.start();
      cluster.awaitAllLeaders(Duration.ofSeconds(30));
      TestProbe<ClientProtocol.Reply> after = TestProbe.create(victim.system());
      after.awaitAssert(Duration.ofSeconds(20), () -> {
        for (int i = 0; i < 100; i++) {
          int p = new io.distkv.common.placement.Partitioner(4).indexOf(b("crash-" + i));
          assertThat(victim.runtime().stateMachines().get(p).get(b("crash-" + i)).value()).isEqualTo(b("v" + i));
        }
        return null;
      });
    }
  }
}
