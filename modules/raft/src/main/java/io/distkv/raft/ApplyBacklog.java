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
 * So, with {@code limitBytes} the per-follower window (sized for the heap):
 * <ul>
 *   <li>a leader whose backlog holds {@code limitBytes} refuses new proposals with BUSY, as etcd
 *       does when its apply falls too far behind its commit index (the client backs off and
 *       retries); its uncommitted entries have their own bound;</li>
 *   <li>a follower whose backlog and <em>tail</em> (the entries of the current term it took
 *       after the committed ones it knows of: they commit with its acks) hold {@code limitBytes}
 *       holds the AppendEntries it receives, up to another {@code limitBytes} of entries, and
 *       drops the rest (the leader sends them again: its window to this follower fills, and a gap
 *       is probed), stepping what it held, in order, once below the limit. Heartbeats are
 *       answered meanwhile, so the leader keeps its lease and quorum, and they carry the commit
 *       index that moves the tail into the backlog. Entries of earlier terms are not counted: a
 *       new leader may have to overwrite them, so they must never stop its appends.</li>
 * </ul>
 * So a follower holds at most the limit, one append past it and the held appends: about three
 * windows, whatever the timing. Not thread-safe: the replica's actor owns it.
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

  long limit() {
    return limitBytes;
  }

  /** The backlog holds its limit: a leader refuses proposals. */
  boolean full() {
    return bytes >= limitBytes;
  }

  /** Backlog and {@code tailBytes} (see the class comment) hold the limit: a follower holds appends. */
  private boolean full(long tailBytes) {
    return bytes + tailBytes >= limitBytes;
  }

  /**
   * Whether {@code m} must wait: the backlog and {@code tailBytes} are full, or earlier appends
   * wait (they are stepped in the order they came). A waiting append is held, or dropped once the
   * held ones reach the limit. {@code tailBytes} is asked only for an append.
   */
  boolean holds(RaftMessage m, java.util.function.LongSupplier tailBytes) {
    if (!(m instanceof RaftMessage.AppendEntries a) || (held.isEmpty() && !full(tailBytes.getAsLong()))) {
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

  /** The held appends, oldest first, once backlog and tail are below the limit (none before). */
  List<RaftMessage.AppendEntries> release(java.util.function.LongSupplier tailBytes) {
    if (held.isEmpty() || full(tailBytes.getAsLong())) {
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
