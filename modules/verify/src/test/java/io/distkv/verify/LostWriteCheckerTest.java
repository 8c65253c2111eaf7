package io.distkv.verify;

import static io.distkv.verify.Histories.add;
import static io.distkv.verify.Histories.finalRead;
import static io.distkv.verify.Histories.of;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The set workload's check flags lost, resurrected and invented elements; an unread element is UNKNOWN, not valid. */
@Tag("phase4")
class LostWriteCheckerTest {
  final LostWriteChecker checker = new LostWriteChecker();

  @Test
  void everyAcknowledgedElementFoundPasses() {
    CheckResult r = checker.check(of(
        add("e1", Op.Outcome.OK, 0, 1),
        add("e2", Op.Outcome.UNKNOWN, 0, 1),
        add("e3", Op.Outcome.UNKNOWN, 0, 1),
        finalRead("e1", "e1", 5, 6),
        finalRead("e2", "e2", 5, 6),
        finalRead("e3", null, 5, 6)));
    assertThat(r.verdict()).isEqualTo(CheckResult.Verdict.VALID);
    assertThat(r.checked()).isEqualTo(3);
  }

  @Test
  void lostAcknowledgedElementIsFlagged() {
    CheckResult r = checker.check(of(add("e1", Op.Outcome.OK, 0, 1), finalRead("e1", null, 5, 6)));
    assertThat(r.verdict()).isEqualTo(CheckResult.Verdict.INVALID);
    assertThat(r.violations()).singleElement().asString().contains("missing after healing");
  }

  @Test
  void elementOfAFailedAddFoundIsFlagged() {
    CheckResult r = checker.check(of(add("e1", Op.Outcome.FAIL, 0, 1), finalRead("e1", "e1", 5, 6)));
    assertThat(r.violations()).singleElement().asString().contains("reported as not applied");
  }

  @Test
  void elementNeverAddedIsFlagged() {
    CheckResult r = checker.check(of(finalRead("e9", "e9", 5, 6)));
    assertThat(r.violations()).singleElement().asString().contains("never added");
  }

  @Test
  void acknowledgedElementWithoutAFinalReadIsUnknown() {
    CheckResult r = checker.check(of(add("e1", Op.Outcome.OK, 0, 1)));
    assertThat(r.verdict()).isEqualTo(CheckResult.Verdict.UNKNOWN);
  }
}
