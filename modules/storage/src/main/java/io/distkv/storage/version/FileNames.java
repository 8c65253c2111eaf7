package io.distkv.storage.version;

import java.nio.file.Path;

/** Names of the files in a store directory (docs/formats.md "Directory layout"). */
public final class FileNames {
  public static final String CURRENT = "CURRENT";
  public static final String LOCK = "LOCK";

  private FileNames() {}

  public static String table(long number) {
    return String.format("%06d.sst", number);
  }

  public static String wal(long number) {
    return String.format("%06d.log", number);
  }

  public static String manifest(long number) {
    return String.format("MANIFEST-%06d", number);
  }

  /** Kind and number of a file name, or null if it is not one of ours. */
  public record Parsed(Kind kind, long number) {}

  public enum Kind { TABLE, WAL, MANIFEST, CURRENT, LOCK, TEMP }

  public static Parsed parse(Path file) {
    String n = file.getFileName().toString();
    try {
      if (n.equals(CURRENT)) {
        return new Parsed(Kind.CURRENT, 0);
      }
      if (n.equals(LOCK)) {
        return new Parsed(Kind.LOCK, 0);
      }
      if (n.endsWith(".tmp")) {
        return new Parsed(Kind.TEMP, 0);
      }
      if (n.startsWith("MANIFEST-")) {
        return new Parsed(Kind.MANIFEST, Long.parseLong(n.substring(9)));
      }
      if (n.endsWith(".sst")) {
        return new Parsed(Kind.TABLE, Long.parseLong(n.substring(0, n.length() - 4)));
      }
      if (n.endsWith(".log")) {
        return new Parsed(Kind.WAL, Long.parseLong(n.substring(0, n.length() - 4)));
      }
    } catch (NumberFormatException e) {
      return null;
    }
    return null;
  }
}
