package io.distkv.common.config;

import io.distkv.common.error.InvalidArgumentException;
import java.util.List;

/** Configuration was rejected; lists every bad key at once, each with its path and what was expected. */
public class ConfigValidationException extends InvalidArgumentException {
  private final List<String> problems;

  public ConfigValidationException(List<String> problems) {
    super("invalid configuration (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n  "
        + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per bad key, e.g. {@code distkv.replication-factor = 9: must be 1..7}. */
  public List<String> problems() {
    return problems;
  }
}
