package io.distkv.verify;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;

/** Durations on the command line, in HOCON's duration format as everywhere in dist-kv ({@code 500ms}, {@code 60s}, {@code 10m}). */
final class Durations {
  private Durations() {}

  static Duration parse(String option, String text) {
    try {
      return ConfigFactory.parseString("d = \"" + text.replace("\"", "") + "\"").getDuration("d");
    } catch (ConfigException e) {
      throw new IllegalArgumentException(option + " " + text + ": expected a duration such as 500ms, 60s or 10m");
    }
  }
}
