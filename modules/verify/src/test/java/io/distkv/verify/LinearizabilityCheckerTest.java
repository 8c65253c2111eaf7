package io.distkv.verify;

import static io.distkv.verify.Histories.cas;
import static io.distkv.verify.Histories.casRefused;
import static io.distkv.verify.Histories.delete;
import static io.distkv.verify.Histories.get;
import static io.distkv.verify.Histories.of;
import static io.distkv.verify.Histories.put;
import static io.distkv.verify.Histories.putUnknown;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The linearizability checker on hand-built histories (each bad one flagged, each good one passed) and a big one. */
@Tag("phase4")
class LinearizabilityCheckerTest {
  final LinearizabilityChecker checker = new LinearizabilityChecker();

  CheckResult.Verdict verdict(History h) {
    return checker.check(h).verdict();
  }

  @Test
  void sequentialHistoryIsLinearizable() {
    assertThat(verdict(of(
        get(1, "k", null, 0, 0, 1),
        put(1, "k", "a", 2, 2, 3),
        get(2, "k", "a", 2, 4, 5),
        cas(2, "k", 2, "a", "b", 3, 6, 7),
        casRefused(1, "k", 2, "a", "c", 3, 8, 9),
        delete(1, "k", 4, 10, 11),
        get(2, "k", null, 0, 12, 13)))).isEqualTo(CheckResult.Verdict.VALID);
  }

  @Test
  void concurrentReadMaySeeEitherValue() {
    // put b overlaps both reads: one sees a, the next sees b: linearizable.
    assertThat(verdict(of(
        put(1, "k", "a", 1, 0, 1),
        put(1, "k", "b", 2, 2, 10),
        get(2, "k", "a", 1, 3, 4),
        get(2, "k", "b", 2, 5, 6)))).isEqualTo(CheckResult.Verdict.VALID);
  }

  @Test
  void readOfAnOverwrittenValueAfterTheOverwriteCompletedIsFlagged() {
    CheckResult r = checker.check(of(
        put(1, "k", "a", 1, 0, 1),
        put(1, "k", "b", 2, 2, 3),
        get(2, "k", "a", 1, 4, 5)));
    assertThat(r.verdict()).isEqualTo(CheckResult.Verdict.INVALID);
    assertThat(r.violations()).singleElement().asString().contains("key k").contains("not linearizable");
  }

  @Test
  void readsGoingBackInTimeAreFlagged() {
    // Both reads overlap put b, but once one read saw b a later read cannot see a again.
    assertThat(verdict(of(
        put(1, "k", "a", 1, 0, 1),
        put(1, "k", "b", 2, 2, 20),
        get(2, "k", "b", 2, 3, 4),
        get(3, "k", "a", 1, 5, 6)))).isEqualTo(CheckResult.Verdict.INVALID);
  }

  @Test
  void unknownWriteMayTakeEffectLateOrNever() {
    // The timed-out put of b is seen long after it was given up on: it took effect late.
    assertThat(verdict(of(
        put(1, "k", "a", 1, 0, 1),
        putUnknown(1, "k", "b", 2, 3),
        get(2, "k", "a", 1, 4, 5),
        get(2, "k", "b", 7, 8, 9)))).isEqualTo(CheckResult.Verdict.VALID);
    // ... or it never did.
    assertThat(verdict(of(
        put(1, "k", "a", 1, 0, 1),
        putUnknown(1, "k", "b", 2, 3),
        get(2, "k", "a", 1, 4, 5),
        get(2, "k", "a", 1, 8, 9)))).isEqualTo(CheckResult.Verdict.VALID);
  }

  @Test
  void unknownWriteCannotTakeEffectBeforeItWasSent() {
    assertThat(verdict(of(
        put(1, "k", "a", 1, 0, 1),
        get(2, "k", "b", 5, 2, 3),
        putUnknown(1, "k", "b", 4, 5)))).isEqualTo(CheckResult.Verdict.INVALID);
  }

  @Test
  void casAppliedAgainstAnotherValueIsFlagged() {
    assertThat(verdict(of(
        put(1, "k", "a", 1, 0, 1),
        put(1, "k", "b", 2, 2, 3),
        cas(2, "k", 1, "a", "c", 3, 4, 5)))).isEqualTo(CheckResult.Verdict.INVALID);
  }

  @Test
  void casRefusedWhileTheValueMatchedIsFlagged() {
    assertThat(verdict(of(
        put(1, "k", "a", 1, 0, 1),
        casRefused(2, "k", 1, "a", "c", 1, 2, 3)))).isEqualTo(CheckResult.Verdict.INVALID);
  }

  @Test
  void readOfADeletedKeyBeforeTheDeleteIsFlagged() {
    assertThat(verdict(of(
        put(1, "k", "a", 1, 0, 1),
        get(2, "k", null, 0, 2, 3),
        delete(1, "k", 2, 4, 5)))).isEqualTo(CheckResult.Verdict.INVALID);
  }

  @Test
  void budgetRunningOutAnswersUnknownNotValid() {
    List<Op> ops = Histories.simulatedRegister("k", 200, 8, 80, 3);
    assertThat(new LinearizabilityChecker(10).check(new History(ops)).verdict()).isEqualTo(CheckResult.Verdict.UNKNOWN);
  }

  @Test
  void tenThousandOperationsOfSixteenClientsOnOneKeyAreDecided() {
    List<Op> ops = Histories.simulatedRegister("k", 10_000, 16, 160, 42);
    long t0 = System.nanoTime();
    CheckResult good = checker.check(new History(ops));
    long goodMillis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(good.verdict()).as(good.violations().toString()).isEqualTo(CheckResult.Verdict.VALID);
    assertThat(good.checked()).isGreaterThan(8_000);

    // The same history with one read near the end answering a value overwritten long before.
    List<Op> bad = new ArrayList<>(ops);
    int i = bad.size() - 50;
    while (bad.get(i).type() != Op.Type.GET || bad.get(i).value() == null) {
      i--;
    }
    Op read = bad.get(i);
    Op old = ops.stream().filter(o -> o.type() == Op.Type.PUT && o.ok()).findFirst().orElseThrow();
    bad.set(i, get(read.process(), "k", old.value(), old.version(), read.invokeNanos(), read.completeNanos()));
    t0 = System.nanoTime();
    CheckResult flagged = checker.check(new History(bad));
    long badMillis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(flagged.verdict()).isEqualTo(CheckResult.Verdict.INVALID);
    System.out.printf("10,000 ops / 16 clients: valid decided in %d ms, invalid in %d ms%n", goodMillis, badMillis);
  }
}
