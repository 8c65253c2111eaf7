package io.distkv.common.backup;

import io.distkv.common.error.InvalidArgumentException;
import java.util.regex.Pattern;

/**
 * A backup's id: it names the checkpoint directory each partition's leader writes under
 * {@code <data-dir>/backups/}, so it must be a plain file name: 1-64 of letters, digits, '.', '_'
 * and '-', starting with a letter or digit.
 */
public final class BackupId {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private BackupId() {}

  /** {@code id} if it is a valid backup id; {@link InvalidArgumentException} naming it otherwise. */
  public static String check(String id) {
    if (id == null || !VALID.matcher(id).matches()) {
      throw new InvalidArgumentException("invalid backup id '" + id + "': 1-64 letters, digits, '.', '_' or '-', "
          + "starting with a letter or digit");
    }
    return id;
  }

  /** A new id: the UTC time to the second and 8 random hex digits, e.g. {@code 20261130T190501Z-3f9a0c1e}. */
  public static String next() {
    String time = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
        .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.now());
    return time + "-" + String.format("%08x", java.util.concurrent.ThreadLocalRandom.current().nextInt());
  }
}
