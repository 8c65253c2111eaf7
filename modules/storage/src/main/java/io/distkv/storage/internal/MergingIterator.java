package io.distkv.storage.internal;

import java.util.List;

/**
 * Merges sorted children into one sorted stream. Direction is fixed by how it was positioned:
 * {@code seekToFirst/seek} then {@code next}, or {@code seekToLast/seekForPrev} then {@code prev}.
 * Children are few (memtables, L0 tables, one per deeper level), so a linear scan picks the head.
 */
public final class MergingIterator implements InternalIterator {
  private final List<InternalIterator> children;
  private InternalIterator current;
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
    pick();
  }

  @Override
  public void prev() {
    if (forward) {
      throw new IllegalStateException("merging iterator positioned for forward iteration");
    }
    current.prev();
    pick();
  }

  private void pick() {
    InternalIterator best = null;
    for (InternalIterator c : children) {
      if (c.valid()) {
        if (best == null) {
          best = c;
        } else {
          int cmp = InternalKey.compare(c.key(), best.key());
          if (forward ? cmp < 0 : cmp > 0) {
            best = c;
          }
        }
      }
    }
    current = best;
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
