package io.distkv.raft.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The in-memory view of a replica's log: entries after the last snapshot, which of them are
 * durable ({@code stableIndex}), the commit index and what was handed to the application.
 */
final class RaftLog {
  private long snapshotIndex;
  private long snapshotTerm;
  private final ArrayList<Entry> entries = new ArrayList<>();
  private long stableIndex; // entries up to here are durable
  long committed;
  long applied; // highest index handed to the application

  RaftLog(long snapshotIndex, long snapshotTerm, List<Entry> stored, long committed, long applied) {
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    for (Entry e : stored) {
      if (e.index() > snapshotIndex) {
        entries.add(e);
      }
    }
    this.stableIndex = lastIndex();
    this.applied = Math.max(applied, snapshotIndex);
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
    }
    return prevIndex + incoming.size();
  }

  /** Drops entries from {@code index} on (they were not committed). */
  void truncateFrom(long index) {
    int keep = (int) (index - snapshotIndex - 1);
    while (entries.size() > keep) {
      entries.remove(entries.size() - 1);
    }
    stableIndex = Math.min(stableIndex, index - 1);
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

  boolean hasUnstable() {
    return stableIndex < lastIndex();
  }

  /** Entries not yet durable. */
  List<Entry> unstable() {
    if (!hasUnstable()) {
      return List.of();
    }
    return new ArrayList<>(entries.subList((int) (stableIndex - snapshotIndex), entries.size()));
  }

  void stableTo(long index) {
    stableIndex = Math.max(stableIndex, Math.min(index, lastIndex()));
  }

  /** Committed entries not yet handed to the application. */
  List<Entry> nextCommitted() {
    if (committed <= applied) {
      return List.of();
    }
    long hi = Math.min(committed, lastIndex());
    return new ArrayList<>(entries.subList((int) (applied - snapshotIndex), (int) (hi - snapshotIndex)));
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
    entries.subList(0, drop).clear();
    snapshotIndex = index;
    snapshotTerm = term;
    stableIndex = Math.max(stableIndex, index);
  }

  /** Replaces everything with a received snapshot. */
  void restore(SnapshotMeta meta) {
    entries.clear();
    snapshotIndex = meta.index();
    snapshotTerm = meta.term();
    committed = meta.index();
    applied = meta.index();
    stableIndex = meta.index();
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
