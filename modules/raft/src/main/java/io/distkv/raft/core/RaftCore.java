package io.distkv.raft.core;

import io.distkv.common.error.BusyException;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.NotLeaderException;
import io.distkv.raft.core.RaftMessage.AppendEntries;
import io.distkv.raft.core.RaftMessage.AppendResponse;
import io.distkv.raft.core.RaftMessage.Heartbeat;
import io.distkv.raft.core.RaftMessage.HeartbeatResponse;
import io.distkv.raft.core.RaftMessage.InstallSnapshot;
import io.distkv.raft.core.RaftMessage.PreVote;
import io.distkv.raft.core.RaftMessage.PreVoteResponse;
import io.distkv.raft.core.RaftMessage.RequestVote;
import io.distkv.raft.core.RaftMessage.TimeoutNow;
import io.distkv.raft.core.RaftMessage.VoteResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The deterministic Raft state machine of one replica, in the shape of etcd/raft: it steps on
 * messages and ticks, decides, and hands its driver a {@link Ready} of things to persist, send and
 * apply. It does no I/O and reads no clock; randomness comes from a seeded {@link Random}. Not
 * thread-safe: one driver (the replica actor, or a simulation) calls it.
 *
 * <p>Section numbers refer to the Raft paper (§5) and Ongaro's thesis (§3–§9); see docs/raft.md.
 */
public final class RaftCore {
  private final String id;
  private final RaftOptions opts;
  private final Random random;

  private long term;
  private String votedFor;
  private String leader;
  private Role role = Role.FOLLOWER;
  private final RaftLog log;
  private Configuration config;
  /** Where the log was last compacted (or a snapshot installed); null for a log that starts at 1. */
  private SnapshotMeta snapshot;

  private final Map<String, Progress> progress = new TreeMap<>();
  private final Map<String, Boolean> votes = new HashMap<>();
  private int electionElapsed;
  private int heartbeatElapsed;
  private int randomizedElectionTimeout;
  private long ticks;
  private String leadTransferee;
  private int transferElapsed;
  private long pendingConfIndex;
  private String lastKnownLeader;
  private long leaderChanges;
  private long uncommittedBytes;

  private record PendingRead(long requestId, long index, long round) {}

  private long readRound;
  /** Reads joined the next round since the last Ready: its heartbeats go out with the next Ready. */
  private boolean readRoundWanted;
  private final List<PendingRead> pendingReads = new ArrayList<>();
  private final List<Long> readsAwaitingCommit = new ArrayList<>();
  private final List<ReadState> readStates = new ArrayList<>();

  private final List<RaftMessage> msgs = new ArrayList<>();
  private HardState persistedHardState;
  /** The hard state last handed out in a Ready (persisted or still in flight). */
  private HardState handedHardState;
  private SnapshotMeta snapshotToPersist;
  /** {@code snapshotToPersist} was handed out in a Ready not yet advanced. */
  private boolean snapshotHanded;

  /**
   * Restores a replica from what its driver persisted: hard state, the latest snapshot point (or null),
   * the log entries after it, and how far the state machine has already applied (entries after
   * that are handed out again). {@code bootstrap} is the configuration of a brand-new group,
   * used only if neither the snapshot nor the log holds one.
   */
  public RaftCore(String id, RaftOptions opts, long seed, HardState hardState, SnapshotMeta snapshot, List<Entry> entries,
      Configuration bootstrap, long appliedIndex) {
    this.id = id;
    this.opts = opts;
    this.random = new Random(seed);
    this.term = hardState.term();
    this.votedFor = hardState.votedFor();
    this.snapshot = snapshot;
    long snapIndex = snapshot == null ? 0 : snapshot.index();
    long snapTerm = snapshot == null ? 0 : snapshot.term();
    this.log = new RaftLog(snapIndex, snapTerm, entries, hardState.commit(), Math.max(appliedIndex, snapIndex));
    if (log.committed > log.lastIndex()) {
      throw new IllegalStateException(id + ": commit index " + log.committed + " beyond last log index " + log.lastIndex());
    }
    this.config = snapshot != null ? snapshot.configuration() : bootstrap;
    recomputeConfig();
    this.persistedHardState = hardState;
    this.handedHardState = hardState;
    resetRandomizedElectionTimeout();
  }

  // ------------------------------------------------------------------ accessors

  public String id() {
    return id;
  }

  public long term() {
    return term;
  }

  public Role role() {
    return role;
  }

  /** The leader this replica believes in, or null. */
  public String leader() {
    return leader;
  }

  public long commitIndex() {
    return log.committed;
  }

  /** Highest log index made durable and advanced past by the driver (entries above may be in flight). */
  public long stableIndex() {
    return log.stableIndex();
  }

  /** Highest index the driver reported applied (through {@link #advance}). */
  public long appliedIndex() {
    return log.applied;
  }

  public long lastIndex() {
    return log.lastIndex();
  }

  public long lastTerm() {
    return log.lastTerm();
  }

  public long snapshotIndex() {
    return log.snapshotIndex();
  }

  /**
   * Data bytes of the log entries after {@code index} of the current term (what the current leader
   * sent and this replica took), counted up to {@code cap}.
   */
  public long termBytesAfter(long index, long cap) {
    return log.dataBytesAfter(index, term, cap);
  }

  /** Bytes of log entries held in memory after the snapshot point (what compaction frees). */
  public long logBytes() {
    return log.bytes();
  }

  public Configuration configuration() {
    return config;
  }

  /** Match index of {@code peer} as seen by this leader, or -1. */
  public long matchIndex(String peer) {
    Progress p = progress.get(peer);
    return role == Role.LEADER && p != null ? p.match : -1;
  }

  /** Term of log entry {@code index}, or -1 if unknown here. */
  public long termAt(long index) {
    return log.term(index);
  }

  /** Whether this replica may campaign (it is a voter of the current configuration). */
  /**
   * On a leader: whether its configuration is committed (no change proposed or inherited since is
   * still uncommitted), so the members it lists are the group's for good.
   */
  public boolean configurationCommitted() {
    return role == Role.LEADER && log.committed >= pendingConfIndex;
  }

  public boolean promotable() {
    return config.isVoter(id);
  }

  // ------------------------------------------------------------------ driver API

  public void tick() {
    ticks++;
    if (role == Role.LEADER) {
      tickLeader();
    } else {
      electionElapsed++;
      if (promotable() && electionElapsed >= randomizedElectionTimeout) {
        electionElapsed = 0;
        campaign(opts.preVote());
      }
    }
  }

  /** Starts an election now (bootstrapping, tests). */
  public void campaign() {
    if (promotable() && role != Role.LEADER) {
      campaign(false);
    }
  }

  /** Appends {@code data} as a new entry; returns its index. Fails fast when not leader or busy. */
  public long propose(byte[] data) {
    return proposeEntry(Entry.Type.NORMAL, data);
  }

  /** Proposes a single-server membership change; one may be uncommitted at a time. */
  public long proposeConfChange(ConfChange change) {
    checkLeader();
    if (pendingConfIndex > log.committed) {
      throw new BusyException("a configuration change (index " + pendingConfIndex + ") is still uncommitted");
    }
    Configuration next = config.apply(change); // validates
    long index = proposeEntry(Entry.Type.CONFIG, next.encode());
    pendingConfIndex = index;
    return index;
  }

  private long proposeEntry(Entry.Type type, byte[] data) {
    checkLeader();
    if (leadTransferee != null) {
      throw new NotLeaderException("leadership is being transferred to " + leadTransferee, leadTransferee);
    }
    if (type == Entry.Type.NORMAL && uncommittedBytes + data.length > opts.maxUncommittedBytes()) {
      throw new BusyException("too much uncommitted data (" + uncommittedBytes + " bytes; limit " + opts.maxUncommittedBytes() + ")");
    }
    Entry e = new Entry(log.lastIndex() + 1, term, type, data);
    appendOwn(e);
    bcastAppend();
    return e.index();
  }

  private void checkLeader() {
    if (role != Role.LEADER) {
      throw new NotLeaderException("replica " + id + " is " + role + " in term " + term, leader);
    }
  }

  /**
   * Starts a linearizable read (§6.4). When leadership is confirmed, a {@link ReadState} for
   * {@code requestId} appears in a Ready; serve it once the state machine has applied its index.
   */
  public void readIndex(long requestId) {
    checkLeader();
    if (log.term(log.committed) != term) {
      readsAwaitingCommit.add(requestId); // our no-op is not committed yet: commit index may be stale
      return;
    }
    startRead(requestId);
  }

  private void startRead(long requestId) {
    if (config.voters().size() == 1) {
      readStates.add(new ReadState(requestId, log.committed));
      return;
    }
    if (opts.leaseReads() && leaseValid()) {
      readStates.add(new ReadState(requestId, log.committed));
      return;
    }
    // Every read that arrives before the next Ready joins one round: its heartbeats go out when
    // the driver takes that Ready (after the reads arrived, as linearizability needs), so a burst
    // of reads costs one heartbeat per follower, not one per read.
    pendingReads.add(new PendingRead(requestId, log.committed, readRound + 1));
    readRoundWanted = true;
  }

  /** Sends the heartbeats of the read round the reads since the last Ready wait for. */
  private void sendReadRound() {
    readRoundWanted = false;
    if (role != Role.LEADER) {
      return;
    }
    readRound++;
    progress.get(id).readRoundAcked = readRound;
    for (String peer : config.voters()) {
      if (!peer.equals(id)) {
        Progress p = progress.get(peer);
        send(new Heartbeat(id, peer, term, Math.min(p.match, log.committed), readRound, ticks));
      }
    }
    releaseConfirmedReads(); // a lone voter (or a majority of one) confirms at once
  }

  /** Lease: a majority answered within the last leaseTicks ticks (see docs/raft.md for the argument). */
  private boolean leaseValid() {
    Set<String> fresh = new HashSet<>();
    fresh.add(id);
    for (Map.Entry<String, Progress> e : progress.entrySet()) {
      if (ticks - e.getValue().lastHeardTick <= opts.leaseTicks()) {
        fresh.add(e.getKey());
      }
    }
    return Quorum.hasMajority(config.voters(), fresh);
  }

  /** Hands leadership to {@code to} (§3.10): catch it up, then TimeoutNow. */
  public void transferLeadership(String to) {
    checkLeader();
    if (to.equals(id)) {
      return;
    }
    if (!config.isVoter(to)) {
      throw new InvalidArgumentException("cannot transfer leadership to " + to + ": not a voter of " + config.voters());
    }
    leadTransferee = to;
    transferElapsed = 0;
    Progress p = progress.get(to);
    if (p.match == log.lastIndex()) {
      send(new TimeoutNow(id, to, term));
    } else {
      sendAppend(to);
    }
  }

  /**
   * The state machine holds everything up to {@code index} (≤ applied) durably: forget the log up
   * to it. Followers behind it from now on need a snapshot ({@link InstallSnapshot}). Returns the
   * new snapshot point, which the driver persists with its log.
   */
  public SnapshotMeta compact(long index) {
    if (index > log.applied || index <= log.snapshotIndex()) {
      throw new InvalidArgumentException("cannot compact to " + index + ": applied " + log.applied
          + ", current snapshot " + log.snapshotIndex());
    }
    SnapshotMeta meta = snapshotMetaAt(index);
    snapshot = meta;
    log.compactTo(index, meta.term());
    return meta;
  }

  /**
   * What a snapshot of the state machine at {@code index} is: term and configuration at that
   * index. {@code index} must be committed and not below the snapshot point.
   */
  public SnapshotMeta snapshotMetaAt(long index) {
    if (index > log.committed || index < log.snapshotIndex()) {
      throw new InvalidArgumentException("no snapshot at " + index + ": committed " + log.committed
          + ", snapshot point " + log.snapshotIndex());
    }
    return new SnapshotMeta(index, log.term(index), configAt(index));
  }

  /** The last snapshot point (compaction or installed snapshot), or null. */
  public SnapshotMeta snapshotMeta() {
    return snapshot;
  }

  private Configuration configAt(long index) {
    Configuration c = snapshot == null ? config : snapshot.configuration();
    for (long i = log.firstIndex(); i <= index && i <= log.lastIndex(); i++) {
      Entry e = log.entry(i);
      if (e.type() == Entry.Type.CONFIG) {
        c = Configuration.decode(e.data());
      }
    }
    return c;
  }

  public boolean hasReady() {
    return readRoundWanted || !msgs.isEmpty() || log.hasUnstable() || log.hasNextCommitted() || !readStates.isEmpty()
        || (snapshotToPersist != null && !snapshotHanded) || !hardState().equals(handedHardState);
  }

  private HardState hardState() {
    return new HardState(term, votedFor, log.committed);
  }

  /**
   * What to do next. The driver may take further Readys before it advances this one (several
   * writes in flight), but must carry them out, and advance them, in the order it took them.
   */
  public Ready ready() {
    if (readRoundWanted) {
      sendReadRound();
    }
    HardState hs = hardState();
    boolean newSnapshot = snapshotToPersist != null && !snapshotHanded;
    Ready r = new Ready(
        hs.equals(handedHardState) ? null : hs,
        newSnapshot ? snapshotToPersist : null,
        log.takeUnstable(),
        List.copyOf(msgs),
        snapshotToPersist != null ? List.of() : log.takeNextCommitted(),
        List.copyOf(readStates),
        role,
        leader);
    handedHardState = hs;
    snapshotHanded = snapshotToPersist != null;
    msgs.clear();
    readStates.clear();
    return r;
  }

  /** The driver did everything {@code r} asked. */
  public void advance(Ready r) {
    if (r.hardState() != null) {
      persistedHardState = r.hardState();
    }
    if (r.snapshot() != null && r.snapshot() == snapshotToPersist) {
      snapshotToPersist = null; // (a newer snapshot received meanwhile stays to be persisted)
      snapshotHanded = false;
    }
    if (!r.entries().isEmpty()) {
      Entry last = r.entries().get(r.entries().size() - 1);
      if (log.term(last.index()) == last.term()) {
        log.stableTo(last.index());
      }
    }
    if (!r.committed().isEmpty()) {
      log.applied = Math.max(log.applied, r.committed().get(r.committed().size() - 1).index());
    }
    if (role == Role.LEADER) {
      Progress self = progress.get(id);
      if (self != null && log.stableIndex() > self.match) {
        self.match = log.stableIndex();
        self.next = self.match + 1;
        maybeCommit();
      }
    }
  }

  // ------------------------------------------------------------------ roles

  private void resetRandomizedElectionTimeout() {
    randomizedElectionTimeout = opts.electionTicks() + random.nextInt(opts.electionTicks());
  }

  private void reset(long newTerm) {
    if (term != newTerm) {
      term = newTerm;
      votedFor = null;
    }
    leader = null;
    electionElapsed = 0;
    heartbeatElapsed = 0;
    resetRandomizedElectionTimeout();
    votes.clear();
    leadTransferee = null;
    pendingReads.clear();
    readRoundWanted = false;
    readsAwaitingCommit.clear();
    progress.clear();
  }

  private void becomeFollower(long newTerm, String newLeader) {
    reset(newTerm);
    role = Role.FOLLOWER;
    knowLeader(newLeader);
  }

  /** Sets the leader this replica knows; counts a change when it is one other than the last it knew. */
  private void knowLeader(String l) {
    leader = l;
    if (l != null && !l.equals(lastKnownLeader)) {
      lastKnownLeader = l;
      leaderChanges++;
    }
  }

  /** Times this replica learned of a leader other than the last it knew (the first one included). */
  public long leaderChanges() {
    return leaderChanges;
  }

  private void becomePreCandidate() {
    // term and vote unchanged (§9.6): a pre-vote disturbs nobody
    votes.clear();
    leader = null;
    role = Role.PRE_CANDIDATE;
  }

  private void becomeCandidate() {
    reset(term + 1);
    votedFor = id;
    role = Role.CANDIDATE;
  }

  private void becomeLeader() {
    reset(term);
    role = Role.LEADER;
    knowLeader(id);
    for (String m : config.members()) {
      progress.put(m, new Progress(log.lastIndex() + 1));
    }
    Progress self = progress.get(id);
    self.match = log.stableIndex();
    self.recentActive = true;
    uncommittedBytes = 0;
    pendingConfIndex = log.lastIndex(); // no new change until everything we inherited is committed
    appendOwn(new Entry(log.lastIndex() + 1, term, Entry.Type.NOOP, null)); // §8: commit our term
    bcastAppend();
  }

  private void campaign(boolean pre) {
    campaign(pre, false);
  }

  private void campaign(boolean pre, boolean transfer) {
    if (pre) {
      becomePreCandidate();
    } else {
      becomeCandidate();
    }
    long voteTerm = pre ? term + 1 : term;
    votes.put(id, true);
    if (Quorum.tally(config.voters(), votes) == Quorum.VoteResult.WON) {
      if (pre) {
        campaign(false);
      } else {
        becomeLeader();
      }
      return;
    }
    for (String peer : config.voters()) {
      if (peer.equals(id)) {
        continue;
      }
      if (pre) {
        send(new PreVote(id, peer, voteTerm, log.lastIndex(), log.lastTerm()));
      } else {
        send(new RequestVote(id, peer, voteTerm, log.lastIndex(), log.lastTerm(), transfer));
      }
    }
  }

  // ------------------------------------------------------------------ step

  public void step(RaftMessage m) {
    if (!config.contains(m.from()) && !(m instanceof AppendEntries) && !(m instanceof Heartbeat)
        && !(m instanceof InstallSnapshot) && !(m instanceof TimeoutNow)) {
      // replies and votes from non-members are noise (e.g. a removed replica)
      if (!(m instanceof PreVote) && !(m instanceof RequestVote)) {
        return;
      }
    }
    if (m.term() > term) {
      if (m instanceof PreVote || (m instanceof PreVoteResponse pr && pr.granted())) {
        // pre-votes never change terms
      } else if (m instanceof RequestVote rv && !rv.transfer()
          && ((opts.checkQuorum() && leader != null && electionElapsed < opts.electionTicks()) || inStartupQuietPeriod())) {
        return; // we heard from a live leader recently: ignore (and do not adopt) the disruptive term
      } else {
        boolean fromLeader = m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot;
        becomeFollower(m.term(), fromLeader ? m.from() : null);
      }
    } else if (m.term() < term) {
      if ((opts.checkQuorum() || opts.preVote()) && (m instanceof AppendEntries || m instanceof Heartbeat)) {
        send(new AppendResponse(id, m.from(), term, false, 0, 0)); // tells a stale leader about our term
      } else if (m instanceof PreVote) {
        send(new PreVoteResponse(id, m.from(), term, false));
      }
      return;
    }

    if (m instanceof PreVote pv) {
      handlePreVote(pv);
    } else if (m instanceof RequestVote rv) {
      handleVote(rv);
    } else if (m instanceof PreVoteResponse r) {
      if (role == Role.PRE_CANDIDATE && (r.term() == term + 1 || (!r.granted() && r.term() == term))) {
        countVote(r.from(), r.granted(), true);
      }
    } else if (m instanceof VoteResponse r) {
      if (role == Role.CANDIDATE) {
        countVote(r.from(), r.granted(), false);
      }
    } else if (m instanceof AppendEntries a) {
      followLeader(a.from());
      handleAppend(a);
    } else if (m instanceof Heartbeat h) {
      followLeader(h.from());
      log.committed = Math.max(log.committed, Math.min(h.commit(), log.lastIndex()));
      send(new HeartbeatResponse(id, h.from(), term, h.readRound(), h.sentTick()));
    } else if (m instanceof InstallSnapshot s) {
      followLeader(s.from());
      handleSnapshot(s);
    } else if (m instanceof AppendResponse r) {
      if (role == Role.LEADER) {
        handleAppendResponse(r);
      }
    } else if (m instanceof HeartbeatResponse r) {
      if (role == Role.LEADER) {
        handleHeartbeatResponse(r);
      }
    } else if (m instanceof TimeoutNow) {
      if (promotable() && role != Role.LEADER) {
        campaign(false, true);
      }
    }
  }

  /** A message from the leader of our term: follow it and restart the election timer. */
  private void followLeader(String from) {
    if (role != Role.FOLLOWER) {
      becomeFollower(term, from);
    }
    knowLeader(from);
    electionElapsed = 0;
  }

  /**
   * With leader leases, a replica that just started may have acknowledged a lease it no longer
   * remembers: it grants no vote until one election timeout has passed since it started.
   */
  private boolean inStartupQuietPeriod() {
    return opts.leaseReads() && ticks < opts.electionTicks();
  }

  private void handlePreVote(PreVote m) {
    boolean leaseHeld = (opts.checkQuorum() && leader != null && electionElapsed < opts.electionTicks())
        || inStartupQuietPeriod();
    boolean granted = !leaseHeld && m.term() > term && log.isUpToDate(m.lastIndex(), m.lastTerm());
    send(new PreVoteResponse(id, m.from(), granted ? m.term() : term, granted));
  }

  private void handleVote(RequestVote m) {
    boolean canVote = votedFor == null ? leader == null : votedFor.equals(m.from());
    boolean granted = canVote && log.isUpToDate(m.lastIndex(), m.lastTerm());
    if (granted) {
      votedFor = m.from();
      electionElapsed = 0;
    }
    send(new VoteResponse(id, m.from(), term, granted));
  }

  private void countVote(String from, boolean granted, boolean pre) {
    votes.putIfAbsent(from, granted);
    switch (Quorum.tally(config.voters(), votes)) {
      case WON -> {
        if (pre) {
          campaign(false);
        } else {
          becomeLeader();
        }
      }
      case LOST -> becomeFollower(term, null);
      case PENDING -> {}
    }
  }

  // ------------------------------------------------------------------ follower side

  private void handleAppend(AppendEntries m) {
    if (m.prevIndex() < log.committed) {
      send(new AppendResponse(id, m.from(), term, true, log.committed, 0));
      return;
    }
    if (log.matchTerm(m.prevIndex(), m.prevTerm())) {
      long lastBefore = log.lastIndex();
      long lastNew = log.appendAfter(m.prevIndex(), m.entries());
      if (carriesConfig(m.entries()) || log.lastIndex() < lastBefore || truncatedBelowConfig(m.entries(), lastBefore)) {
        recomputeConfig(); // only when a configuration entry may have come or gone
      }
      log.committed = Math.max(log.committed, Math.min(m.commit(), lastNew));
      send(new AppendResponse(id, m.from(), term, true, lastNew, 0));
      return;
    }
    long hintIndex = log.findConflictByTerm(Math.min(m.prevIndex(), log.lastIndex()), m.prevTerm());
    send(new AppendResponse(id, m.from(), term, false, hintIndex, Math.max(log.term(hintIndex), 0)));
  }

  /**
   * The driver has the snapshot's files on disk, verified: adopt it (the Ready hands it back to be
   * persisted and installed in the state machine) unless the log already holds everything in it.
   */
  private void handleSnapshot(InstallSnapshot m) {
    SnapshotMeta meta = m.meta();
    if (meta.index() <= log.committed) {
      send(new AppendResponse(id, m.from(), term, true, log.committed, 0));
      return;
    }
    snapshot = meta;
    snapshotToPersist = meta;
    snapshotHanded = false;
    log.restore(meta);
    config = meta.configuration();
    send(new AppendResponse(id, m.from(), term, true, meta.index(), 0));
  }


  // ------------------------------------------------------------------ leader side

  private void tickLeader() {
    heartbeatElapsed++;
    electionElapsed++;
    if (leadTransferee != null && ++transferElapsed >= opts.electionTicks()) {
      leadTransferee = null; // transfer timed out (§3.10): resume normal operation
    }
    if (electionElapsed >= opts.electionTicks()) {
      electionElapsed = 0;
      if (opts.checkQuorum()) {
        Set<String> active = new HashSet<>();
        for (Map.Entry<String, Progress> e : progress.entrySet()) {
          if (e.getKey().equals(id) || e.getValue().recentActive) {
            active.add(e.getKey());
          }
          e.getValue().recentActive = false;
        }
        if (!Quorum.hasMajority(config.voters(), active)) {
          becomeFollower(term, null); // check-quorum: we may be on the minority side
          return;
        }
      }
    }
    if (heartbeatElapsed >= opts.heartbeatTicks()) {
      heartbeatElapsed = 0;
      for (String peer : progress.keySet()) {
        if (peer.equals(id)) {
          continue;
        }
        Progress p = progress.get(peer);
        if (p.state == Progress.State.SNAPSHOT) {
          sendSnapshot(peer, p); // the driver restarts a transfer that failed
        }
        send(new Heartbeat(id, peer, term, Math.min(p.match, log.committed), 0, ticks));
      }
    }
  }

  private void appendOwn(Entry e) {
    log.append(e);
    if (e.type() == Entry.Type.NORMAL) {
      uncommittedBytes += e.data().length;
    }
    if (e.type() == Entry.Type.CONFIG) {
      recomputeConfig();
    }
  }

  private void bcastAppend() {
    for (String peer : progress.keySet()) {
      if (!peer.equals(id)) {
        sendAppend(peer);
      }
    }
  }

  /** Sends what {@code peer} is missing (or a commit update), respecting its flow-control state. */
  private void sendAppend(String peer) {
    Progress p = progress.get(peer);
    if (p == null || p.paused(opts.maxInflightAppends(), opts.maxInflightBytes())) {
      return;
    }
    long prevIndex = p.next - 1;
    long prevTerm = log.term(prevIndex);
    if (prevTerm < 0) {
      if (snapshot == null) {
        throw new IllegalStateException(id + ": log compacted below " + p.next + " without a snapshot");
      }
      // Any snapshot at or after the compaction point lets the follower continue from the log
      // (compaction is held at a snapshot being sent). Not the applied index: the state machine
      // may be behind it (Readys are applied as their writes finish), so the checkpoint sent
      // could not reach it and the follower was sent a second snapshot right after the first.
      p.becomeSnapshot(snapshot.index());
      sendSnapshot(peer, p);
      return;
    }
    List<Entry> entries = log.slice(p.next, log.lastIndex() + 1, opts.maxEntriesPerAppend(), opts.maxBytesPerAppend());
    send(new AppendEntries(id, peer, term, prevIndex, prevTerm, entries, log.committed));
    if (p.state == Progress.State.REPLICATE) {
      if (!entries.isEmpty()) {
        long last = entries.get(entries.size() - 1).index();
        p.next = last + 1;
        long bytes = 0;
        for (Entry e : entries) {
          bytes += e.size();
        }
        p.sent(last, bytes);
      }
    } else {
      p.probeSent = true;
    }
  }

  /**
   * Asks the driver for a snapshot at or after the compaction point for {@code peer} (the driver
   * sends a checkpoint it has, or makes one at the state machine's applied index, and names the
   * index it actually sends).
   */
  private void sendSnapshot(String peer, Progress p) {
    send(new InstallSnapshot(id, peer, term, snapshotMetaAt(Math.max(snapshot.index(), p.pendingSnapshot))));
  }

  /**
   * Whether this leader still waits for {@code peer} to get a snapshot. An InstallSnapshot the
   * driver takes from a Ready may be stale: the follower may have installed one and been matched
   * meanwhile (the driver hands a Ready's messages over only once its log write is durable).
   */
  public boolean awaitsSnapshot(String peer) {
    Progress p = progress.get(peer);
    return role == Role.LEADER && p != null && p.state == Progress.State.SNAPSHOT;
  }

  /** The driver gave up a transfer to {@code peer}: probe it again (a failed transfer restarts from there). */
  public void snapshotFailed(String peer) {
    Progress p = progress.get(peer);
    if (role == Role.LEADER && p != null && p.state == Progress.State.SNAPSHOT) {
      p.becomeProbe();
    }
  }

  private void handleAppendResponse(AppendResponse r) {
    Progress p = progress.get(r.from());
    if (p == null) {
      return;
    }
    p.recentActive = true;
    if (!r.success() && p.state == Progress.State.SNAPSHOT) {
      // The follower waits for a snapshot: a rejection now answers an append sent before (stale,
      // as in etcd/raft). Probing again would ask for a newer snapshot than the one on its way,
      // and the follower would be sent a second one right after the first.
      return;
    }
    if (!r.success()) {
      // Fast back-off: jump to where the follower says our logs may agree.
      long next = r.hintTerm() > 0 ? log.findConflictByTerm(r.index(), r.hintTerm()) + 1 : r.index() + 1;
      p.becomeProbe();
      p.next = Math.max(p.match + 1, Math.min(next, log.lastIndex() + 1));
      sendAppend(r.from());
      return;
    }
    boolean advanced = r.index() > p.match;
    if (advanced) {
      p.match = r.index();
      p.next = Math.max(p.next, p.match + 1);
    }
    switch (p.state) {
      case PROBE -> p.becomeReplicate();
      case SNAPSHOT -> {
        if (p.match >= p.pendingSnapshot) {
          p.becomeProbe();
          p.becomeReplicate();
        }
      }
      case REPLICATE -> p.freeTo(r.index());
    }
    if (advanced && maybeCommit()) {
      bcastAppend();
    } else if (p.next <= log.lastIndex()) {
      sendAppend(r.from());
    }
    if (r.from().equals(leadTransferee) && p.match == log.lastIndex()) {
      send(new TimeoutNow(id, r.from(), term));
    }
  }

  private void handleHeartbeatResponse(HeartbeatResponse r) {
    Progress p = progress.get(r.from());
    if (p == null) {
      return;
    }
    p.recentActive = true;
    // The lease runs from when the acknowledged heartbeat was sent: the follower reset its
    // election timer no earlier than that.
    p.lastHeardTick = Math.max(p.lastHeardTick, r.sentTick());
    if (p.state == Progress.State.PROBE) {
      p.probeSent = false; // a lost probe is retried on the next heartbeat answer
    } else if (p.state == Progress.State.REPLICATE && p.paused(opts.maxInflightAppends(), opts.maxInflightBytes())) {
      p.freeFirst(); // appends may have been lost: let one more through (a gap is rejected, then probed)
    }
    if (p.match < log.lastIndex()) {
      sendAppend(r.from());
    }
    if (r.readRound() > 0) {
      p.readRoundAcked = Math.max(p.readRoundAcked, r.readRound());
      releaseConfirmedReads();
    }
  }

  private void releaseConfirmedReads() {
    while (!pendingReads.isEmpty()) {
      PendingRead head = pendingReads.get(0);
      long round = head.round();
      if (Quorum.committedIndex(config.voters(), v -> {
        Progress p = progress.get(v);
        return p == null ? 0 : p.readRoundAcked;
      }) < round) {
        return;
      }
      pendingReads.remove(0);
      readStates.add(new ReadState(head.requestId(), head.index()));
    }
  }

  /** Advances the commit index to what a majority has stored, if it is of our term (§5.4.2). */
  private boolean maybeCommit() {
    long candidate = Quorum.committedIndex(config.voters(), v -> {
      Progress p = progress.get(v);
      return p == null ? 0 : p.match;
    });
    if (candidate > log.committed && log.term(candidate) == term) {
      for (long i = log.committed + 1; i <= candidate; i++) {
        Entry e = log.entry(i);
        if (e.type() == Entry.Type.NORMAL) {
          uncommittedBytes -= e.data().length;
        }
      }
      log.committed = candidate;
      if (!readsAwaitingCommit.isEmpty()) {
        List<Long> waiting = new ArrayList<>(readsAwaitingCommit);
        readsAwaitingCommit.clear();
        waiting.forEach(this::startRead);
      }
      if (!config.isVoter(id) && log.committed >= pendingConfIndex) {
        // our own removal is committed (§4.2.2): hand over by stepping down
        becomeFollower(term, null);
        return false;
      }
      return true;
    }
    return false;
  }

  private static boolean carriesConfig(List<Entry> entries) {
    for (Entry e : entries) {
      if (e.type() == Entry.Type.CONFIG) {
        return true;
      }
    }
    return false;
  }

  /** Whether appending {@code entries} replaced existing entries (a truncation happened). */
  private boolean truncatedBelowConfig(List<Entry> entries, long lastBefore) {
    return !entries.isEmpty() && entries.get(0).index() <= lastBefore;
  }

  /** The configuration is the latest one in the log, committed or not (§4.1). */
  private void recomputeConfig() {
    Entry ce = log.latestConfigEntry();
    Configuration c = ce != null ? Configuration.decode(ce.data())
        : snapshot != null ? snapshot.configuration() : config;
    if (!c.equals(config)) {
      config = c;
      if (role == Role.LEADER) {
        for (String m : c.members()) {
          progress.computeIfAbsent(m, k -> new Progress(log.lastIndex()));
        }
        progress.keySet().removeIf(k -> !c.contains(k) && !k.equals(id));
      }
    }
  }

  private void send(RaftMessage m) {
    msgs.add(m);
  }
}
