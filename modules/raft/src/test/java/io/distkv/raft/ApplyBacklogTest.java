package io.distkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.error.ErrorCode;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.core.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Committed entries a full state machine cannot apply yet are bounded ({@link ApplyBacklog}): a
 * follower stops taking appends, so its leader's commits stop when no other replica acks, and a
 * leader refuses proposals with BUSY. Without the bound a node on a small heap ran out of memory
 * behind a slow store (SnapshotKillTest, -Xmx64m: the follower's log grew with every 512 KiB write
 * its store could not take yet).
 */
@Tag("phase3")
class ApplyBacklogTest {
  /** The window, hence the backlog limit: 1 MiB, the least {@link RaftOptions#withInflightBytesForHeap} gives. */
  static final RaftOptions OPTIONS = RaftOptions.defaults().withInflightBytesForHeap(1L << 20);
  static final int ENTRY_BYTES = 64 << 10;
  /** Entries in one limit's worth of bytes. */
  static final int PER_LIMIT = (int) (OPTIONS.maxInflightBytes() / ENTRY_BYTES);

  @TempDir Path tmp;
  private LocalGroup group;
  private ActorTestKit kit;

  @BeforeEach
  void begin() {
    group = new LocalGroup("backlog", tmp);
    kit = group.kit;
  }

  @AfterEach
  void stop() throws Exception {
    group.close();
  }

  private ActorRef<RaftReplica.Command> start(String id, Configuration voters, StateMachine sm) throws Exception {
    return group.start(id, voters, OPTIONS, new SnapshotPolicy(Long.MAX_VALUE, Long.MAX_VALUE), sm);
  }

  private RaftReplica.Status status(ActorRef<RaftReplica.Command> replica) {
    return group.status(replica);
  }

  private static byte[] command(int i) {
    byte[] c = new byte[ENTRY_BYTES];
    Arrays.fill(c, (byte) 'v');
    byte[] key = ("k" + i + "=").getBytes(StandardCharsets.UTF_8);
    System.arraycopy(key, 0, c, 0, key.length);
    return c;
  }

  private static long lag(RaftReplica.Status s) {
    return s.lastIndex() - s.appliedIndex();
  }

  /**
   * Two of three voters up, the follower's state machine full: the follower holds appends once a
   * limit of committed entries waits, so the leader's commits stop instead of the follower's log
   * growing with every write; heartbeats still answer (the leader keeps leading). Once the state
   * machine has room, every proposal commits and the follower applies them all, in order.
   */
  @Test
  void aFollowerBehindItsStoreStopsTakingAppends() throws Exception {
    Configuration voters = Configuration.ofVoters("a", "b", "c");
    Map<String, RaftReplicaPipelineTest.GatedStateMachine> sms = Map.of(
        "a", new RaftReplicaPipelineTest.GatedStateMachine(), "b", new RaftReplicaPipelineTest.GatedStateMachine());
    Map<String, ActorRef<RaftReplica.Command>> running = Map.of("a", start("a", voters, sms.get("a")),
        "b", start("b", voters, sms.get("b")));
    String leaderId = kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50),
        () -> running.keySet().stream().filter(id -> status(running.get(id)).role() == Role.LEADER).findFirst()
            .orElseThrow(() -> new AssertionError("no leader yet")));
    String followerId = leaderId.equals("a") ? "b" : "a";
    ActorRef<RaftReplica.Command> leader = running.get(leaderId);
    ActorRef<RaftReplica.Command> follower = running.get(followerId);
    RaftReplicaPipelineTest.GatedStateMachine gated = sms.get(followerId);
    gated.full = true;

    int n = 16 * PER_LIMIT;
    TestProbe<RaftReplica.Result> results = kit.createTestProbe();
    for (int i = 0; i < n; i++) {
      leader.tell(new RaftReplica.Propose(command(i), results.getRef()));
    }
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(20), () -> {
      assertThat(lag(status(follower))).as("entries the follower holds unapplied").isGreaterThanOrEqualTo(PER_LIMIT);
      return null;
    });
    // The follower takes no more, however many proposals wait: the limit (its unapplied entries and
    // the tail it took), one append past it and the appends it held (another window, stepped at
    // once). Unbounded, it would take all n (both voters ack once durable).
    long answered = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(lag(status(follower))).as("entries the follower holds unapplied").isLessThanOrEqualTo(3L * PER_LIMIT);
      answered += drainOk(results);
    }
    assertThat(answered).as("proposals answered while the follower's store is full").isLessThan(n);
    assertThat(status(leader).role()).as("the leader keeps leading on heartbeats").isEqualTo(Role.LEADER);

    gated.release();
    for (long i = answered; i < n; i++) {
      RaftReplica.Result r = results.receiveMessage(Duration.ofSeconds(20));
      assertThat(r.code()).as("result %d: %s", i, r.message()).isEqualTo(ErrorCode.OK);
    }
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
      assertThat(gated.map.map).hasSize(n);
      RaftReplica.Status s = status(follower);
      assertThat(s.appliedIndex()).isEqualTo(status(leader).commitIndex());
      return null;
    });
  }

  /** Counts the answers that come within 20 ms of each other; each must be OK. */
  private static long drainOk(TestProbe<RaftReplica.Result> results) {
    long n = 0;
    for (RaftReplica.Result r = poll(results); r != null; r = poll(results)) {
      assertThat(r.code()).as(r.message()).isEqualTo(ErrorCode.OK);
      n++;
    }
    return n;
  }

  private static RaftReplica.Result poll(TestProbe<RaftReplica.Result> results) {
    try {
      return results.receiveMessage(Duration.ofMillis(20));
    } catch (AssertionError none) {
      return null;
    }
  }

  /**
   * A leader whose state machine is full commits and holds a limit's worth of entries, then
   * refuses further proposals with BUSY naming the backlog; once the state machine has room, the
   * accepted ones are answered in order and new proposals are taken again.
   */
  @Test
  void aLeaderBehindItsStoreAnswersBusy() throws Exception {
    RaftReplicaPipelineTest.GatedStateMachine gated = new RaftReplicaPipelineTest.GatedStateMachine();
    ActorRef<RaftReplica.Command> leader = start("a", Configuration.ofVoters("a"), gated);
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(50), () -> {
      assertThat(status(leader).role()).isEqualTo(Role.LEADER);
      return null;
    });
    gated.full = true;

    TestProbe<RaftReplica.Result> results = kit.createTestProbe();
    int accepted = 0;
    RaftReplica.Result busy = null;
    for (int i = 0; i < 4 * PER_LIMIT && busy == null; i++) {
      leader.tell(new RaftReplica.Propose(command(i), results.getRef()));
      // Each one commits before the next is proposed (its log write is done): committed, not applied.
      long target = status(leader).lastIndex();
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(5), () -> {
        assertThat(status(leader).commitIndex()).isEqualTo(target);
        return null;
      });
      busy = poll(results); // a refusal is sent before the status is answered
      if (busy == null) {
        accepted++;
      }
    }
    assertThat(busy).as("a proposal refused once the backlog is full").isNotNull();
    assertThat(busy.code()).isEqualTo(ErrorCode.BUSY);
    assertThat(busy.message()).contains("wait to be applied");
    assertThat(accepted).isEqualTo(PER_LIMIT);

    gated.release();
    long last = 0;
    for (int i = 0; i < accepted; i++) {
      RaftReplica.Result r = results.receiveMessage(Duration.ofSeconds(10));
      assertThat(r.code()).isEqualTo(ErrorCode.OK);
      assertThat(r.index()).isGreaterThan(last);
      last = r.index();
    }
    leader.tell(new RaftReplica.Propose("after=1".getBytes(StandardCharsets.UTF_8), results.getRef()));
    assertThat(results.receiveMessage(Duration.ofSeconds(10)).code()).isEqualTo(ErrorCode.OK);
    assertThat(gated.map.map).hasSize(accepted + 1);
  }
}
