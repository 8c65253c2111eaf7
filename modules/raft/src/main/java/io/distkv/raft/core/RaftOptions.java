package io.distkv.raft.core;

import io.distkv.common.error.InvalidArgumentException;

/**
 * Tuning of the Raft core, in ticks (the driver decides how long a tick is).
 *
 * @param electionTicks minimum election timeout; actual timeouts are random in [e, 2e)
 * @param heartbeatTicks heartbeat interval
 * @param preVote run a pre-vote before becoming candidate (§9.6)
 * @param checkQuorum a leader steps down if it has not heard from a majority for an election
 *     timeout, and followers that heard from a leader within it ignore vote requests
 * @param leaseReads serve reads on the leader lease instead of a ReadIndex round
 * @param leaseTicks lease length; must be < electionTicks minus a clock-drift margin
 * @param maxEntriesPerAppend batching bound (entries) of one AppendEntries
 * @param maxBytesPerAppend batching bound (bytes) of one AppendEntries
 * @param maxInflightAppends pipelining window per follower
 * @param maxInflightBytes pipelining window per follower in bytes (one append always goes): what a
 *     leader holds for a follower that does not answer (Artery queues it), whatever the log holds
 * @param maxUncommittedBytes proposals beyond this many uncommitted bytes fail with BUSY
 * @param snapshotChunkBytes size of one InstallSnapshot chunk
 */
public record RaftOptions(
    int electionTicks,
    int heartbeatTicks,
    boolean preVote,
    boolean checkQuorum,
    boolean leaseReads,
    int leaseTicks,
    int maxEntriesPerAppend,
    long maxBytesPerAppend,
    int maxInflightAppends,
    long maxInflightBytes,
    long maxUncommittedBytes,
    int snapshotChunkBytes) {

  public RaftOptions {
    if (electionTicks < 2) {
      throw new InvalidArgumentException("electionTicks must be >= 2, was " + electionTicks);
    }
    if (heartbeatTicks < 1 || heartbeatTicks >= electionTicks) {
      throw new InvalidArgumentException("heartbeatTicks must be 1.." + (electionTicks - 1) + ", was " + heartbeatTicks);
    }
    if (leaseReads && (leaseTicks < 1 || leaseTicks >= electionTicks - 1)) {
      throw new InvalidArgumentException("leaseTicks must be 1.." + (electionTicks - 2)
          + " (shorter than the election timeout minus a drift margin), was " + leaseTicks);
    }
    if (leaseReads && !checkQuorum) {
      throw new InvalidArgumentException("leaseReads needs checkQuorum (followers must refuse votes while a leader is alive)");
    }
    if (maxEntriesPerAppend < 1 || maxBytesPerAppend < 1 || maxInflightAppends < 1 || maxInflightBytes < 1
        || maxUncommittedBytes < 1
        || snapshotChunkBytes < 1) {
      throw new InvalidArgumentException("batching, window, backpressure and chunk limits must be >= 1");
    }
  }

  /** 10-tick elections, 1-tick heartbeats, pre-vote and check-quorum on, ReadIndex reads. */
  public static RaftOptions defaults() {
    return new RaftOptions(10, 1, true, true, false, 7, 256, 1 << 20, 64, 8L << 20, 64L << 20, 1 << 20);
  }

  /** The same options with elections after {@code ticks} ticks (and, with leases off, no lease change). */
  public RaftOptions withElectionTicks(int ticks) {
    return new RaftOptions(ticks, heartbeatTicks, preVote, checkQuorum, leaseReads, leaseReads ? leaseTicks : Math.max(1, ticks - 3),
        maxEntriesPerAppend, maxBytesPerAppend, maxInflightAppends, maxInflightBytes, maxUncommittedBytes,
        snapshotChunkBytes);
  }

  public RaftOptions withLeaseReads(int ticks) {
    return new RaftOptions(electionTicks, heartbeatTicks, preVote, checkQuorum, true, ticks, maxEntriesPerAppend,
        maxBytesPerAppend, maxInflightAppends, maxInflightBytes, maxUncommittedBytes, snapshotChunkBytes);
  }

  /**
   * The same options with the per-follower window in bytes sized for a node whose heap is
   * {@code heapBytes}: 1/32 of it, between 1 MiB and the default 8 MiB. A leader holds up to the
   * window for each follower that stopped answering, and G1 places the large entries it holds
   * in whole regions, so on a 64 MiB heap two full 8 MiB windows of 512 KiB entries took half of it.
   */
  public RaftOptions withInflightBytesForHeap(long heapBytes) {
    long window = Math.max(1L << 20, Math.min(defaults().maxInflightBytes(), heapBytes / 32));
    return new RaftOptions(electionTicks, heartbeatTicks, preVote, checkQuorum, leaseReads, leaseTicks,
        maxEntriesPerAppend, maxBytesPerAppend, maxInflightAppends, window, maxUncommittedBytes, snapshotChunkBytes);
  }

  public RaftOptions withLimits(int entriesPerAppend, long bytesPerAppend, int inflight, long uncommittedBytes, int chunkBytes) {
    return new RaftOptions(electionTicks, heartbeatTicks, preVote, checkQuorum, leaseReads, leaseTicks, entriesPerAppend,
        bytesPerAppend, inflight, maxInflightBytes, uncommittedBytes, chunkBytes);
  }
}
