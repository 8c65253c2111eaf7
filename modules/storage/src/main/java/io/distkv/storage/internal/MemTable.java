package io.distkv.storage.internal;

import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-memory write buffer: a concurrent skip list of internal key → value with byte
 * accounting. One writer thread at a time (the store's write leader), any number of readers.
 */
public final class MemTable {
  private static final int ENTRY_OVERHEAD = 48; // skip-list node + arrays, roughly

  private final ConcurrentSkipListMap<byte[], byte[]> map = new ConcurrentSkipListMap<>(InternalKey.COMPARATOR);
  private final AtomicLong bytes = new AtomicLong();
  private final long walNumber;
  private volatile long maxAppliedIndex = -1;

  /** @param walNumber the WAL file holding this memtable's writes (0 when the WAL is off) */
  public MemTable(long walNumber) {
    this.walNumber = walNumber;
  }

  public long walNumber() {
    return walNumber;
  }

  public void add(long sequence, byte type, byte[] userKey, byte[] value) {
    byte[] ikey = InternalKey.encode(userKey, sequence, type);
    byte[] v = value == null ? EMPTY : value;
    map.put(ikey, v);
    bytes.addAndGet(ikey.length + v.length + ENTRY_OVERHEAD);
  }

  public void noteAppliedIndex(long index) {
    if (index > maxAppliedIndex) {
      maxAppliedIndex = index;
    }
  }

  /** Highest caller applied index written into this memtable, or -1. */
  public long maxAppliedIndex() {
    return maxAppliedIndex;
  }

  public long approximateBytes() {
    return bytes.get();
  }

  public boolean isEmpty() {
    return map.isEmpty();
  }

  public int entries() {
    return map.size();
  }

  /**
   * The newest entry for {@code userKey} with sequence ≤ {@code sequence}: its internal key and
   * value, or null if this memtable has none.
   */
  public Map.Entry<byte[], byte[]> get(byte[] userKey, long sequence) {
    Map.Entry<byte[], byte[]> e = map.ceilingEntry(InternalKey.seekKey(userKey, sequence));
    if (e != null && InternalKey.compareToUserKey(e.getKey(), userKey) == 0) {
      return e;
    }
    return null;
  }

  public InternalIterator iterator() {
    return new NavigableMapIterator(map);
  }

  static final byte[] EMPTY = new byte[0];

  /** Bidirectional iterator over a sorted map of internal keys. */
  /**
   * Iterator over the skip list. Forward steps walk the list's bottom level through a
   * weakly consistent entry iterator (O(1) each) instead of a fresh {@code higherEntry} search
   * (O(log n) key comparisons each, which made a flush O(n log n)); seeks and backward steps
   * search. Entries inserted while iterating may or may not be seen: they carry sequence numbers
   * above any iterator's snapshot, which filters them.
   */
  static final class NavigableMapIterator implements InternalIterator {
    private final NavigableMap<byte[], byte[]> map;
    private Map.Entry<byte[], byte[]> current;
    /** Positioned just after {@code current} when moving forward; null after a backward step or seekToLast. */
    private java.util.Iterator<Map.Entry<byte[], byte[]>> forward;

    NavigableMapIterator(NavigableMap<byte[], byte[]> map) {
      this.map = map;
    }

    private void advance() {
      current = forward.hasNext() ? forward.next() : null;
    }

    @Override
    public boolean valid() {
      return current != null;
    }

    @Override
    public void seekToFirst() {
      forward = map.entrySet().iterator();
      advance();
    }

    @Override
    public void seekToLast() {
      forward = null;
      current = map.lastEntry();
    }

    @Override
    public void seek(byte[] target) {
      forward = map.tailMap(target, true).entrySet().iterator();
      advance();
    }

    @Override
    public void next() {
      if (forward == null) {
        forward = map.tailMap(current.getKey(), false).entrySet().iterator();
      }
      advance();
    }

    @Override
    public void prev() {
      forward = null;
      current = map.lowerEntry(current.getKey());
    }

    @Override
    public byte[] key() {
      return current.getKey();
    }

    @Override
    public byte[] value() {
      return current.getValue();
    }
  }
}
