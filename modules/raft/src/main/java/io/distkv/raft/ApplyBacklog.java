package io.distkv.raft;

import io.distkv.raft.core.Entry;
import io.distkv.raft.core.RaftMessage;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A replica's committed entries not applied yet (its state machine is full, or disk work holds
 * its applies), and the bound on them. Applying never blocks the replica's thread, so nothing
 * else would stop entries from piling up in the heap while the store is behind: a follower acks
 * appends once they are durable, not once they are applied, and a leader commits on those acks.
 * So, once the backlog holds {@code limitBytes} (the per-follower window, sized for the heap):
 * <ul>
 *   <li>a leader refuses new proposals with BUSY, as etcd does when its apply falls too far
 *       behind its commit index (the client backs off and retries);</li>
 *   <li>a follower holds the AppendEntries it receives, up to another {@code limitBytes} of
 *       entries, and drops the rest (the leader sends them again: its window to this follower
 *       fills, and a gap is probed), stepping what it held, in order, once the backlog is below
 *       the limit. Heartbeats are answered meanwhile, so the leader keeps its lease and quorum;
 *       with the other replicas down or behind too, the leader's commits stop and its
 *       uncommitted bound refuses proposals.</li>
 * </ul>
 * Not thread-safe: the replica's actor owns it.
 */
final class ApplyBacklog {
  private final long limitBytes;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;
  private final ArrayDeque<RaftMessage.AppendEntries> held = new ArrayDeque<>();
  private long heldBytes;
  private long dropped;

  ApplyBacklog(long limitBytes) {
    if (limitBytes < 1) {
      throw new IllegalArgumentException("apply backlog limit must be >= 1 byte, was " + limitBytes);
    }
    this.limitBytes = limitBytes;
  }

  void add(Entry e) {
    entries.add(e);
    bytes += e.data().length;
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  Entry poll() {
    Entry e = entries.poll();
    if (e != null) {
      bytes -= e.data().length;
    }
    return e;
  }

  /** A snapshot replaces what was held. */
  void clear() {
    entries.clear();
    bytes = 0;
  }

  long bytes() {
    return bytes;
  }

  /** The backlog holds its limit: proposals are refused and appends held. */
  boolean full() {
    return bytes >= limitBytes;
  }

  /**
   * Whether {@code m} must wait: the backlog is full, or earlier appends wait (they are stepped in
   * the order they came). A waiting append is held, or dropped once the held ones reach the limit.
   */
  boolean holds(RaftMessage m) {
    if (!(m instanceof RaftMessage.AppendEntries a) || (!full() && held.isEmpty())) {
      return false;
    }
    long size = size(a.entries());
    if (!held.isEmpty() && heldBytes + size > limitBytes) {
      dropped++;
    } else {
      held.add(a);
      heldBytes += size;
    }
    return true;
  }

  /** The held appends, oldest first, once the backlog is below its limit (none before). */
  List<RaftMessage.AppendEntries> release() {
    if (held.isEmpty() || full()) {
      return List.of();
    }
    List<RaftMessage.AppendEntries> out = List.copyOf(held);
    held.clear();
    heldBytes = 0;
    return out;
  }

  /** Appends dropped because the held ones had reached the limit. */
  long dropped() {
    return dropped;
  }

  private static long size(List<Entry> es) {
    long n = 0;
    for (Entry e : es) {
      n += e.data().length;
    }
    return n;
  }
}
