package io.distkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The in-memory view of a replica's log: entries after the last snapshot, which of them were
 * handed to the driver to persist ({@code inProgress}) and which are durable
 * ({@code stableIndex}), the commit index, what was handed out to apply ({@code applying}) and
 * what the driver applied ({@code applied}). Handing out and completing are separate so the driver
 * may have several Readys in flight (as etcd's asynchronous storage writes):
 * {@code stableIndex ≤ inProgress ≤ lastIndex} and {@code applied ≤ applying ≤ committed}.
 */
final class RaftLog {
  private long snapshotIndex;
  private long snapshotTerm;
  private final ArrayList<Entry> entries = new ArrayList<>();
  private long stableIndex; // entries up to here are durable
  private long inProgress; // entries up to here were handed to the driver to persist
  long committed;
  long applied; // highest index the driver applied
  private long applying; // highest index handed to the driver to apply
  private long bytes; // sum of Entry.size() of the entries held

  RaftLog(long snapshotIndex, long snapshotTerm, List<Entry> stored, long committed, long applied) {
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    for (Entry e : stored) {
      if (e.index() > snapshotIndex) {
        entries.add(e);
        bytes += e.size();
      }
    }
    this.stableIndex = lastIndex();
    this.inProgress = stableIndex;
    this.applied = Math.max(applied, snapshotIndex);
    this.applying = this.applied;
    // What the state machine applied was committed, even if the stored commit index is older
    // (commit-only changes are not written to disk).
    this.committed = Math.max(committed, Math.min(this.applied, lastIndex()));
  }

  long snapshotIndex() {
    return snapshotIndex;
  }

  long snapshotTerm() {
    return snapshotTerm;
  }

  long firstIndex() {
    return snapshotIndex + 1;
  }

  long lastIndex() {
    return snapshotIndex + entries.size();
  }

  /**
   * Data bytes of the entries after {@code after} of term {@code term}, counted from the end (terms
   * never decrease along the log, so they are a suffix), stopping once {@code cap} is reached.
   */
  long dataBytesAfter(long after, long term, long cap) {
    long n = 0;
    for (int i = entries.size() - 1; i >= 0 && n < cap; i--) {
      Entry e = entries.get(i);
      if (e.index() <= after || e.term() != term) {
        break;
      }
      n += e.data().length;
    }
    return n;
  }

  long lastTerm() {
    return entries.isEmpty() ? snapshotTerm : entries.get(entries.size() - 1).term();
  }

  long stableIndex() {
    return stableIndex;
  }

  /** Term of entry {@code i}, or -1 if it is compacted away or beyond the end. */
  long term(long i) {
    if (i == snapshotIndex) {
      return snapshotTerm;
    }
    if (i < snapshotIndex || i > lastIndex()) {
      return -1;
    }
    return entries.get((int) (i - snapshotIndex - 1)).term();
  }

  Entry entry(long i) {
    return entries.get((int) (i - snapshotIndex - 1));
  }

  boolean matchTerm(long i, long term) {
    return term(i) == term;
  }

  /** §5.4.1: is a log ending at (lastTerm, lastIndex) at least as up to date as ours? */
  boolean isUpToDate(long lastIndex, long lastTerm) {
    return lastTerm > lastTerm() || (lastTerm == lastTerm() && lastIndex >= lastIndex());
  }

  void append(Entry e) {
    entries.add(e);
    bytes += e.size();
  }

  /** Size of the entries held in memory (after the snapshot point). */
  long bytes() {
    return bytes;
  }

  /**
   * Appends {@code incoming} after {@code prevIndex} (whose term already matched), truncating our
   * log at the first conflicting entry (§5.3). Returns the index of the last new entry.
   */
  long appendAfter(long prevIndex, List<Entry> incoming) {
    for (Entry e : incoming) {
      long t = term(e.index());
      if (e.index() <= snapshotIndex) {
        continue;
      }
      if (t == e.term()) {
        continue; // already have it
      }
      if (t != -1) {
        if (e.index() <= committed) {
          throw new IllegalStateException("conflict at committed index " + e.index() + " (term " + t + " vs " + e.term() + ")");
        }
        truncateFrom(e.index());
      }
      entries.add(e);
      bytes += e.size();
    }
    return prevIndex + incoming.size();
  }

  /** Drops entries from {@code index} on (they were not committed). */
  void truncateFrom(long index) {
    int keep = (int) (index - snapshotIndex - 1);
    while (entries.size() > keep) {
      bytes -= entries.remove(entries.size() - 1).size();
    }
    stableIndex = Math.min(stableIndex, index - 1);
    inProgress = Math.min(inProgress, index - 1);
  }

  /** Entries in [lo, hi), at most {@code maxEntries} and roughly {@code maxBytes} (at least one). */
  List<Entry> slice(long lo, long hi, int maxEntries, long maxBytes) {
    List<Entry> out = new ArrayList<>();
    long bytes = 0;
    for (long i = lo; i < hi && out.size() < maxEntries; i++) {
      Entry e = entry(i);
      if (!out.isEmpty() && bytes + e.size() > maxBytes) {
        break;
      }
      out.add(e);
      bytes += e.size();
    }
    return out;
  }

  /** Whether some entries were not yet handed to the driver to persist. */
  boolean hasUnstable() {
    return inProgress < lastIndex();
  }

  /** Entries not yet handed to the driver to persist; they are now (see {@link #stableTo}). */
  List<Entry> takeUnstable() {
    if (!hasUnstable()) {
      return List.of();
    }
    List<Entry> out = new ArrayList<>(entries.subList((int) (Math.max(inProgress, snapshotIndex) - snapshotIndex),
        entries.size()));
    inProgress = lastIndex();
    return out;
  }

  void stableTo(long index) {
    stableIndex = Math.max(stableIndex, Math.min(index, lastIndex()));
    inProgress = Math.max(inProgress, stableIndex);
  }

  /** Whether committed entries wait to be handed to the application. */
  boolean hasNextCommitted() {
    return Math.min(committed, lastIndex()) > applying;
  }

  /** Committed entries not yet handed to the application; they are now. */
  List<Entry> takeNextCommitted() {
    if (!hasNextCommitted()) {
      return List.of();
    }
    long hi = Math.min(committed, lastIndex());
    List<Entry> out = new ArrayList<>(entries.subList((int) (applying - snapshotIndex), (int) (hi - snapshotIndex)));
    applying = hi;
    return out;
  }

  /** The largest index ≤ {@code index} whose term is ≤ {@code term} (fast back-off). */
  long findConflictByTerm(long index, long term) {
    long i = Math.min(index, lastIndex());
    while (i > snapshotIndex && term(i) > term) {
      i--;
    }
    if (i == snapshotIndex && snapshotTerm > term && i > 0) {
      return i - 1; // the agreement point is inside our snapshot: the follower needs the snapshot
    }
    return i;
  }

  /** Forgets entries up to {@code index} (covered by a snapshot). */
  void compactTo(long index, long term) {
    if (index <= snapshotIndex) {
      return;
    }
    int drop = (int) Math.min(entries.size(), index - snapshotIndex);
    List<Entry> dropped = entries.subList(0, drop);
    for (Entry e : dropped) {
      bytes -= e.size();
    }
    dropped.clear();
    snapshotIndex = index;
    snapshotTerm = term;
    stableIndex = Math.max(stableIndex, index);
    inProgress = Math.max(inProgress, index);
    applying = Math.max(applying, index);
  }

  /** Replaces everything with a received snapshot. */
  void restore(SnapshotMeta meta) {
    entries.clear();
    bytes = 0;
    snapshotIndex = meta.index();
    snapshotTerm = meta.term();
    committed = meta.index();
    applied = meta.index();
    applying = meta.index();
    stableIndex = meta.index();
    inProgress = meta.index();
  }

  /** Latest configuration entry at or before the end of the log, or null. */
  Entry latestConfigEntry() {
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (entries.get(i).type() == Entry.Type.CONFIG) {
        return entries.get(i);
      }
    }
    return null;
  }
}
