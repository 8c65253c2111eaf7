package io.distkv.storage.internal;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-memory write buffer: a {@link SkipList} of internal key → value with byte accounting.
 * One writer thread at a time (the store's write leader), any number of readers.
 */
public final class MemTable {
  private static final int ENTRY_OVERHEAD = 48; // skip-list node + arrays, roughly

  private final SkipList list = new SkipList();
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
    list.insert(ikey, v);
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
    return list.size() == 0;
  }

  public int entries() {
    return list.size();
  }

  /**
   * The newest entry for {@code userKey} with sequence ≤ {@code sequence}: its internal key and
   * value, or null if this memtable has none.
   */
  public Map.Entry<byte[], byte[]> get(byte[] userKey, long sequence) {
    Map.Entry<byte[], byte[]> e = list.seekGE(InternalKey.seekKey(userKey, sequence));
    if (e != null && InternalKey.compareToUserKey(e.getKey(), userKey) == 0) {
      return e;
    }
    return null;
  }

  public InternalIterator iterator() {
    return new ListIterator(list);
  }

  static final byte[] EMPTY = new byte[0];

  /**
   * Iterator over the skip list: forward steps follow the bottom level (O(1) each); seeks and
   * backward steps search from the top. Entries inserted while iterating may or may not be seen:
   * they carry sequence numbers above any iterator's snapshot, which filters them.
   */
  static final class ListIterator implements InternalIterator {
    private final SkipList list;
    private SkipList.Node current;

    ListIterator(SkipList list) {
      this.list = list;
    }

    @Override
    public boolean valid() {
      return current != null;
    }

    @Override
    public void seekToFirst() {
      current = list.first();
    }

    @Override
    public void seekToLast() {
      current = list.last();
    }

    @Override
    public void seek(byte[] target) {
      current = list.seekGE(target);
    }

    @Override
    public void next() {
      current = current.next();
    }

    @Override
    public void prev() {
      current = list.seekLT(current.key);
    }

    @Override
    public byte[] key() {
      return current.key;
    }

    @Override
    public byte[] value() {
      return current.value;
    }
  }
}
