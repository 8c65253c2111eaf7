package io.distkv.storage.internal;

import java.util.List;

/**
 * Merges sorted children into one sorted stream. Direction is fixed by how it was positioned:
 * {@code seekToFirst/seek} then {@code next}, or {@code seekToLast/seekForPrev} then {@code prev}.
 * With few children (memtables, one per level) a linear scan picks the head; the runner-up is
 * remembered, and as long as the child just advanced still sorts before it, that child stays the
 * head without a scan (long runs from one child are common: a compaction's larger input, a scan
 * through the bottom level). With more children (a backlog of L0 tables) they are kept in a binary
 * heap, O(log n) comparisons per step.
 */
public final class MergingIterator implements InternalIterator {
  /** Above this many children the head is kept by a heap instead of a linear scan. */
  static final int HEAP_THRESHOLD = 4;

  private final List<InternalIterator> children;
  private final InternalIterator[] heap; // null when the linear scan is used
  private int heapSize;
  private InternalIterator current;
  /** The best valid child other than {@code current}, or null. */
  private InternalIterator second;
  private boolean forward = true;

  public MergingIterator(List<InternalIterator> children) {
    this.children = children;
    this.heap = children.size() > HEAP_THRESHOLD ? new InternalIterator[children.size()] : null;
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
    if (heap != null) {
      afterHeadMoved();
    } else if (!current.valid() || (second != null && InternalKey.compare(current.key(), second.key()) >= 0)) {
      pick();
    }
  }

  @Override
  public void prev() {
    if (forward) {
      throw new IllegalStateException("merging iterator positioned for forward iteration");
    }
    current.prev();
    if (heap != null) {
      afterHeadMoved();
    } else if (!current.valid() || (second != null && InternalKey.compare(current.key(), second.key()) <= 0)) {
      pick();
    }
  }

  /** The heap's root (the current child) moved: restore the heap. */
  private void afterHeadMoved() {
    if (!heap[0].valid()) {
      heap[0] = heap[--heapSize];
      heap[heapSize] = null;
    }
    if (heapSize > 0) {
      siftDown(0);
    }
    current = heapSize > 0 ? heap[0] : null;
  }

  private void siftDown(int i) {
    InternalIterator x = heap[i];
    while (true) {
      int child = 2 * i + 1;
      if (child >= heapSize) {
        break;
      }
      if (child + 1 < heapSize && before(heap[child + 1], heap[child])) {
        child++;
      }
      if (!before(heap[child], x)) {
        break;
      }
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = x;
  }

  private boolean before(InternalIterator a, InternalIterator b) {
    int cmp = InternalKey.compare(a.key(), b.key());
    return forward ? cmp < 0 : cmp > 0;
  }

  private void pick() {
    if (heap != null) {
      heapSize = 0;
      for (InternalIterator c : children) {
        if (c.valid()) {
          heap[heapSize++] = c;
        }
      }
      for (int i = heapSize; i < heap.length; i++) {
        heap[i] = null;
      }
      for (int i = heapSize / 2 - 1; i >= 0; i--) {
        siftDown(i);
      }
      current = heapSize > 0 ? heap[0] : null;
      return;
    }
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
