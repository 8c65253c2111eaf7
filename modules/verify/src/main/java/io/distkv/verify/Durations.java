package io.distkv.verify;

import java.time.Duration;
import java.util.Locale;

/** Durations on the command line: {@code 500ms}, {@code 60s}, {@code 10m}. */
final class Durations {
  private Durations() {}

  static Duration parse(String option, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      if (t.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      if (t.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(option + " " + text + ": expected a duration such as 500ms, 60s or 10m");
  }
}
