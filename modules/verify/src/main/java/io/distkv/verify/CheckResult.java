package io.distkv.verify;

import java.util.List;

/**
 * What one checker concluded about a history.
 *
 * @param checker the checker's name
 * @param verdict valid, invalid, or unknown (the search budget ran out: never taken as valid)
 * @param violations what was wrong, each naming the key and the operations involved
 * @param checked how many operations or keys it looked at (for the summary)
 */
public record CheckResult(String checker, Verdict verdict, List<String> violations, int checked) {
  /** A checker's conclusion. */
  public enum Verdict { VALID, INVALID, UNKNOWN }

  static CheckResult of(String checker, List<String> violations, boolean exhausted, int checked) {
    Verdict v = !violations.isEmpty() ? Verdict.INVALID : exhausted ? Verdict.UNKNOWN : Verdict.VALID;
    return new CheckResult(checker, v, List.copyOf(violations), checked);
  }
}
