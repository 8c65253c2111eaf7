package io.distkv.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads typed values out of a {@link Config} while collecting every problem instead of stopping at
 * the first, so that a user fixing a config file sees all mistakes in one run.
 */
public final class ConfigReader {
  private final Config config;
  private final List<String> problems = new ArrayList<>();

  public ConfigReader(Config config) {
    this.config = config;
  }

  public List<String> problems() {
    return problems;
  }

  /** Records a problem for {@code path} unless there already is one for it. */
  public void problem(String path, String expectation) {
    String prefix = path + " = ";
    for (String p : problems) {
      if (p.startsWith(prefix) || p.startsWith(path + ":")) {
        return;
      }
    }
    problems.add(path + " = " + render(path) + ": " + expectation);
  }

  /** Throws {@link ConfigValidationException} if any problem was recorded. */
  public void throwIfInvalid() {
    if (!problems.isEmpty()) {
      throw new ConfigValidationException(problems);
    }
  }

  public boolean bool(String path) {
    if (!present(path)) {
      return false;
    }
    try {
      return config.getBoolean(path);
    } catch (ConfigException.WrongType e) {
      problem(path, "expected on or off (a boolean)");
      return false;
    }
  }

  public String string(String path, boolean required) {
    if (!present(path)) {
      return null;
    }
    try {
      String v = config.getString(path);
      if (required && v.isBlank()) {
        problems.add(path + ": is required (a non-empty string)");
        return null;
      }
      return v;
    } catch (ConfigException.WrongType e) {
      problem(path, "expected a string");
      return null;
    }
  }

  public int intInRange(String path, int min, int max) {
    if (!present(path)) {
      return min;
    }
    try {
      int v = config.getInt(path);
      if (v < min || v > max) {
        problem(path, "must be " + min + ".." + max);
      }
      return v;
    } catch (ConfigException.WrongType e) {
      problem(path, "expected an integer " + min + ".." + max);
      return min;
    }
  }

  public Duration positiveDuration(String path) {
    return duration(path, false);
  }

  /** A duration ≥ 0 (0 usually meaning "off"). */
  public Duration nonNegativeDuration(String path) {
    return duration(path, true);
  }

  private Duration duration(String path, boolean zeroAllowed) {
    if (!present(path)) {
      return Duration.ofMillis(1);
    }
    try {
      Duration d = config.getDuration(path);
      if (d.isNegative() || (d.isZero() && !zeroAllowed)) {
        problem(path, zeroAllowed ? "must be a duration >= 0 (e.g. 10s; 0 = off)" : "must be a positive duration (e.g. 500ms, 2s)");
      }
      return d;
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      problem(path, "expected a duration (e.g. 500ms, 2s)");
      return Duration.ofMillis(1);
    }
  }

  public long bytesInRange(String path, long min, long max) {
    if (!present(path)) {
      return min;
    }
    try {
      long v = config.getBytes(path);
      if (v < min || v > max) {
        problem(path, "must be " + min + ".." + max + " bytes");
      }
      return v;
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      problem(path, "expected a size (e.g. 4KiB, 1MiB)");
      return min;
    }
  }

  /**
   * A size, or a share of the heap written {@code "N%"} (N from 1 to 90) and resolved against
   * {@code heapBytes}; either way at least {@code min} and at most {@code max} bytes.
   */
  public long bytesOrHeapShare(String path, long min, long max, long heapBytes) {
    if (!present(path)) {
      return min;
    }
    String raw = config.getValue(path).unwrapped().toString().trim();
    if (!raw.endsWith("%")) {
      return bytesInRange(path, min, max);
    }
    int percent;
    try {
      percent = Integer.parseInt(raw.substring(0, raw.length() - 1).trim());
    } catch (NumberFormatException e) {
      problem(path, "expected a size (e.g. 64MiB) or a whole percentage of the heap (e.g. 10%)");
      return min;
    }
    if (percent < 1 || percent > 90) {
      problem(path, "a share of the heap must be 1%..90%");
      return min;
    }
    long v = heapBytes / 100 * percent;
    if (v < min || v > max) {
      problem(path, percent + "% of the heap (" + heapBytes + " bytes) is " + v + " bytes; must be " + min + ".."
          + max + " bytes");
    }
    return v;
  }

  public List<String> stringList(String path) {
    if (!present(path)) {
      return List.of();
    }
    try {
      return config.getStringList(path);
    } catch (ConfigException.WrongType e) {
      problem(path, "expected a list of strings");
      return List.of();
    }
  }

  private boolean present(String path) {
    try {
      if (!config.hasPathOrNull(path)) {
        problems.add(path + ": is missing");
        return false;
      }
      if (config.getIsNull(path)) {
        problems.add(path + ": must not be null");
        return false;
      }
      return true;
    } catch (ConfigException.BadPath e) {
      problems.add(path + ": bad path (" + e.getMessage() + ")");
      return false;
    }
  }

  private String render(String path) {
    try {
      ConfigValue v = config.getValue(path);
      // Strings as written (500ms, not "500ms"); lists and objects in concise HOCON.
      return v.valueType() == com.typesafe.config.ConfigValueType.STRING
          ? String.valueOf(v.unwrapped())
          : v.render(com.typesafe.config.ConfigRenderOptions.concise());
    } catch (ConfigException e) {
      return "<missing>";
    }
  }
}
