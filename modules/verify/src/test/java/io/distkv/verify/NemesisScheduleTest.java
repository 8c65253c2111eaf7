package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The nemesis schedule is a function of its seed; faults never overlap and stay inside the run. */
@Tag("phase4")
class NemesisScheduleTest {
  final List<Nemesis.Kind> all = Nemesis.parse("kill,pause");

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
      }
    }
    assertThat(end).isLessThanOrEqualTo(600_000 - 3_000);
  }

  @Test
  void unknownNemesisIsRefusedByName() {
    assertThatThrownBy(() -> Nemesis.parse("kill,flood")).hasMessageContaining("unknown nemesis 'flood'");
    assertThat(Nemesis.parse("none")).isEmpty();
  }
}
