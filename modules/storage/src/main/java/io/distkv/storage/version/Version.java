package io.distkv.storage.version;

import io.distkv.storage.internal.InternalKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An immutable set of live tables per level. Level 0 tables may overlap (newest last); levels ≥ 1
 * are sorted by smallest key and disjoint. Readers pin a version with {@link #ref()} so that its
 * files are not deleted under them.
 */
public final class Version {
  public static final int NUM_LEVELS = 7;

  private final List<List<FileMetaData>> levels;
  private final AtomicInteger refs = new AtomicInteger();

  Version(List<List<FileMetaData>> levels) {
    List<List<FileMetaData>> copy = new ArrayList<>(NUM_LEVELS);
    for (int i = 0; i < NUM_LEVELS; i++) {
      List<FileMetaData> files = new ArrayList<>(levels.get(i));
      if (i == 0) {
        files.sort(Comparator.comparingLong(FileMetaData::number));
      } else {
        files.sort((a, b) -> InternalKey.compare(a.smallest(), b.smallest()));
      }
      copy.add(Collections.unmodifiableList(files));
    }
    this.levels = Collections.unmodifiableList(copy);
  }

  static Version empty() {
    List<List<FileMetaData>> levels = new ArrayList<>();
    for (int i = 0; i < NUM_LEVELS; i++) {
      levels.add(List.of());
    }
    return new Version(levels);
  }

  public List<FileMetaData> files(int level) {
    return levels.get(level);
  }

  public int fileCount(int level) {
    return levels.get(level).size();
  }

  public long bytes(int level) {
    long sum = 0;
    for (FileMetaData f : levels.get(level)) {
      sum += f.size();
    }
    return sum;
  }

  public List<FileMetaData> allFiles() {
    List<FileMetaData> all = new ArrayList<>();
    levels.forEach(all::addAll);
    return all;
  }

  /** Files at {@code level} whose user-key range intersects [start, end] (inclusive; null = open). */
  public List<FileMetaData> overlapping(int level, byte[] startUser, byte[] endUser) {
    List<FileMetaData> out = new ArrayList<>();
    for (FileMetaData f : levels.get(level)) {
      if (f.overlaps(startUser, endUser)) {
        out.add(f);
      }
    }
    return out;
  }

  /** For levels ≥ 1: the one file that may hold {@code userKey}, or null. */
  public FileMetaData fileFor(int level, byte[] userKey) {
    List<FileMetaData> files = levels.get(level);
    int lo = 0;
    int hi = files.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      FileMetaData f = files.get(mid);
      if (InternalKey.compareToUserKey(f.largest(), userKey) < 0) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (lo < files.size() && InternalKey.compareToUserKey(files.get(lo).smallest(), userKey) <= 0) {
      return files.get(lo);
    }
    return null;
  }

  public void ref() {
    refs.incrementAndGet();
  }

  public void unref() {
    refs.decrementAndGet();
  }

  public boolean referenced() {
    return refs.get() > 0;
  }
}
