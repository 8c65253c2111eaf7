package io.distkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Entry;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.core.Role;
import io.distkv.raft.log.NodeLogWriter;
import io.distkv.raft.remote.MapStateMachine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The replica's driver with a log writer the test controls: several Readys go to the writer before
 * the first is durable, and nothing is answered or applied until its write and every earlier one
 * is durable, in order, whatever order the writer reports in.
 */
@Tag("phase3")
class RaftReplicaPipelineTest {
  static final ActorTestKit kit = ActorTestKit.create("pipeline", com.typesafe.config.ConfigFactory.parseString(
      "one-thread { type = Dispatcher, executor = thread-pool-executor, thread-pool-executor.fixed-pool-size = 1 }"));

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static NodeLogWriter.Append persist(TestProbe<NodeLogWriter.Command> writer) {
    return writer.expectMessageClass(NodeLogWriter.Append.class, Duration.ofSeconds(5));
  }

  private static void done(NodeLogWriter.Append a) {
    if (a.afterDurable() != null) {
      a.afterDurable().run();
    }
    a.replyTo().tell(new NodeLogWriter.Persisted(a.write().group(), a.token(), null));
  }

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp;

  @Test
  void writesArePipelinedAndAnswersWaitForEveryEarlierWrite() {
    TestProbe<NodeLogWriter.Command> writer = kit.createTestProbe();
    MapStateMachine sm = new MapStateMachine();
    RaftReplica.Settings settings = new RaftReplica.Settings("g", "a", Configuration.ofVoters("a"), RaftOptions.defaults(),
        Duration.ofMillis(10), new SnapshotPolicy(Long.MAX_VALUE, Long.MAX_VALUE),
        tmp.resolve("snapshots"), 1, LogMemoryBudget.unlimited());
    ActorRef<RaftReplica.Command> replica = kit.spawn(RaftReplica.create(settings, null, sm, (group, m) -> {},
        io.distkv.raft.log.LogSink.of(writer.ref())));

    // A one-voter group elects itself; its vote and no-op entry are written before it leads.
    TestProbe<RaftReplica.Status> status = kit.createTestProbe();
    boolean leading = false;
    for (int i = 0; i < 20 && !leading; i++) {
      done(persist(writer));
      replica.tell(new RaftReplica.GetStatus(status.ref()));
      leading = status.receiveMessage().role() == Role.LEADER;
    }
    assertThat(leading).as("leads after its election writes").isTrue();

    TestProbe<RaftReplica.Result> results = kit.createTestProbe();
    replica.tell(new RaftReplica.Propose("one=1".getBytes(StandardCharsets.UTF_8), results.ref()));
    NodeLogWriter.Append first = persist(writer);
    replica.tell(new RaftReplica.Propose("two=2".getBytes(StandardCharsets.UTF_8), results.ref()));
    NodeLogWriter.Append second = persist(writer); // handed over while the first is still being written
    assertThat(entries(first)).containsExactly("one=1");
    assertThat(entries(second)).containsExactly("two=2");
    assertThat(second.token()).isGreaterThan(first.token());

    // The later write reports first: nothing may be answered or applied yet.
    done(second);
    results.expectNoMessage(Duration.ofMillis(200));
    assertThat(sm.map).doesNotContainKeys("one", "two");

    // The earlier one completes: both answers, in log order.
    done(first);
    RaftReplica.Result r1 = results.receiveMessage(Duration.ofSeconds(5));
    RaftReplica.Result r2 = results.receiveMessage(Duration.ofSeconds(5));
    assertThat(r1.isOk()).isTrue();
    assertThat(r2.index()).isEqualTo(r1.index() + 1);
    assertThat(new String(r1.value(), StandardCharsets.UTF_8)).isEqualTo("applied@" + r1.index());
    assertThat(sm.map).containsEntry("one", "1").containsEntry("two", "2");
    assertThat(sm.applied).isEqualTo(r2.index());
  }

  /**
   * A state machine whose background work the test holds: while it is full, {@code applyRoom}
   * says FULL and an apply blocks until it has room, as an LSM store's write does behind a flush.
   */
  static final class GatedStateMachine implements StateMachine {
    final MapStateMachine map = new MapStateMachine();
    volatile boolean full;
    volatile Runnable wake;

    synchronized void release() {
      full = false;
      notifyAll();
      Runnable w = wake;
      if (w != null) {
        w.run();
      }
    }

    @Override
    public Room applyRoom(Runnable wake) {
      if (full) {
        this.wake = wake;
        return Room.FULL;
      }
      return Room.NOW;
    }

    @Override
    public synchronized byte[] apply(long index, byte[] command) {
      while (full) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      return map.apply(index, command);
    }

    @Override
    public byte[] query(byte[] query) {
      return map.query(query);
    }

    @Override
    public long appliedIndex() {
      return map.appliedIndex();
    }

    @Override
    public long checkpoint(java.nio.file.Path dir) {
      return map.checkpoint(dir);
    }

    @Override
    public void restore(long index, java.nio.file.Path dir) {
      map.restore(index, dir);
    }
  }

  /** A one-voter replica on the one-thread dispatcher, leading once its election writes are done. */
  private ActorRef<RaftReplica.Command> leaderOnOneThread(String group, StateMachine sm,
      TestProbe<NodeLogWriter.Command> writer) {
    RaftReplica.Settings settings = new RaftReplica.Settings(group, "a", Configuration.ofVoters("a"),
        RaftOptions.defaults(), Duration.ofMillis(10), new SnapshotPolicy(Long.MAX_VALUE, Long.MAX_VALUE),
        tmp.resolve(group), 1, LogMemoryBudget.unlimited());
    ActorRef<RaftReplica.Command> replica = kit.spawn(RaftReplica.create(settings, null, sm, (g, m) -> {},
        io.distkv.raft.log.LogSink.of(writer.ref())), group,
        org.apache.pekko.actor.typed.DispatcherSelector.fromConfig("one-thread"));
    TestProbe<RaftReplica.Status> status = kit.createTestProbe();
    for (int i = 0; i < 20; i++) {
      done(persist(writer));
      replica.tell(new RaftReplica.GetStatus(status.ref()));
      if (status.receiveMessage().role() == Role.LEADER) {
        return replica;
      }
    }
    throw new AssertionError(group + " did not lead after its election writes");
  }

  /**
   * A replica whose state machine is full (its store behind a flush or compaction) holds its
   * committed entries back instead of blocking its thread: a second replica on the same
   * one-thread dispatcher goes on committing and answering, the first one's status shows the
   * commit ahead of the apply, and once the state machine wakes it, it applies in log order.
   */
  @Test
  void aFullStateMachineHoldsAppliesBackWithoutBlockingTheSharedThread() {
    TestProbe<NodeLogWriter.Command> writer1 = kit.createTestProbe();
    TestProbe<NodeLogWriter.Command> writer2 = kit.createTestProbe();
    GatedStateMachine gated = new GatedStateMachine();
    MapStateMachine other = new MapStateMachine();
    ActorRef<RaftReplica.Command> full = leaderOnOneThread("full", gated, writer1);
    ActorRef<RaftReplica.Command> free = leaderOnOneThread("free", other, writer2);
    gated.full = true;

    TestProbe<RaftReplica.Result> results1 = kit.createTestProbe();
    full.tell(new RaftReplica.Propose("a=1".getBytes(StandardCharsets.UTF_8), results1.ref()));
    done(persist(writer1));
    full.tell(new RaftReplica.Propose("b=2".getBytes(StandardCharsets.UTF_8), results1.ref()));
    done(persist(writer1));

    // The shared thread is free: the other replica commits, applies and answers.
    TestProbe<RaftReplica.Result> results2 = kit.createTestProbe();
    free.tell(new RaftReplica.Propose("x=9".getBytes(StandardCharsets.UTF_8), results2.ref()));
    done(persist(writer2));
    assertThat(results2.receiveMessage(Duration.ofSeconds(5)).isOk()).isTrue();
    assertThat(other.map).containsEntry("x", "9");

    // The full one committed both entries but applied neither, and says so.
    TestProbe<RaftReplica.Status> status = kit.createTestProbe();
    full.tell(new RaftReplica.GetStatus(status.ref()));
    RaftReplica.Status held = status.receiveMessage(Duration.ofSeconds(5));
    assertThat(held.commitIndex()).isGreaterThanOrEqualTo(held.appliedIndex() + 2);
    results1.expectNoMessage(Duration.ofMillis(200));
    assertThat(gated.map.map).isEmpty();

    // Room again: the state machine's wake-up lets it apply both, in order.
    gated.release();
    RaftReplica.Result r1 = results1.receiveMessage(Duration.ofSeconds(5));
    RaftReplica.Result r2 = results1.receiveMessage(Duration.ofSeconds(5));
    assertThat(r1.isOk()).isTrue();
    assertThat(r2.index()).isEqualTo(r1.index() + 1);
    assertThat(gated.map.map).containsEntry("a", "1").containsEntry("b", "2");
    full.tell(new RaftReplica.GetStatus(status.ref()));
    RaftReplica.Status after = status.receiveMessage(Duration.ofSeconds(5));
    assertThat(after.appliedIndex()).isEqualTo(after.commitIndex());
  }

  private static List<String> entries(NodeLogWriter.Append a) {
    return a.write().entries().stream().filter(e -> e.type() == Entry.Type.NORMAL)
        .map(e -> new String(e.data(), StandardCharsets.UTF_8)).toList();
  }
}
