package io.distkv.storage.internal;

import io.distkv.storage.version.FileMetaData;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Iterates the disjoint, sorted tables of one level ≥ 1 as a single sequence, opening one table
 * at a time (LevelDB's concatenating two-level iterator).
 */
public final class LevelIterator implements InternalIterator {
  private final List<FileMetaData> files;
  private final LongFunction<InternalIterator> open;
  private int index = -1;
  private InternalIterator current;

  public LevelIterator(List<FileMetaData> files, LongFunction<InternalIterator> open) {
    this.files = files;
    this.open = open;
  }

  private void openFile(int i) {
    if (current != null) {
      current.close();
    }
    index = i;
    current = (i >= 0 && i < files.size()) ? open.apply(files.get(i).number()) : null;
  }

  private void forwardPastEmpty() {
    while (current != null && !current.valid()) {
      openFile(index + 1);
      if (current != null) {
        current.seekToFirst();
      }
    }
  }

  private void backwardPastEmpty() {
    while (current != null && !current.valid()) {
      openFile(index - 1);
      if (current != null) {
        current.seekToLast();
      }
    }
  }

  @Override
  public boolean valid() {
    return current != null && current.valid();
  }

  @Override
  public void seekToFirst() {
    openFile(0);
    if (current != null) {
      current.seekToFirst();
    }
    forwardPastEmpty();
  }

  @Override
  public void seekToLast() {
    openFile(files.size() - 1);
    if (current != null) {
      current.seekToLast();
    }
    backwardPastEmpty();
  }

  @Override
  public void seek(byte[] target) {
    int lo = 0;
    int hi = files.size();
    while (lo < hi) { // first file whose largest >= target
      int mid = (lo + hi) >>> 1;
      if (InternalKey.compare(files.get(mid).largest(), target) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    openFile(lo);
    if (current != null) {
      current.seek(target);
    }
    forwardPastEmpty();
  }

  @Override
  public void seekForPrev(byte[] target) {
    int lo = 0;
    int hi = files.size();
    while (lo < hi) { // first file whose smallest > target
      int mid = (lo + hi) >>> 1;
      if (InternalKey.compare(files.get(mid).smallest(), target) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    openFile(lo - 1);
    if (current != null) {
      current.seekForPrev(target);
    }
    backwardPastEmpty();
  }

  @Override
  public void next() {
    current.next();
    forwardPastEmpty();
  }

  @Override
  public void prev() {
    current.prev();
    backwardPastEmpty();
  }

  @Override
  public byte[] key() {
    return current.key();
  }

  @Override
  public byte[] value() {
    return current.value();
  }

  @Override
  public void close() {
    if (current != null) {
      current.close();
    }
  }
}
