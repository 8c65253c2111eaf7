package io.distkv.storage;

import io.distkv.storage.internal.InternalIterator;
import io.distkv.storage.internal.InternalKey;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A range scan's cursor: live keys in [start, end) at one sequence number, ascending or
 * descending, at most {@code limit} of them. Pins the tables it reads until closed; close it (try-
 * with-resources).
 */
public final class KvIterator implements Iterator<KvEntry>, AutoCloseable {
  private final InternalIterator it;
  private final long sequence;
  private final byte[] start;
  private final byte[] end;
  private final long limit;
  private final boolean reverse;
  private final Runnable onClose;
  private KvEntry pending;
  private byte[] skip; // user key already returned or deleted: older versions are hidden
  private long returned;
  private boolean closed;

  KvIterator(InternalIterator it, long sequence, byte[] start, byte[] end, long limit, boolean reverse, Runnable onClose) {
    this.it = it;
    this.sequence = sequence;
    this.start = start;
    this.end = end;
    this.limit = limit <= 0 ? Long.MAX_VALUE : limit;
    this.reverse = reverse;
    this.onClose = onClose;
    if (reverse) {
      if (end != null) {
        it.seekForPrev(InternalKey.encode(end, InternalKey.MAX_SEQUENCE, InternalKey.TYPE_VALUE));
      } else {
        it.seekToLast();
      }
      pending = findReverse();
    } else {
      if (start != null) {
        it.seek(InternalKey.seekKey(start, sequence));
      } else {
        it.seekToFirst();
      }
      pending = findForward();
    }
  }

  private KvEntry findForward() {
    while (it.valid()) {
      byte[] ikey = it.key();
      if (end != null && InternalKey.compareToUserKey(ikey, end) >= 0) {
        return null;
      }
      if (InternalKey.sequence(ikey) > sequence) {
        it.next();
        continue;
      }
      int ulen = InternalKey.userKeyLength(ikey);
      if (skip != null && Arrays.equals(skip, 0, skip.length, ikey, 0, ulen)) {
        it.next();
        continue;
      }
      skip = Arrays.copyOf(ikey, ulen);
      if (InternalKey.type(ikey) == InternalKey.TYPE_DELETION) {
        it.next();
        continue;
      }
      KvEntry e = new KvEntry(skip, it.value());
      it.next();
      return e;
    }
    return null;
  }

  private KvEntry findReverse() {
    while (it.valid()) {
      byte[] ikey = it.key();
      if (start != null && InternalKey.compareToUserKey(ikey, start) < 0) {
        return null;
      }
      if (end != null && InternalKey.compareToUserKey(ikey, end) >= 0) {
        it.prev();
        continue;
      }
      byte[] user = InternalKey.userKey(ikey);
      byte bestType = -1;
      byte[] bestValue = null;
      // Versions of one key arrive oldest first when walking backwards; the last visible one wins.
      while (it.valid() && InternalKey.compareToUserKey(it.key(), user) == 0) {
        if (InternalKey.sequence(it.key()) <= sequence) {
          bestType = InternalKey.type(it.key());
          bestValue = bestType == InternalKey.TYPE_VALUE ? it.value() : null;
        }
        it.prev();
      }
      if (bestType == InternalKey.TYPE_VALUE) {
        return new KvEntry(user, bestValue);
      }
    }
    return null;
  }

  @Override
  public boolean hasNext() {
    if (closed) {
      throw new IllegalStateException("iterator is closed");
    }
    return pending != null && returned < limit;
  }

  @Override
  public KvEntry next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    KvEntry e = pending;
    returned++;
    pending = returned < limit ? (reverse ? findReverse() : findForward()) : null;
    return e;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      it.close();
      onClose.run();
    }
  }
}
