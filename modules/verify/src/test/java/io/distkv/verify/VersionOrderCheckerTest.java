package io.distkv.verify;

import static io.distkv.verify.Histories.cas;
import static io.distkv.verify.Histories.delete;
import static io.distkv.verify.Histories.eventual;
import static io.distkv.verify.Histories.get;
import static io.distkv.verify.Histories.of;
import static io.distkv.verify.Histories.put;
import static io.distkv.verify.Histories.putUnknown;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The version-order checker flags stale, double-applied, invented and out-of-order versions and passes good histories. */
@Tag("phase4")
class VersionOrderCheckerTest {
  final VersionOrderChecker checker = new VersionOrderChecker();

  CheckResult check(Op... ops) {
    return checker.check(of(ops));
  }

  @Test
  void goodHistoryPasses() {
    CheckResult r = check(
        put(1, "k", "a", 5, 0, 1),
        get(2, "k", "a", 5, 2, 3),
        cas(2, "k", 5, "a", "b", 9, 4, 5),
        putUnknown(1, "k", "c", 6, 7),
        get(1, "k", "c", 12, 8, 9),
        get(2, "k", "c", 12, 10, 11),
        eventual(3, "k", "a", 5, 12, 13),
        delete(1, "k", 14, 14, 15),
        get(2, "k", null, 0, 16, 17));
    assertThat(r.verdict()).as(r.violations().toString()).isEqualTo(CheckResult.Verdict.VALID);
  }

  @Test
  void staleReadIsFlagged() {
    CheckResult r = check(
        put(1, "k", "a", 5, 0, 1),
        put(1, "k", "b", 7, 2, 3),
        get(2, "k", "a", 5, 4, 5));
    assertThat(r.verdict()).isEqualTo(CheckResult.Verdict.INVALID);
    assertThat(r.violations()).singleElement().asString().contains("stale read");
  }

  @Test
  void staleAbsentReadWithoutADeleteIsFlagged() {
    CheckResult r = check(
        put(1, "k", "a", 5, 0, 1),
        get(2, "k", null, 0, 4, 5));
    assertThat(r.violations()).singleElement().asString().contains("stale read: absent");
  }

  @Test
  void valueUnderTwoVersionsIsFlaggedAsAppliedTwice() {
    CheckResult r = check(
        put(1, "k", "a", 5, 0, 1),
        get(2, "k", "a", 8, 2, 3));
    assertThat(r.violations()).singleElement().asString().contains("applied twice");
    // Also when the write's own answer was lost: two reads disagree.
    CheckResult unknown = check(
        putUnknown(1, "k", "a", 0, 1),
        get(2, "k", "a", 5, 2, 3),
        get(2, "k", "a", 8, 4, 5));
    assertThat(unknown.violations()).singleElement().asString().contains("applied twice");
  }

  @Test
  void twoValuesUnderOneVersionAreFlagged() {
    CheckResult r = check(
        put(1, "k", "a", 5, 0, 1),
        put(2, "k", "b", 5, 0, 1));
    assertThat(r.violations()).singleElement().asString().contains("version 5 carries both");
  }

  @Test
  void valueNeverWrittenIsFlaggedEvenForEventualReads() {
    CheckResult r = check(
        put(1, "k", "a", 5, 0, 1),
        eventual(2, "k", "zz", 6, 2, 3));
    assertThat(r.violations()).singleElement().asString().contains("no write of this key carried");
  }

  @Test
  void writeVersionNotAboveAnEarlierCompletedOneIsFlagged() {
    CheckResult r = check(
        put(1, "k", "a", 9, 0, 1),
        put(2, "k", "b", 7, 2, 3));
    assertThat(r.violations()).singleElement().asString().contains("not above version 9");
  }

  @Test
  void readOfAWriteReportedAsNotAppliedIsFlagged() {
    CheckResult r = check(
        put(1, "k", "a", 5, 0, 1),
        Histories.casRefused(2, "k", 4, "x", "b", 5, 2, 3),
        get(2, "k", "b", 6, 4, 5));
    assertThat(r.violations()).anySatisfy(v -> assertThat(v).contains("reported as not applied"));
  }

  @Test
  void generatedLinearizableHistoryPasses() {
    CheckResult r = checker.check(new History(Histories.simulatedRegister("k", 5_000, 16, 160, 7)));
    assertThat(r.verdict()).as(r.violations().toString()).isEqualTo(CheckResult.Verdict.VALID);
  }
}
