package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The nemesis schedule is a function of its seed; faults never overlap and stay inside the run. */
@Tag("phase4")
class NemesisScheduleTest {
  final List<Nemesis.Kind> all = Nemesis.parse("kill,pause,partition");

  @Test
  void sameSeedGivesTheSameFaults() {
    assertThat(Nemesis.schedule(42, all, 600_000, 3, 6_000)).isEqualTo(Nemesis.schedule(42, all, 600_000, 3, 6_000));
    assertThat(Nemesis.schedule(42, all, 600_000, 3, 6_000)).isNotEqualTo(Nemesis.schedule(43, all, 600_000, 3, 6_000));
  }

  @Test
  void faultsAreOneAtATimeInsideTheRunAndPausesStraddleTheDownTimeout() {
    List<Nemesis.Fault> faults = Nemesis.schedule(5, all, 600_000, 3, 6_000);
    assertThat(faults).hasSizeGreaterThan(30);
    assertThat(faults).extracting(Nemesis.Fault::kind).contains(Nemesis.Kind.values());
    long end = 0;
    for (Nemesis.Fault f : faults) {
      assertThat(f.atMillis()).isGreaterThanOrEqualTo(end + 3_000);
      end = f.atMillis() + f.durationMillis();
      assertThat(f.node()).isBetween(0, 2);
      switch (f.kind()) {
        case PAUSE_SHORT -> assertThat(f.durationMillis()).isLessThan(6_000);
        case PAUSE_LONG -> assertThat(f.durationMillis()).isGreaterThan(6_000);
        case KILL -> assertThat(f.durationMillis()).isBetween(1_000L, 5_000L);
        default -> assertThat(f.durationMillis()).isBetween(3_000L, 11_000L);
      }
    }
    assertThat(end).isLessThanOrEqualTo(600_000 - 3_000);
  }

  @Test
  void partitionSidesCutTheRightPaths() {
    Nemesis.Fault halves3 = new Nemesis.Fault(Nemesis.Kind.PARTITION_HALVES, 1, 5_000, 4_000);
    assertThat(Nemesis.sides(halves3, 1, 3)).satisfies(s -> {
      assertThat(s.get(0)).containsExactly(1);
      assertThat(s.get(1)).containsExactlyInAnyOrder(0, 2);
    });
    Nemesis.Fault halves5 = new Nemesis.Fault(Nemesis.Kind.PARTITION_HALVES, 3, 5_000, 4_000);
    assertThat(Nemesis.sides(halves5, 3, 5)).satisfies(s -> {
      assertThat(s.get(0)).hasSize(2).contains(3);
      assertThat(s.get(1)).hasSize(3).doesNotContainAnyElementsOf(s.get(0));
    });
    Nemesis.Fault leader = new Nemesis.Fault(Nemesis.Kind.PARTITION_LEADER, 0, 5_000, 4_000);
    assertThat(Nemesis.sides(leader, 2, 3)).satisfies(s -> {
      assertThat(s.get(0)).containsExactly(2);
      assertThat(s.get(1)).containsExactlyInAnyOrder(0, 1);
    });
    // A bridge: node 0 is on neither side, so it keeps both of its paths; nodes 1 and 2 are cut apart.
    Nemesis.Fault bridge = new Nemesis.Fault(Nemesis.Kind.PARTITION_BRIDGE, 0, 5_000, 4_000);
    assertThat(Nemesis.sides(bridge, 0, 3)).satisfies(s -> {
      assertThat(s.get(0)).hasSize(1).doesNotContain(0);
      assertThat(s.get(1)).hasSize(1).doesNotContain(0);
      assertThat(s.get(0)).doesNotContainAnyElementsOf(s.get(1));
    });
    assertThat(Nemesis.sides(bridge, 0, 3)).isEqualTo(Nemesis.sides(bridge, 0, 3));
  }

  @Test
  void unknownNemesisIsRefusedByName() {
    assertThatThrownBy(() -> Nemesis.parse("kill,flood")).hasMessageContaining("unknown nemesis 'flood'");
    assertThat(Nemesis.parse("none")).isEmpty();
  }
}
