package io.distkv.storage.compaction;

import io.distkv.storage.internal.InternalKey;
import io.distkv.storage.version.FileMetaData;
import io.distkv.storage.version.Version;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses the next compaction, LevelDB style: level 0 is scored by table count against the L0
 * trigger, level n ≥ 1 by bytes against {@code base · multiplier^(n-1)}; the highest score ≥ 1
 * wins. Within a level ≥ 1 tables are taken round-robin after the level's compact pointer.
 */
public final class LeveledCompactionPicker {
  private final int l0Trigger;
  private final long levelBaseBytes;
  private final int multiplier;

  public LeveledCompactionPicker(int l0Trigger, long levelBaseBytes, int multiplier) {
    this.l0Trigger = l0Trigger;
    this.levelBaseBytes = levelBaseBytes;
    this.multiplier = multiplier;
  }

  public long maxBytesForLevel(int level) {
    long max = levelBaseBytes;
    for (int i = 1; i < level; i++) {
      max *= multiplier;
    }
    return max;
  }

  public double score(Version v, int level) {
    if (level == 0) {
      return (double) v.fileCount(0) / l0Trigger;
    }
    return (double) v.bytes(level) / maxBytesForLevel(level);
  }

  public boolean needsCompaction(Version v) {
    for (int level = 0; level < Version.NUM_LEVELS - 1; level++) {
      if (score(v, level) >= 1.0) {
        return true;
      }
    }
    return false;
  }

  /** The next compaction, or null if every level is within its target. */
  public Compaction pick(Version v, java.util.function.IntFunction<byte[]> compactPointer) {
    int best = -1;
    double bestScore = 1.0;
    for (int level = 0; level < Version.NUM_LEVELS - 1; level++) {
      double s = score(v, level);
      if (s >= bestScore) {
        best = level;
        bestScore = s;
      }
    }
    if (best < 0) {
      return null;
    }
    if (best == 0) {
      List<FileMetaData> inputs = new ArrayList<>(v.files(0));
      return withNextLevel(v, 0, inputs, "L0 has " + inputs.size() + " tables (trigger " + l0Trigger + ")");
    }
    byte[] pointer = compactPointer.apply(best);
    FileMetaData chosen = null;
    for (FileMetaData f : v.files(best)) {
      if (pointer == null || InternalKey.compare(f.largest(), pointer) > 0) {
        chosen = f;
        break;
      }
    }
    if (chosen == null) {
      chosen = v.files(best).get(0);
    }
    return withNextLevel(v, best, List.of(chosen),
        String.format("L%d is %.2fx its target", best, bestScore));
  }

  /** Compaction of the tables at {@code level} overlapping [start, end] (user keys, null = open). */
  public Compaction forRange(Version v, int level, byte[] startUser, byte[] endUser) {
    List<FileMetaData> inputs = v.overlapping(level, startUser, endUser);
    if (inputs.isEmpty()) {
      return null;
    }
    return withNextLevel(v, level, inputs, "manual compaction of L" + level);
  }

  private Compaction withNextLevel(Version v, int level, List<FileMetaData> inputs, String reason) {
    byte[] smallest = null;
    byte[] largest = null;
    for (FileMetaData f : inputs) {
      if (smallest == null || InternalKey.compareUserKey(f.smallest(), smallest) < 0) {
        smallest = f.smallest();
      }
      if (largest == null || InternalKey.compareUserKey(f.largest(), largest) > 0) {
        largest = f.largest();
      }
    }
    List<FileMetaData> next = v.overlapping(level + 1, InternalKey.userKey(smallest), InternalKey.userKey(largest));
    return new Compaction(level, inputs, next, reason);
  }
}
