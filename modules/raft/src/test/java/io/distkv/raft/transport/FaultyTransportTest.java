package io.distkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.raft.core.RaftMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase4")
class FaultyTransportTest {
  final List<RaftMessage> delivered = new ArrayList<>();
  final FaultyTransport t = new FaultyTransport((group, m) -> delivered.add(m), 42);

  static RaftMessage msg(String from, String to) {
    return new RaftMessage.TimeoutNow(from, to, 1);
  }

  @Test
  void cutsAreDirectedSplitsAreSymmetricAndHealRestores() {
    t.cut("a", "b");
    t.send("g", msg("a", "b"));
    t.send("g", msg("b", "a"));
    assertThat(delivered).containsExactly(msg("b", "a"));
    delivered.clear();
    t.heal();
    t.split(Set.of("a"), Set.of("b", "c"));
    for (String x : List.of("a", "b", "c")) {
      for (String y : List.of("a", "b", "c")) {
        if (!x.equals(y)) {
          t.send("g", msg(x, y));
        }
      }
    }
    assertThat(delivered).containsExactlyInAnyOrder(msg("b", "c"), msg("c", "b"));
    delivered.clear();
    t.heal();
    t.send("g", msg("a", "b"));
    assertThat(delivered).hasSize(1);
  }

  @Test
  void dropAndDuplicateRatesApplyPerPathAndAreSeeded() {
    t.drop("a", "b", 0.5);
    t.duplicate("a", "c", 1.0);
    for (int i = 0; i < 1000; i++) {
      t.send("g", msg("a", "b"));
    }
    long toB = delivered.size();
    assertThat(toB).isBetween(400L, 600L);
    delivered.clear();
    t.send("g", msg("a", "c"));
    assertThat(delivered).hasSize(2);
    // Same seed, same schedule.
    List<RaftMessage> again = new ArrayList<>();
    FaultyTransport replay = new FaultyTransport((group, m) -> again.add(m), 42);
    replay.drop("a", "b", 0.5);
    for (int i = 0; i < 1000; i++) {
      replay.send("g", msg("a", "b"));
    }
    assertThat((long) again.size()).isEqualTo(toB);
  }
}
