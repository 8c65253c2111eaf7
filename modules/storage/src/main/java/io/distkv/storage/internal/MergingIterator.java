package io.distkv.storage.internal;

import java.util.List;

/**
 * Merges sorted children into one sorted stream. Direction is fixed by how it was positioned:
 * {@code seekToFirst/seek} then {@code next}, or {@code seekToLast/seekForPrev} then {@code prev}.
 * Children are few (memtables, L0 tables, one per deeper level), so a linear scan picks the head;
 * the runner-up is remembered, and as long as the child just advanced still sorts before it, that
 * child stays the head without a scan (long runs from one child are common: a compaction's larger
 * input, a scan through the bottom level).
 */
public final class MergingIterator implements InternalIterator {
  private final List<InternalIterator> children;
  private InternalIterator current;
  /** The best valid child other than {@code current}, or null. */
  private InternalIterator second;
  private boolean forward = true;

  public MergingIterator(List<InternalIterator> children) {
    this.children = children;
  }

  @Override
  public boolean valid() {
    return current != null;
  }

  @Override
  public void seekToFirst() {
    forward = true;
    children.forEach(InternalIterator::seekToFirst);
    pick();
  }

  @Override
  public void seekToLast() {
    forward = false;
    children.forEach(InternalIterator::seekToLast);
    pick();
  }

  @Override
  public void seek(byte[] target) {
    forward = true;
    for (InternalIterator c : children) {
      c.seek(target);
    }
    pick();
  }

  @Override
  public void seekForPrev(byte[] target) {
    forward = false;
    for (InternalIterator c : children) {
      c.seekForPrev(target);
    }
    pick();
  }

  @Override
  public void next() {
    if (!forward) {
      throw new IllegalStateException("merging iterator positioned for reverse iteration");
    }
    current.next();
    if (!current.valid() || (second != null && InternalKey.compare(current.key(), second.key()) >= 0)) {
      pick();
    }
  }

  @Override
  public void prev() {
    if (forward) {
      throw new IllegalStateException("merging iterator positioned for forward iteration");
    }
    current.prev();
    if (!current.valid() || (second != null && InternalKey.compare(current.key(), second.key()) <= 0)) {
      pick();
    }
  }

  private boolean before(InternalIterator a, InternalIterator b) {
    int cmp = InternalKey.compare(a.key(), b.key());
    return forward ? cmp < 0 : cmp > 0;
  }

  private void pick() {
    InternalIterator best = null;
    InternalIterator runnerUp = null;
    for (InternalIterator c : children) {
      if (c.valid()) {
        if (best == null) {
          best = c;
        } else if (before(c, best)) {
          runnerUp = best;
          best = c;
        } else if (runnerUp == null || before(c, runnerUp)) {
          runnerUp = c;
        }
      }
    }
    current = best;
    second = runnerUp;
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
    children.forEach(InternalIterator::close);
  }
}
