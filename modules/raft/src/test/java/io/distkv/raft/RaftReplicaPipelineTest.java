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
  static final ActorTestKit kit = ActorTestKit.create("pipeline");

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

  private static List<String> entries(NodeLogWriter.Append a) {
    return a.write().entries().stream().filter(e -> e.type() == Entry.Type.NORMAL)
        .map(e -> new String(e.data(), StandardCharsets.UTF_8)).toList();
  }
}
