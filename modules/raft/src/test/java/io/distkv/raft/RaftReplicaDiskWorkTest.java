package io.distkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.core.Role;
import io.distkv.raft.remote.MapStateMachine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A state machine's disk work never runs on the replica's thread (the default dispatcher, which
 * Artery's streams share): the leader's checkpoint for a new follower and the follower's install
 * of it run on the disk dispatcher, and the group goes on committing meanwhile.
 */
@Tag("phase3")
class RaftReplicaDiskWorkTest {
  @TempDir Path tmp;
  private LocalGroup group;
  private ActorTestKit kit;

  @BeforeEach
  void begin() {
    group = new LocalGroup("diskwork", tmp);
    kit = group.kit;
  }

  @AfterEach
  void stop() throws Exception {
    group.close();
  }

  /** A map whose applied index counts as durable (the log may be compacted), recording the threads it is called on. */
  static final class RecordingStateMachine implements StateMachine {
    final MapStateMachine map = new MapStateMachine();
    final Map<String, List<String>> threads = new ConcurrentHashMap<>();
    /** Counted down when a checkpoint begins. */
    final java.util.concurrent.CountDownLatch checkpointBegun = new java.util.concurrent.CountDownLatch(1);
    /** If set, a checkpoint waits for it (a slow disk). */
    volatile java.util.concurrent.CountDownLatch checkpointGate;

    private void record(String call) {
      threads.computeIfAbsent(call, c -> new CopyOnWriteArrayList<>()).add(Thread.currentThread().getName());
    }

    @Override
    public byte[] apply(long index, byte[] command) {
      record("apply");
      return map.apply(index, command);
    }

    /** "#disk" stands for a query that writes files (the KV store's backup checkpoint). */
    @Override
    public boolean queryDoesDiskWork(byte[] query) {
      return new String(query, StandardCharsets.UTF_8).equals("#disk");
    }

    @Override
    public byte[] query(byte[] query) {
      if (queryDoesDiskWork(query)) {
        record("disk query");
        return map.query("#count".getBytes(StandardCharsets.UTF_8));
      }
      return map.query(query);
    }

    @Override
    public long appliedIndex() {
      return map.applied;
    }

    @Override
    public long checkpoint(Path dir) {
      record("checkpoint");
      checkpointBegun.countDown();
      java.util.concurrent.CountDownLatch gate = checkpointGate;
      if (gate != null) {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      return map.checkpoint(dir);
    }

    @Override
    public void restore(long index, Path dir) {
      record("restore");
      map.restore(index, dir);
    }
  }

  private ActorRef<RaftReplica.Command> awaitLeader(Map<String, ActorRef<RaftReplica.Command>> running) {
    return kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50),
        () -> running.values().stream().filter(r -> status(r).role() == Role.LEADER).findFirst()
            .orElseThrow(() -> new AssertionError("no leader yet")));
  }

  private void write(ActorRef<RaftReplica.Command> leader, int from, int to) {
    TestProbe<RaftReplica.Result> results = kit.createTestProbe();
    for (int i = from; i < to; i++) {
      leader.tell(new RaftReplica.Propose(("k" + i + "=" + i).getBytes(StandardCharsets.UTF_8), results.getRef()));
      assertThat(results.receiveMessage(Duration.ofSeconds(10)).isOk()).isTrue();
    }
  }

  private ActorRef<RaftReplica.Command> start(String id, Configuration voters, RecordingStateMachine sm) throws Exception {
    return group.start(id, voters, RaftOptions.defaults(), new SnapshotPolicy(20, Long.MAX_VALUE), sm);
  }

  private RaftReplica.Status status(ActorRef<RaftReplica.Command> replica) {
    return group.status(replica);
  }

  @Test
  void checkpointInstallAndDiskQueriesRunOnTheDiskDispatcher() throws Exception {
    Configuration voters = Configuration.ofVoters("a", "b", "c");
    RecordingStateMachine smA = new RecordingStateMachine();
    RecordingStateMachine smB = new RecordingStateMachine();
    RecordingStateMachine smC = new RecordingStateMachine();
    ActorRef<RaftReplica.Command> a = start("a", voters, smA);
    ActorRef<RaftReplica.Command> b = start("b", voters, smB);
    Map<String, ActorRef<RaftReplica.Command>> running = Map.of("a", a, "b", b);
    ActorRef<RaftReplica.Command> leader = awaitLeader(running);

    // 100 writes with c down: the log is compacted every 20 entries, so c will need a snapshot.
    write(leader, 0, 100);
    TestProbe<RaftReplica.Result> results = kit.createTestProbe();
    assertThat(status(leader).snapshotIndex()).as("the leader's log was compacted").isGreaterThan(20);

    ActorRef<RaftReplica.Command> c = start("c", voters, smC);
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
      assertThat(smC.map.map).hasSize(100);
      return null;
    });
    // The group kept committing while c caught up, and c goes on applying after the install.
    leader.tell(new RaftReplica.Propose("after=1".getBytes(StandardCharsets.UTF_8), results.getRef()));
    assertThat(results.receiveMessage(Duration.ofSeconds(10)).isOk()).isTrue();
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
      assertThat(smC.map.map).containsEntry("after", "1");
      return null;
    });

    // A query that does disk work runs off the replica's thread too, and answers.
    leader.tell(new RaftReplica.Read("#disk".getBytes(StandardCharsets.UTF_8), results.getRef()));
    RaftReplica.Result disk = results.receiveMessage(Duration.ofSeconds(10));
    assertThat(disk.isOk()).isTrue();
    assertThat(new String(disk.value(), StandardCharsets.UTF_8)).isEqualTo("101");

    RecordingStateMachine leaderSm = leader.equals(a) ? smA : smB;
    assertThat(leaderSm.threads.get("disk query")).isNotEmpty()
        .allSatisfy(t -> assertThat(t).contains("distkv-disk-dispatcher"));
    assertThat(leaderSm.threads.get("checkpoint")).as("the leader's checkpoints").isNotEmpty()
        .allSatisfy(t -> assertThat(t).contains("distkv-disk-dispatcher"));
    assertThat(smC.threads.get("restore")).as("c's install").isNotEmpty()
        .allSatisfy(t -> assertThat(t).contains("distkv-disk-dispatcher"));
    assertThat(smC.threads.get("apply")).as("c's applies").isNotEmpty()
        .allSatisfy(t -> assertThat(t).doesNotContain("distkv-disk-dispatcher"));
    assertThat(status(c).appliedIndex()).isEqualTo(status(c).commitIndex());
  }

  /**
   * The log's last entries may change no state (a membership change, a new leader's no-op): the
   * checkpoint then holds the state machine's last index, below the replica's applied index, and
   * the snapshot is made at that index (a learner added by add-node waited forever for one made
   * at the applied index, which the checkpoint never held).
   */
  @Test
  void aLearnerAddedAfterTheLastWriteIsBroughtUpByASnapshot() throws Exception {
    Configuration voters = Configuration.ofVoters("a", "b", "c");
    Map<String, RecordingStateMachine> sms = Map.of("a", new RecordingStateMachine(), "b", new RecordingStateMachine(),
        "c", new RecordingStateMachine());
    Map<String, ActorRef<RaftReplica.Command>> running = new java.util.HashMap<>();
    for (String id : List.of("a", "b", "c")) {
      running.put(id, start(id, voters, sms.get(id)));
    }
    ActorRef<RaftReplica.Command> leader = awaitLeader(running);
    write(leader, 0, 100);
    TestProbe<RaftReplica.Result> results = kit.createTestProbe();
    leader.tell(new RaftReplica.ChangeMembership(new io.distkv.raft.core.ConfChange(
        io.distkv.raft.core.ConfChange.Type.ADD_LEARNER, "d"), results.getRef()));
    assertThat(results.receiveMessage(Duration.ofSeconds(10)).isOk()).isTrue();
    RaftReplica.Status before = status(leader);
    assertThat(before.snapshotIndex()).as("the leader's log was compacted").isGreaterThan(20);

    RecordingStateMachine smD = new RecordingStateMachine();
    ActorRef<RaftReplica.Command> d = start("d", new Configuration(java.util.Set.of(), java.util.Set.of()), smD);
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
      assertThat(smD.map.map).hasSize(100);
      assertThat(status(d).appliedIndex()).isGreaterThanOrEqualTo(before.appliedIndex());
      return null;
    });
    assertThat(smD.threads.get("restore")).as("d was brought up by a snapshot").isNotEmpty();
  }

  /** A replica told to retire while its checkpoint runs answers once the checkpoint ends: its node closes the store then. */
  @Test
  void retiringWaitsForRunningDiskWork() throws Exception {
    Configuration voters = Configuration.ofVoters("a", "b", "c");
    RecordingStateMachine smA = new RecordingStateMachine();
    RecordingStateMachine smB = new RecordingStateMachine();
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    smA.checkpointGate = gate;
    smB.checkpointGate = gate;
    ActorRef<RaftReplica.Command> a = start("a", voters, smA);
    ActorRef<RaftReplica.Command> b = start("b", voters, smB);
    ActorRef<RaftReplica.Command> leader = awaitLeader(Map.of("a", a, "b", b));
    write(leader, 0, 100);
    start("c", voters, new RecordingStateMachine()); // needs a snapshot: the leader's checkpoint begins, and hangs
    RecordingStateMachine leaderSm = leader.equals(a) ? smA : smB;
    assertThat(leaderSm.checkpointBegun.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    TestProbe<RaftReplica.Retired> retired = kit.createTestProbe();
    leader.tell(new RaftReplica.Retire(retired.getRef()));
    retired.expectNoMessage(Duration.ofMillis(300));
    gate.countDown();
    assertThat(retired.receiveMessage(Duration.ofSeconds(10)).group()).isEqualTo("g");
  }
}
