package io.distkv.server.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.PartitionId;
import io.distkv.common.error.ErrorCode;
import io.distkv.server.partition.KvCommand;
import io.distkv.server.partition.KvResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes on loopback Artery, 16 partitions, RF 3: every operation through any node's router. */
@Tag("phase2")
class RouterTest {
  @TempDir Path tmp;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Router.Reply call(InJvmCluster.Node via, Object message) {
    TestProbe<Router.Reply> probe = via.kit.createTestProbe();
    if (message instanceof KvCommand c) {
      via.router.tell(new Router.Write(c, probe.getRef()));
    } else {
      via.router.tell(new Router.Get((byte[]) message, Router.Consistency.LINEARIZABLE, probe.getRef()));
    }
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  static KvResult put(InJvmCluster.Node via, String k, String v) {
    Router.Reply r = call(via, KvCommand.single("", 0, KvCommand.Op.put(b(k), b(v))));
    assertThat(r.code()).as("put %s via %s: %s", k, via.id, r.message()).isEqualTo(ErrorCode.OK);
    return r.result();
  }

  static KvResult get(InJvmCluster.Node via, String k) {
    Router.Reply r = call(via, b(k));
    assertThat(r.code()).as("get %s via %s: %s", k, via.id, r.message()).isEqualTo(ErrorCode.OK);
    return r.result();
  }

  @Test
  void everyOperationThroughAnyNodeAndLinearizableReadsAcrossNodes() throws Exception {
    try (InJvmCluster cluster = new InJvmCluster(3, 16, tmp)) {
      // Placement: each node hosts exactly the partitions the foundation function gives it.
      for (InJvmCluster.Node n : cluster.nodes.values()) {
        assertThat(n.runtime.replicas().keySet()).containsExactlyElementsOf(
            cluster.placement.partitionsOn(n.id).stream().map(PartitionId::value).collect(Collectors.toList()));
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
      Router.Reply cas = call(cluster.node(3), KvCommand.single("", 0, KvCommand.Op.compareAndSet(b("key-0"), version, b("cas"))));
      assertThat(cas.result().code()).isEqualTo(ErrorCode.OK);
      Router.Reply stale = call(cluster.node(1), KvCommand.single("", 0, KvCommand.Op.compareAndSet(b("key-0"), version, b("x"))));
      assertThat(stale.result().code()).isEqualTo(ErrorCode.CONFLICT);
      assertThat(stale.result().version()).isEqualTo(cas.result().version());
      Router.Reply pia = call(cluster.node(1), KvCommand.single("", 0, KvCommand.Op.putIfAbsent(b("key-1"), b("x"))));
      assertThat(pia.result().code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
      assertThat(call(cluster.node(2), KvCommand.single("", 0, KvCommand.Op.delete(b("key-2")))).code()).isEqualTo(ErrorCode.OK);
      assertThat(get(cluster.node(3), "key-2").code()).isEqualTo(ErrorCode.NOT_FOUND);
      // A batch spanning partitions is refused up front.
      Router.Reply cross = call(cluster.node(1), new KvCommand("", 0, keys.stream().limit(10)
          .map(k -> KvCommand.Op.put(b(k), b("v"))).toList()));
      assertThat(cross.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(cross.message()).contains("one partition");
      // Eventual reads answer from a local replica (eventually up to date).
      TestProbe<Router.Reply> probe = cluster.node(3).kit.createTestProbe();
      probe.awaitAssert(Duration.ofSeconds(10), () -> {
        cluster.node(3).router.tell(new Router.Get(b("key-5"), Router.Consistency.EVENTUAL, probe.getRef()));
        Router.Reply r = probe.receiveMessage();
        assertThat(r.result().value()).isEqualTo(b("value-5"));
        return null;
      });
    }
  }

  @Test
  @Tag("phase4")
  void stoppingANodeHostingLeadersLosesNoAcknowledgedWrite() throws Exception {
    try (InJvmCluster cluster = new InJvmCluster(3, 16, tmp)) {
      for (int i = 0; i < 32; i++) {
        put(cluster.node(2), "k" + i, "before-" + i);
      }
      cluster.node(1).stop(); // hosts replicas (and leaders) of most partitions
      for (int i = 0; i < 32; i++) {
        put(cluster.node(2), "k" + i, "after-" + i); // the router retries until a new leader answers
      }
      for (int i = 0; i < 32; i++) {
        assertThat(get(cluster.node(3), "k" + i).value()).isEqualTo(b("after-" + i));
      }
    }
  }

  @Test
  @Tag("phase4")
  void theMinoritySideIsReadOnlyAndTheMajorityKeepsWorking() throws Exception {
    try (InJvmCluster cluster = new InJvmCluster(3, 16, tmp)) {
      for (int i = 0; i < 16; i++) {
        put(cluster.node(1), "k" + i, "before-" + i);
      }
      // Fault schedule: node3 is cut off from node1 and node2, both directions, for Raft traffic;
      // its own router can only address node3 (requests do not cross the cut either).
      InJvmCluster.Node minority = cluster.node(3);
      for (InJvmCluster.Node n : cluster.nodes.values()) {
        for (InJvmCluster.Node m : cluster.nodes.values()) {
          if ((n == minority) != (m == minority)) {
            n.faults.cut(n.id.value(), m.id.value());
          }
        }
      }
      var cutOffRouter = minority.kit.spawn(Router.create(minority.id, cluster.placement,
          java.util.Map.of(minority.id, cluster.addresses.get(minority.id)), minority.runtime.stateMachines(),
          Duration.ofSeconds(5)), "cut-off-router");
      TestProbe<Router.Reply> probe = minority.kit.createTestProbe();
      // Writes fail fast with READ_ONLY (once the local replicas know they are leaderless).
      probe.awaitAssert(Duration.ofSeconds(15), Duration.ofMillis(200), () -> {
        cutOffRouter.tell(new Router.Write(KvCommand.single("", 0, KvCommand.Op.put(b("k3"), b("minority"))), probe.getRef()));
        Router.Reply r = probe.receiveMessage(Duration.ofSeconds(6));
        assertThat(r.code()).isEqualTo(ErrorCode.READ_ONLY);
        assertThat(r.message()).contains("read-only");
        return null;
      });
      cutOffRouter.tell(new Router.Get(b("k3"), Router.Consistency.LINEARIZABLE, probe.getRef()));
      assertThat(probe.receiveMessage(Duration.ofSeconds(10)).code()).isEqualTo(ErrorCode.NO_QUORUM);
      // Eventual reads still answer from local data.
      cutOffRouter.tell(new Router.Get(b("k3"), Router.Consistency.EVENTUAL, probe.getRef()));
      Router.Reply eventual = probe.receiveMessage();
      assertThat(eventual.code()).isEqualTo(ErrorCode.OK);
      assertThat(eventual.result().value()).isEqualTo(b("before-3"));
      // The majority side keeps working.
      for (int i = 0; i < 16; i++) {
        put(cluster.node(1), "k" + i, "majority-" + i);
      }
      // Heal: node3 catches up.
      cluster.nodes.values().forEach(n -> n.faults.heal());
      probe.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(200), () -> {
        for (int i = 0; i < 16; i++) {
          var sm = minority.runtime.stateMachines().get(new io.distkv.common.placement.Partitioner(16).indexOf(b("k" + i)));
          assertThat(sm.get(b("k" + i)).value()).isEqualTo(b("majority-" + i));
        }
        return null;
      });
    }
  }
}
