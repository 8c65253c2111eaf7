package io.distkv.storage.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;

/**
 * The memtable's ordered map of internal key → value: a skip list as in LevelDB, with one writer
 * at a time and any number of lock-free readers. A node is fully built before it is linked; each
 * link is published with release semantics and read with acquire semantics, so a reader that sees
 * a node sees all of it. Nodes are never removed (the whole list is dropped after its flush).
 *
 * <p>Inserts remember their splice (the predecessor at every level). When the next key falls right
 * after the previous one, as in sequential loads, the insert reuses the splice instead of searching
 * from the top (as RocksDB's InlineSkipList does), making it O(1) instead of O(log n). Two splices
 * are kept (the last one and the one before it), so two interleaved in-order streams, such as two
 * writers each loading its own key range, both stay O(1).
 *
 * <p>Internal keys are unique (every write has its own sequence number), so there is no update in
 * place.
 */
final class SkipList {
  static final int MAX_HEIGHT = 12; // branching 4: enough for 4^12 ≈ 16 M entries per memtable
  private static final VarHandle NEXT = MethodHandles.arrayElementVarHandle(Node[].class);

  /** A list node; doubles as the map entry handed to readers (never modified once linked). */
  static final class Node implements Map.Entry<byte[], byte[]> {
    final byte[] key;
    final byte[] value;
    private final Node[] next;

    Node(byte[] key, byte[] value, int height) {
      this.key = key;
      this.value = value;
      this.next = new Node[height];
    }

    Node next(int level) {
      return (Node) NEXT.getAcquire(next, level);
    }

    /** The following node on the bottom level, or null at the end. */
    Node next() {
      return next(0);
    }

    void setNext(int level, Node n) {
      NEXT.setRelease(next, level, n);
    }

    @Override
    public byte[] getKey() {
      return key;
    }

    @Override
    public byte[] getValue() {
      return value;
    }

    @Override
    public byte[] setValue(byte[] v) {
      throw new UnsupportedOperationException("memtable entries are immutable");
    }
  }

  private final Node head = new Node(null, null, MAX_HEIGHT);
  private volatile int height = 1;
  private volatile int size;

  // Writer-only state (the writer changes only through a hand-off that orders memory).
  private Node[] splice = new Node[MAX_HEIGHT];
  private Node[] otherSplice = new Node[MAX_HEIGHT];
  private long random = 0x9E3779B97F4A7C15L;

  SkipList() {
    java.util.Arrays.fill(splice, head);
    java.util.Arrays.fill(otherSplice, head);
  }

  /** Whether {@code key} goes right after {@code s[0]}: no node lies between them. */
  private boolean fits(Node[] s, byte[] key) {
    Node prev0 = s[0];
    Node after = prev0.next(0);
    return (prev0 == head || compare(prev0.key, key) < 0) && (after == null || compare(key, after.key) < 0);
  }

  int size() {
    return size;
  }

  private int randomHeight() {
    // xorshift64; each extra level with probability 1/4
    random ^= random << 13;
    random ^= random >>> 7;
    random ^= random << 17;
    long bits = random;
    int h = 1;
    while (h < MAX_HEIGHT && (bits & 3) == 0) {
      h++;
      bits >>>= 2;
    }
    return h;
  }

  private static int compare(byte[] a, byte[] b) {
    return InternalKey.compare(a, b);
  }

  /** Inserts {@code key} (not already present). One writer at a time. */
  void insert(byte[] key, byte[] value) {
    if (!fits(splice, key)) {
      Node[] other = otherSplice;
      if (fits(other, key)) {
        otherSplice = splice;
        splice = other;
        // Inserts made through the other splice since this one was used may have put nodes
        // between its upper-level entries and the key: step over them.
        for (int level = 1; level < MAX_HEIGHT; level++) {
          Node n = splice[level].next(level);
          while (n != null && compare(n.key, key) < 0) {
            splice[level] = n;
            n = n.next(level);
          }
        }
      } else {
        // Keep the current splice as the other one; search a new one from the top.
        System.arraycopy(splice, 0, other, 0, MAX_HEIGHT);
        lastBefore(key, splice);
        for (int level = height; level < MAX_HEIGHT; level++) {
          splice[level] = head;
        }
      }
    }
    // Now splice[i] is the last level-i node < key on every level. (For the splice used last that
    // needs no check beyond fits(): splice[i] is the last level-i node <= splice[0] < key, and no
    // node lies between splice[0] and key.)
    int h = randomHeight();
    if (h > height) {
      height = h; // readers seeing the new height before the links find null links at the top: fine
    }
    Node node = new Node(key, value, h);
    for (int level = 0; level < h; level++) {
      node.next[level] = splice[level].next(level); // plain: published by the release below
      splice[level].setNext(level, node);
      splice[level] = node;
    }
    size = size + 1;
  }

  /**
   * The last node < {@code key}, or the head if there is none; with {@code perLevel} not null,
   * also records the last node < {@code key} on every level below the current height.
   */
  private Node lastBefore(byte[] key, Node[] perLevel) {
    Node x = head;
    for (int level = height - 1; level >= 0; level--) {
      Node n = x.next(level);
      while (n != null && compare(n.key, key) < 0) {
        x = n;
        n = x.next(level);
      }
      if (perLevel != null) {
        perLevel[level] = x;
      }
    }
    return x;
  }

  /** The first node ≥ {@code key}, or null. */
  Node seekGE(byte[] key) {
    return lastBefore(key, null).next(0);
  }

  /** The last node < {@code key}, or null. */
  Node seekLT(byte[] key) {
    Node x = lastBefore(key, null);
    return x == head ? null : x;
  }

  /** The keys linked on {@code level}, in link order (for consistency checks). */
  java.util.List<byte[]> keysOnLevel(int level) {
    java.util.List<byte[]> keys = new java.util.ArrayList<>();
    for (Node x = head.next(level); x != null; x = x.next(level)) {
      keys.add(x.key);
    }
    return keys;
  }

  Node first() {
    return head.next(0);
  }

  Node last() {
    Node x = head;
    for (int level = height - 1; level >= 0; level--) {
      Node n = x.next(level);
      while (n != null) {
        x = n;
        n = x.next(level);
      }
    }
    return x == head ? null : x;
  }
}
