package io.distkv.storage.compaction;

import io.distkv.storage.version.FileMetaData;
import java.util.ArrayList;
import java.util.List;

/**
 * One compaction: tables {@code inputs} of {@code level} merged with the overlapping tables
 * {@code outputsLevelInputs} of {@code level + 1}, written to {@code level + 1}.
 */
public record Compaction(int level, List<FileMetaData> inputs, List<FileMetaData> nextLevelInputs, String reason) {
  public int outputLevel() {
    return level + 1;
  }

  public List<FileMetaData> allInputs() {
    List<FileMetaData> all = new ArrayList<>(inputs);
    all.addAll(nextLevelInputs);
    return all;
  }

  /** A single table with nothing to merge at the next level can simply be moved down. */
  public boolean isTrivialMove() {
    return level > 0 && inputs.size() == 1 && nextLevelInputs.isEmpty();
  }

  public long inputBytes() {
    long sum = 0;
    for (FileMetaData f : allInputs()) {
      sum += f.size();
    }
    return sum;
  }
}
