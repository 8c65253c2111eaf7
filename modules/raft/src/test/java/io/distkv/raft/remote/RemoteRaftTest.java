package io.distkv.raft.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.config.Remoting;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.io.FreePorts;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.SnapshotPolicy;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.core.Role;
import io.distkv.raft.log.NodeLogWriter;
import io.distkv.raft.log.SegmentedLog;
import io.distkv.raft.transport.ActorTransport;
import io.distkv.raft.transport.FaultyTransport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three ActorSystems on loopback Artery, one Raft group, real disks. Fault schedule: stop the
 * leader's whole ActorSystem after 30 acknowledged writes; keep writing through the new leader;
 * restart the stopped node from its directory and check it catches up. No acknowledged write
 * may be lost.
 */
@Tag("phase4")
class RemoteRaftTest {
  @TempDir Path tmp;
  final Map<String, Node> nodes = new HashMap<>();
  final Map<String, String> addresses = new HashMap<>();

  final class Node {
    final String id;
    final int port;
    ActorTestKit kit;
    SegmentedLog log;
    MapStateMachine sm;
    ActorRef<RaftReplica.Command> replica;
    FaultyTransport transport;
    RaftOptions options = RaftOptions.defaults();
    /** The replica's clock: real time, or stopped at this value while >= 0 (a frozen process). */
    final java.util.concurrent.atomic.AtomicLong frozenAt = new java.util.concurrent.atomic.AtomicLong(-1);

    Node(String id, int port) {
      this.id = id;
      this.port = port;
    }

    void start() throws IOException {
      Config config = ConfigFactory.parseString("pekko.actor.testkit.typed.single-expect-default = 10s")
          .withFallback(Remoting.artery("127.0.0.1", port)).withFallback(ConfigFactory.load());
      kit = ActorTestKit.create("distkv", config);
      log = SegmentedLog.open(tmp.resolve(id), 64 << 20, true);
      NodeLogWriter writer = NodeLogWriter.start(log, "raft-log-" + id);
      kit.spawn(writer.behavior(), "raft-log");
      sm = new MapStateMachine();
      RaftReplica.Settings settings = new RaftReplica.Settings("g", id, Configuration.ofVoters("n1", "n2", "n3"),
          options, Duration.ofMillis(50), new SnapshotPolicy(1_000_000, Long.MAX_VALUE), tmp.resolve(id + "-snapshots"),
          id.hashCode(), io.distkv.raft.LogMemoryBudget.unlimited());
      transport = new FaultyTransport(ActorTransport.byAddress(kit.system(), addresses));
      java.util.function.LongSupplier clock = () -> {
        long f = frozenAt.get();
        return f >= 0 ? f : System.nanoTime();
      };
      replica = kit.spawn(RaftReplica.create(settings, log.groups().get("g"), sm, transport, writer, clock), "raft-g");
    }

    void stop() throws IOException {
      kit.shutdownTestKit();
      log.close();
    }

    RaftReplica.Status status() {
      TestProbe<RaftReplica.Status> p = kit.createTestProbe();
      replica.tell(new RaftReplica.GetStatus(p.getRef()));
      return p.receiveMessage();
    }
  }

  @AfterEach
  void stopAll() throws IOException {
    for (Node n : nodes.values()) {
      if (n.kit != null && !n.kit.system().whenTerminated().isCompleted()) {
        n.stop();
      }
    }
  }

  Node awaitLeader(Set<String> among) {
    Node any = nodes.get(among.iterator().next());
    return any.kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
      for (String id : among) {
        Node n = nodes.get(id);
        if (n.status().role() == Role.LEADER) {
          return n;
        }
      }
      throw new AssertionError("no leader yet among " + among);
    });
  }

  /** Writes key=value through whichever node leads, retrying NOT_LEADER; returns when acknowledged. */
  void write(Set<String> among, String key, String value) {
    for (int attempt = 0; attempt < 50; attempt++) {
      Node leader = awaitLeader(among);
      TestProbe<RaftReplica.Result> p = leader.kit.createTestProbe();
      leader.replica.tell(new RaftReplica.Propose((key + "=" + value).getBytes(StandardCharsets.UTF_8), p.getRef()));
      RaftReplica.Result r = p.receiveMessage(Duration.ofSeconds(10));
      if (r.isOk()) {
        return;
      }
      assertThat(r.code()).isIn(ErrorCode.NOT_LEADER, ErrorCode.BUSY);
    }
    throw new AssertionError("write of " + key + " never acknowledged");
  }

  /** Starts n1..n3 on free loopback ports; returns their ids. */
  Set<String> startThreeNodes() throws IOException {
    return startThreeNodes(RaftOptions.defaults());
  }

  Set<String> startThreeNodes(RaftOptions options) throws IOException {
    for (String id : List.of("n1", "n2", "n3")) {
      Node n = new Node(id, FreePorts.next());
      n.options = options;
      nodes.put(id, n);
      addresses.put(id, "pekko://distkv@127.0.0.1:" + n.port);
    }
    for (Node n : nodes.values()) {
      n.start();
    }
    return Set.of("n1", "n2", "n3");
  }

  @Test
  void leaderCrashLosesNoAcknowledgedWriteAndTheRestartedNodeCatchesUp() throws Exception {
    Set<String> all = startThreeNodes();
    List<String> acknowledged = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      write(all, "k" + i, "v" + i);
      acknowledged.add("k" + i);
    }
    Node oldLeader = awaitLeader(all);
    oldLeader.stop();
    Set<String> survivors = new java.util.TreeSet<>(all);
    survivors.remove(oldLeader.id);
    Node newLeader = awaitLeader(survivors);
    assertThat(newLeader.id).isNotEqualTo(oldLeader.id);
    for (int i = 30; i < 60; i++) {
      write(survivors, "k" + i, "v" + i);
      acknowledged.add("k" + i);
    }
    // Linearizable read through the new leader sees all 60 acknowledged writes.
    TestProbe<RaftReplica.Result> rp = newLeader.kit.createTestProbe();
    newLeader.replica.tell(new RaftReplica.Read("#count".getBytes(StandardCharsets.UTF_8), rp.getRef()));
    assertThat(new String(rp.receiveMessage().value(), StandardCharsets.UTF_8)).isEqualTo("60");

    oldLeader.start(); // same port, same directory
    oldLeader.kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
      assertThat(oldLeader.sm.map.keySet()).containsAll(acknowledged);
      return null;
    });
    for (String k : acknowledged) {
      assertThat(oldLeader.sm.map.get(k)).isEqualTo("v" + k.substring(1));
    }
  }

  RaftReplica.Result ask(Node n, java.util.function.Function<ActorRef<RaftReplica.Result>, RaftReplica.Command> message) {
    TestProbe<RaftReplica.Result> p = n.kit.createTestProbe();
    n.replica.tell(message.apply(p.getRef()));
    return p.receiveMessage(Duration.ofSeconds(10));
  }

  /**
   * Found by the verifier (docs/verification.md): a leader frozen by SIGSTOP for longer than its
   * lease woke up, took a linearizable read from its mailbox before the timer's late ticks, judged
   * its lease by the ticks it had counted before the freeze, and answered with a value the new
   * leader had already overwritten. Fault schedule: lease reads on (8 of 10 ticks); the leader's
   * clock stops and its Raft paths are cut both ways (a frozen process); the other two elect a
   * leader and overwrite k; the frozen leader's clock jumps forward by the time that passed, its
   * paths heal, and a read reaches it at once. It must not answer with the overwritten value.
   */
  @Test
  void aLeaderFrozenPastItsLeaseNeverServesAStaleRead() throws Exception {
    Set<String> all = startThreeNodes(RaftOptions.defaults().withLeaseReads(8));
    write(all, "k", "before");
    Node frozen = awaitLeader(all);
    RaftReplica.Result warm = ask(frozen, reply -> new RaftReplica.Read("k".getBytes(StandardCharsets.UTF_8), reply));
    assertThat(warm.isOk()).as("lease read before the freeze: %s", warm.message()).isTrue();

    Set<String> others = new java.util.TreeSet<>(all);
    others.remove(frozen.id);
    frozen.frozenAt.set(System.nanoTime());
    frozen.transport.isolate(frozen.id, others);
    for (String other : others) {
      nodes.get(other).transport.isolate(other, Set.of(frozen.id));
    }
    Node newLeader = awaitLeader(others);
    write(others, "k", "after");

    for (String other : others) {
      nodes.get(other).transport.heal();
    }
    frozen.transport.heal();
    frozen.frozenAt.set(-1); // wakes up: its clock shows the whole freeze at once
    RaftReplica.Result r = ask(frozen, reply -> new RaftReplica.Read("k".getBytes(StandardCharsets.UTF_8), reply));
    if (r.isOk()) {
      assertThat(new String(r.value(), StandardCharsets.UTF_8)).as("read answered by %s after %s led", frozen.id, newLeader.id)
          .isEqualTo("after");
    } else {
      assertThat(r.code()).isIn(ErrorCode.NOT_LEADER, ErrorCode.NO_QUORUM, ErrorCode.TIMEOUT);
    }
  }

  @Test
  void anIsolatedReplicaIsReadOnlyTheMajorityKeepsWritingAndHealingCatchesUp() throws Exception {
    Set<String> all = startThreeNodes();
    write(all, "k", "before");
    // Fault schedule: cut every Raft path between the leader and the others, both directions.
    Node isolated = awaitLeader(all);
    Set<String> majority = new java.util.TreeSet<>(all);
    majority.remove(isolated.id);
    for (String other : majority) {
      isolated.transport.isolate(isolated.id, majority);
      nodes.get(other).transport.isolate(other, Set.of(isolated.id));
    }
    // The old leader steps down (check-quorum) and, leaderless, answers writes fast with NO_QUORUM.
    isolated.kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      RaftReplica.Result r = ask(isolated, reply -> new RaftReplica.Propose("k=minority".getBytes(StandardCharsets.UTF_8), reply));
      assertThat(r.code()).isEqualTo(ErrorCode.NO_QUORUM);
      assertThat(r.message()).contains("no quorum reachable");
      return null;
    });
    assertThat(ask(isolated, reply -> new RaftReplica.Read("k".getBytes(StandardCharsets.UTF_8), reply)).code())
        .isEqualTo(ErrorCode.NO_QUORUM);
    // Eventual reads still answer from local data.
    RaftReplica.Result local = ask(isolated, reply -> new RaftReplica.LocalRead("k".getBytes(StandardCharsets.UTF_8), reply));
    assertThat(new String(local.value(), StandardCharsets.UTF_8)).isEqualTo("before");
    // The majority side elects a leader and keeps writing.
    write(majority, "k", "majority");
    write(majority, "k2", "more");
    // Heal: the isolated replica catches up and the minority write never happened.
    nodes.values().forEach(n -> n.transport.heal());
    isolated.kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
      assertThat(isolated.sm.map).containsEntry("k", "majority").containsEntry("k2", "more");
      return null;
    });
  }
}
