package io.distkv.raft.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.raft.core.Entry;
import io.distkv.raft.core.HardState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("phase3")
class NodeLogWriterTest {
  static final ActorTestKit testKit = ActorTestKit.create();
  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void sixtyFourGroupsShareFsyncsAndEveryAppendIsDurableWhenAcknowledged() throws Exception {
    int groups = 64;
    int perGroup = 10;
    try (SegmentedLog log = SegmentedLog.open(dir, 64 << 20, true)) {
      ActorRef<NodeLogWriter.Command> writer = testKit.spawn(NodeLogWriter.create(log));
      TestProbe<NodeLogWriter.Persisted> probe = testKit.createTestProbe();
      // Like 64 Raft groups: each keeps one append in flight and sends the next when acknowledged.
      long[] next = new long[groups];
      for (int g = 0; g < groups; g++) {
        next[g] = 1;
        send(writer, probe, g, next[g]);
      }
      int acknowledged = 0;
      while (acknowledged < groups * perGroup) {
        NodeLogWriter.Persisted p = probe.receiveMessage(Duration.ofSeconds(30));
        assertThat(p.error()).isNull();
        acknowledged++;
        int g = Integer.parseInt(p.group().substring(1));
        assertThat(p.token()).isEqualTo(next[g]);
        if (++next[g] <= perGroup) {
          send(writer, probe, g, next[g]);
        }
      }
      TestProbe<NodeLogWriter.Stats> stats = testKit.createTestProbe();
      writer.tell(new NodeLogWriter.GetStats(stats.getRef()));
      NodeLogWriter.Stats s = stats.receiveMessage();
      assertThat(s.appends()).isEqualTo(groups * perGroup);
      // 640 appends from 64 groups: far fewer rounds (and fsyncs) than appends.
      assertThat(s.rounds()).isLessThan(groups * perGroup / 4);
      assertThat(s.fsyncs()).isLessThanOrEqualTo(s.rounds() + 2);
    }
    try (SegmentedLog log = SegmentedLog.open(dir, 64 << 20, true)) {
      assertThat(log.groups()).hasSize(groups);
      log.groups().values().forEach(st -> assertThat(st.entries()).hasSize(perGroup));
    }
  }

  @Test
  void removeGroupComesAfterTheAppendsQueuedBeforeItAndSurvivesReopen() throws Exception {
    Path removeDir = dir.resolve("remove");
    try (SegmentedLog log = SegmentedLog.open(removeDir, 64 << 20, true)) {
      ActorRef<NodeLogWriter.Command> writer = testKit.spawn(NodeLogWriter.create(log));
      TestProbe<NodeLogWriter.Persisted> probe = testKit.createTestProbe();
      send(writer, probe, 1, 1);
      send(writer, probe, 2, 1);
      writer.tell(new NodeLogWriter.RemoveGroup("g1", probe.getRef()));
      List<NodeLogWriter.Persisted> answers = List.of(probe.receiveMessage(Duration.ofSeconds(10)),
          probe.receiveMessage(Duration.ofSeconds(10)), probe.receiveMessage(Duration.ofSeconds(10)));
      assertThat(answers).allSatisfy(p -> assertThat(p.error()).isNull());
      assertThat(answers.get(2)).isEqualTo(new NodeLogWriter.Persisted("g1", -1, null)); // the removal is answered last
    }
    try (SegmentedLog log = SegmentedLog.open(removeDir, 64 << 20, true)) {
      assertThat(log.groups()).containsOnlyKeys("g2");
    }
  }

  @Test
  void afterDurableRunsOnTheWriterBeforePersistedAndNeverAfterAFailedWriteOfItsGroup() throws Exception {
    try (SegmentedLog log = SegmentedLog.open(dir.resolve("after"), 64 << 20, true)) {
      NodeLogWriter writer = NodeLogWriter.start(log, "after-durable-test");
      ActorRef<NodeLogWriter.Command> actor = testKit.spawn(writer.behavior());
      TestProbe<NodeLogWriter.Persisted> probe = testKit.createTestProbe();
      List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();

      writer.append(new NodeLogWriter.Append(write("g1", 1), 1, probe.getRef(),
          () -> ran.add("g1:1 on " + Thread.currentThread().getName())));
      NodeLogWriter.Persisted p1 = probe.receiveMessage(Duration.ofSeconds(10));
      assertThat(p1.error()).isNull();
      assertThat(ran).containsExactly("g1:1 on after-durable-test"); // ran before Persisted was told

      // A write that fails (an entry the log cannot encode): no action, the error is reported ...
      SegmentedLog.GroupWrite bad = new SegmentedLog.GroupWrite("g2", null, null, java.util.Arrays.asList((Entry) null));
      writer.append(new NodeLogWriter.Append(bad, 1, probe.getRef(), () -> ran.add("g2:1")));
      assertThat(probe.receiveMessage(Duration.ofSeconds(10)).error()).isNotNull();
      // ... and a later write of that group is refused, so nothing lands after the gap.
      writer.append(new NodeLogWriter.Append(write("g2", 2), 2, probe.getRef(), () -> ran.add("g2:2")));
      NodeLogWriter.Persisted refused = probe.receiveMessage(Duration.ofSeconds(10));
      assertThat(refused.error()).hasMessageContaining("g2").hasMessageContaining("earlier write of it failed");
      // Other groups go on.
      writer.append(new NodeLogWriter.Append(write("g1", 2), 2, probe.getRef(), () -> ran.add("g1:2")));
      assertThat(probe.receiveMessage(Duration.ofSeconds(10)).error()).isNull();
      assertThat(ran).containsExactly("g1:1 on after-durable-test", "g1:2");
      testKit.stop(actor);
    }
    try (SegmentedLog log = SegmentedLog.open(dir.resolve("after"), 64 << 20, true)) {
      assertThat(log.groups().get("g1").entries()).hasSize(2);
    }
  }

  private static SegmentedLog.GroupWrite write(String group, long index) {
    return new SegmentedLog.GroupWrite(group, new HardState(1, null, index - 1), null,
        List.of(Entry.normal(index, 1, new byte[100])));
  }

  private static void send(ActorRef<NodeLogWriter.Command> writer, TestProbe<NodeLogWriter.Persisted> probe, int g, long index) {
    writer.tell(new NodeLogWriter.Append(
        new SegmentedLog.GroupWrite("g" + g, new HardState(1, null, index - 1), null,
            List.of(Entry.normal(index, 1, new byte[100]))),
        index, probe.getRef()));
  }
}
