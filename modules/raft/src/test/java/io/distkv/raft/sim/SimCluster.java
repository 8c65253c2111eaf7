package io.distkv.raft.sim;

import io.distkv.common.error.DistKvException;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Entry;
import io.distkv.raft.core.HardState;
import io.distkv.raft.core.RaftCore;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.core.ReadState;
import io.distkv.raft.core.Ready;
import io.distkv.raft.core.Role;
import io.distkv.raft.core.SnapshotMeta;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A whole Raft group in one thread: cores, their "disks", a controllable network and a tiny
 * key-value state machine, all driven by a seeded random schedule. After every step the Raft
 * safety properties are checked; a violation throws {@link AssertionError} naming the seed/step.
 */
public final class SimCluster {
  /** What a replica has made durable. */
  static final class Disk {
    HardState hardState = HardState.EMPTY;
    /** The log's compaction point, and the state machine's state there (its durable state). */
    SnapshotMeta snapshot;
    byte[] snapshotState;
    final List<Entry> entries = new ArrayList<>();
  }

  /** A value in the state machine and the log index that wrote it. */
  record Versioned(String value, long index) {}

  final class Node {
    final String id;
    final Disk disk = new Disk();
    RaftCore core;
    boolean up = true;
    TreeMap<String, Versioned> state = new TreeMap<>();
    long applied;
    final Map<Long, String> pendingReadKeys = new HashMap<>();
    final List<ReadState> readyReads = new ArrayList<>();
    /** Readys taken but not yet written (pipelined mode), oldest first; a crash loses them. */
    final java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();

    Node(String id) {
      this.id = id;
    }

    void start() {
      Disk d = disk;
      state = new TreeMap<>();
      applied = 0;
      if (d.snapshot != null) {
        state = decodeState(d.snapshotState);
        applied = d.snapshot.index();
      }
      core = new RaftCore(id, options, random.nextLong(), d.hardState, d.snapshot, List.copyOf(d.entries), bootstrap, applied);
      up = true;
      pendingReadKeys.clear();
      readyReads.clear();
      inFlight.clear();
    }
  }

  /** A Ready handed to the (simulated) disk, and the messages that must wait until it is written. */
  /** {@code applied}: its committed entries and reads were served when it was taken (see {@link #process}). */
  record InFlight(Ready ready, List<RaftMessage> deferred, boolean applied) {}

  final RaftOptions options;
  final Configuration bootstrap;
  final Random random;
  final long seed;
  final Map<String, Node> nodes = new TreeMap<>();
  final List<RaftMessage> network = new ArrayList<>();
  final Set<String> blocked = new HashSet<>(); // "from->to"
  double dropRate;
  double duplicateRate;
  long step;
  /**
   * How many Readys a replica may have in flight (0 = the synchronous driver: each Ready is
   * written, applied and advanced before the next is taken). Drawn per seed, so both the
   * synchronous driver and the pipelined one of {@code RaftReplica} are exercised.
   */
  final int pipelineDepth;

  // global observations
  final Map<Long, Entry> committed = new HashMap<>(); // index -> entry applied somewhere
  final Map<Long, Long> committedByTerm = new HashMap<>(); // index -> lowest term of a replica that applied it
  final Map<Long, String> leaders = new HashMap<>(); // term -> leader
  final Map<String, Versioned> lastCommittedWrite = new HashMap<>(); // key -> latest applied write
  long maxCommitSeen;
  long nextRequestId = 1;
  int readsServed;
  int proposalsCommitted;
  final Map<Long, Long> readIssuedAtCommit = new HashMap<>();
  final Map<Long, Versioned> readMustSee = new HashMap<>();

  public SimCluster(int size, RaftOptions options, long seed) {
    this.options = options;
    this.seed = seed;
    this.random = new Random(seed);
    this.pipelineDepth = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(4);
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      ids.add("r" + i);
    }
    this.bootstrap = new Configuration(new HashSet<>(ids), Set.of());
    for (String id : ids) {
      Node n = new Node(id);
      n.start();
      nodes.put(id, n);
    }
  }

  String where() {
    return "seed " + seed + " step " + step;
  }

  // ------------------------------------------------------------------ driving

  /**
   * Takes every Ready the node has. Synchronous mode: write, send, apply, advance each at once.
   * Pipelined mode: up to {@code pipelineDepth} in flight; leader traffic goes out at once (a
   * leader may send appends before its own write is done, thesis §10.2.1), everything else waits
   * for {@link #completeWrite}, which a random step performs, oldest first.
   */
  void process(Node n) {
    if (pipelineDepth == 0) {
      while (n.up && n.core.hasReady()) {
        Ready r = n.core.ready();
        complete(n, new InFlight(r, r.messages(), false));
      }
      return;
    }
    while (n.up && n.inFlight.size() < pipelineDepth && n.core.hasReady()) {
      Ready r = n.core.ready();
      List<RaftMessage> deferred = new ArrayList<>();
      for (RaftMessage m : r.messages()) {
        if (m instanceof RaftMessage.AppendEntries || m instanceof RaftMessage.Heartbeat
            || m instanceof RaftMessage.InstallSnapshot || m instanceof RaftMessage.TimeoutNow) {
          send(n, m);
        } else {
          deferred.add(m);
        }
      }
      // RaftReplica's rule: committed entries below the replica's own durable log index are
      // applied at once, ahead of the writes in flight, when nothing earlier waits to be applied.
      boolean applyNow = r.snapshot() == null && n.inFlight.stream().allMatch(InFlight::applied)
          && (r.committed().isEmpty() || r.committed().get(r.committed().size() - 1).index() <= n.core.stableIndex());
      if (applyNow) {
        applyAndServe(n, r);
      }
      n.inFlight.add(new InFlight(r, deferred, applyNow));
    }
  }

  /** The disk finishes the node's oldest in-flight write; its answers go out, then more Readys. */
  void completeWrite(Node n) {
    if (n.up && !n.inFlight.isEmpty()) {
      complete(n, n.inFlight.poll());
      process(n);
    }
  }

  /**
   * Every snapshot sent so far, by index: a snapshot's files, as the real driver streams them
   * before its receiver steps the InstallSnapshot in. Two snapshots at one index must hold the
   * same state (state machine safety), which {@link #sendSnapshot} checks.
   */
  private final Map<Long, byte[]> snapshotFiles = new HashMap<>();

  /**
   * RaftReplica's rule for a core's InstallSnapshot: a checkpoint of the state machine as applied
   * now (not below the requested index) goes to the follower, whose core then adopts it.
   */
  private void sendSnapshot(Node n, RaftMessage.InstallSnapshot m) {
    SnapshotMeta meta = n.core.snapshotMetaAt(n.applied);
    if (meta.index() < m.meta().index()) {
      throw new AssertionError("seed " + seed + ": " + n.id + " applied " + n.applied + " is below the snapshot it was asked for, "
          + m.meta().index());
    }
    byte[] data = encodeState(n.state);
    byte[] earlier = snapshotFiles.putIfAbsent(meta.index(), data);
    if (earlier != null && !java.util.Arrays.equals(earlier, data)) {
      throw new AssertionError("seed " + seed + ": two snapshots at index " + meta.index() + " differ");
    }
    send(new RaftMessage.InstallSnapshot(m.from(), m.to(), m.term(), meta));
  }

  /** Sends {@code m} from {@code n} as its driver would. */
  private void send(Node n, RaftMessage m) {
    if (m instanceof RaftMessage.InstallSnapshot s) {
      sendSnapshot(n, s);
    } else {
      send(m);
    }
  }

  private void send(RaftMessage m) {
    if (blocked.contains(m.from() + "->" + m.to()) || random.nextDouble() < dropRate) {
      return;
    }
    network.add(m);
    if (random.nextDouble() < duplicateRate) {
      network.add(m);
    }
  }

  /** Writes {@code f}'s Ready to disk, sends its waiting messages, applies, advances. */
  private void complete(Node n, InFlight f) {
    Ready r = f.ready();
    if (r.hardState() != null) {
      n.disk.hardState = r.hardState();
    }
    if (r.snapshot() != null) {
      byte[] files = snapshotFiles.get(r.snapshot().index());
      n.disk.snapshot = r.snapshot();
      n.disk.snapshotState = files;
      n.disk.entries.clear();
      n.state = decodeState(files);
      n.applied = r.snapshot().index();
    }
    if (!r.entries().isEmpty()) {
      long first = r.entries().get(0).index();
      n.disk.entries.removeIf(e -> e.index() >= first);
      n.disk.entries.addAll(r.entries());
    }
    for (RaftMessage m : f.deferred()) {
      send(n, m);
    }
    if (!f.applied()) {
      for (Entry e : r.committed()) {
        apply(n, e);
      }
      n.readyReads.addAll(r.readStates());
    }
    n.core.advance(r);
    serveReads(n);
    observe(n);
  }

  private void applyAndServe(Node n, Ready r) {
    for (Entry e : r.committed()) {
      apply(n, e);
    }
    n.readyReads.addAll(r.readStates());
    serveReads(n);
  }

  private void apply(Node n, Entry e) {
    if (e.index() != n.applied + 1) {
      throw new AssertionError(where() + ": " + n.id + " applied " + e.index() + " after " + n.applied);
    }
    Entry seen = committed.putIfAbsent(e.index(), e);
    if (seen != null && (seen.term() != e.term() || !java.util.Arrays.equals(seen.data(), e.data()))) {
      throw new AssertionError(where() + ": state machine safety: " + n.id + " applied (" + e.index() + "," + e.term()
          + ") but (" + seen.index() + "," + seen.term() + ") was applied elsewhere");
    }
    committedByTerm.merge(e.index(), n.core.term(), Math::min);
    n.applied = e.index();
    if (e.type() == Entry.Type.NORMAL) {
      String[] kv = new String(e.data(), StandardCharsets.UTF_8).split("=", 2);
      Versioned v = new Versioned(kv[1], e.index());
      n.state.put(kv[0], v);
      Versioned prev = lastCommittedWrite.get(kv[0]);
      if (prev == null || prev.index() < e.index()) {
        lastCommittedWrite.put(kv[0], v);
      }
      if (seen == null) {
        proposalsCommitted++;
      }
    }
  }

  private void serveReads(Node n) {
    for (var it = n.readyReads.iterator(); it.hasNext(); ) {
      ReadState rs = it.next();
      if (n.applied < rs.index()) {
        continue;
      }
      it.remove();
      String key = n.pendingReadKeys.remove(rs.requestId());
      Long mustBeAtLeast = readIssuedAtCommit.remove(rs.requestId());
      Versioned mustSee = readMustSee.remove(rs.requestId());
      if (key == null) {
        continue;
      }
      if (mustBeAtLeast != null && rs.index() < mustBeAtLeast) {
        throw new AssertionError(where() + ": linearizability: read " + rs.requestId() + " got index " + rs.index()
            + " but " + mustBeAtLeast + " was committed when it was issued");
      }
      Versioned got = n.state.get(key);
      if (mustSee != null && (got == null || got.index() < mustSee.index())) {
        throw new AssertionError(where() + ": stale read of " + key + " on " + n.id + ": got " + got + ", must see " + mustSee);
      }
      readsServed++;
    }
  }

  /** Checks the per-step safety properties. */
  void observe(Node n) {
    RaftCore c = n.core;
    maxCommitSeen = Math.max(maxCommitSeen, c.commitIndex());
    if (c.role() == Role.LEADER) {
      String prev = leaders.putIfAbsent(c.term(), n.id);
      if (prev != null && !prev.equals(n.id)) {
        throw new AssertionError(where() + ": election safety: " + prev + " and " + n.id + " both lead term " + c.term());
      }
      // Leader completeness: an entry committed by term T is in the log of every leader of a later
      // term. (A replica that applied it had a term >= the term that committed it.)
      for (Map.Entry<Long, Entry> e : committed.entrySet()) {
        long i = e.getKey();
        if (committedByTerm.get(i) < c.term() && i > c.snapshotIndex() && c.termAt(i) != e.getValue().term()) {
          throw new AssertionError(where() + ": leader completeness: leader " + n.id + " (term " + c.term()
              + ") has term " + c.termAt(i) + " at committed index " + i + ", expected " + e.getValue().term());
        }
      }
    }
  }

  /** Log matching: if two logs have an entry with the same index and term, all before agree. */
  void checkLogMatching() {
    List<Node> all = new ArrayList<>(nodes.values());
    for (int a = 0; a < all.size(); a++) {
      for (int b = a + 1; b < all.size(); b++) {
        RaftCore x = all.get(a).core;
        RaftCore y = all.get(b).core;
        long hi = Math.min(x.lastIndex(), y.lastIndex());
        long lo = Math.max(x.snapshotIndex(), y.snapshotIndex()) + 1;
        boolean matched = false;
        for (long i = hi; i >= lo; i--) {
          if (!matched && x.termAt(i) == y.termAt(i)) {
            matched = true;
          } else if (matched && x.termAt(i) != y.termAt(i)) {
            throw new AssertionError(where() + ": log matching: " + all.get(a).id + " and " + all.get(b).id
                + " agree above index " + i + " but differ at it");
          }
        }
      }
    }
  }

  void deliver(RaftMessage m) {
    Node to = nodes.get(m.to());
    if (to == null || !to.up || blocked.contains(m.from() + "->" + m.to())) {
      return;
    }
    to.core.step(m);
    process(to);
  }

  void tick(Node n) {
    if (n.up) {
      n.core.tick();
      process(n);
    }
  }

  void tickAll() {
    nodes.values().forEach(this::tick);
  }

  Node leader() {
    Node best = null;
    for (Node n : nodes.values()) {
      if (n.up && n.core.role() == Role.LEADER && (best == null || n.core.term() > best.core.term())) {
        best = n;
      }
    }
    return best;
  }

  boolean propose(String key, String value) {
    Node l = leader();
    if (l == null) {
      return false;
    }
    try {
      l.core.propose((key + "=" + value).getBytes(StandardCharsets.UTF_8));
      process(l);
      return true;
    } catch (DistKvException e) {
      return false;
    }
  }

  void read(String key) {
    Node l = leader();
    if (l == null) {
      return;
    }
    long id = nextRequestId++;
    try {
      readIssuedAtCommit.put(id, maxCommitSeen);
      Versioned must = lastCommittedWrite.get(key);
      if (must != null) {
        readMustSee.put(id, must);
      }
      l.pendingReadKeys.put(id, key);
      l.core.readIndex(id);
      process(l);
    } catch (DistKvException e) {
      l.pendingReadKeys.remove(id);
      readIssuedAtCommit.remove(id);
      readMustSee.remove(id);
    }
  }

  void crash(Node n) {
    n.up = false;
    network.removeIf(m -> m.to().equals(n.id));
  }

  void restart(Node n) {
    n.start();
    process(n);
  }

  void snapshot(Node n) {
    // (only when nothing applied early is still unadvanced: the snapshot's index must be the state's)
    if (n.up && n.applied > n.core.snapshotIndex() + 5 && n.applied == n.core.appliedIndex()) {
      n.disk.snapshotState = encodeState(n.state);
      n.disk.snapshot = n.core.compact(n.applied);
      long upTo = n.applied;
      n.disk.entries.removeIf(e -> e.index() <= upTo);
    }
  }

  void partition(Set<String> side) {
    for (String a : nodes.keySet()) {
      for (String b : nodes.keySet()) {
        if (side.contains(a) != side.contains(b)) {
          blocked.add(a + "->" + b);
        }
      }
    }
  }

  void heal() {
    blocked.clear();
  }

  /** One random step of the fault schedule. */
  void randomStep() {
    step++;
    int r = random.nextInt(1000);
    List<Node> all = new ArrayList<>(nodes.values());
    if (pipelineDepth > 0 && random.nextInt(4) == 0) {
      completeWrite(all.get(random.nextInt(all.size()))); // disks finish writes at their own pace
    } else if (r < 420 && !network.isEmpty()) {
      deliver(network.remove(random.nextInt(network.size()))); // any order: reordering
    } else if (r < 450 && !network.isEmpty()) {
      network.remove(random.nextInt(network.size())); // drop
    } else if (r < 470 && !network.isEmpty()) {
      network.add(network.get(random.nextInt(network.size()))); // duplicate
    } else if (r < 700) {
      if (options.leaseReads()) {
        tickAll(); // leases assume bounded clock drift: all clocks advance together
      } else {
        tick(all.get(random.nextInt(all.size()))); // unbounded drift: clocks advance independently
      }
    } else if (r < 820) {
      propose("k" + random.nextInt(8), "v" + step);
    } else if (r < 870) {
      read("k" + random.nextInt(8));
    } else if (r < 885) {
      Set<String> side = new HashSet<>();
      for (Node n : all) {
        if (random.nextBoolean()) {
          side.add(n.id);
        }
      }
      partition(side);
    } else if (r < 905) {
      heal();
    } else if (r < 915) {
      Node n = all.get(random.nextInt(all.size()));
      if (n.up) {
        crash(n);
      }
    } else if (r < 945) {
      for (Node n : all) {
        if (!n.up) {
          restart(n);
          break;
        }
      }
    } else if (r < 960) {
      snapshot(all.get(random.nextInt(all.size())));
    } else if (r < 970) {
      Node l = leader();
      if (l != null) {
        partition(Set.of(l.id)); // isolate the leader
      }
    } else if (r < 975) {
      Node l = leader();
      if (l != null) {
        try {
          l.core.transferLeadership(all.get(random.nextInt(all.size())).id);
          process(l);
        } catch (DistKvException e) {
          // not a voter or not leader: fine
        }
      }
    } else {
      tickAll();
    }
    if (step % 50 == 0) {
      checkLogMatching();
    }
  }

  /**
   * Heals everything and runs ticks (no faults) until a leader exists and a fresh proposal commits;
   * returns the number of tick rounds it took, or -1 if it did not within {@code maxRounds}.
   */
  int healAndAwaitProgress(int maxRounds) {
    heal();
    dropRate = 0;
    duplicateRate = 0;
    for (Node n : nodes.values()) {
      if (!n.up) {
        restart(n);
      }
    }
    String key = "final";
    String value = "v-final-" + seed;
    boolean proposed = false;
    for (int round = 0; round < maxRounds; round++) {
      tickAll();
      int delivered = 0;
      while (!network.isEmpty() || nodes.values().stream().anyMatch(n -> n.up && !n.inFlight.isEmpty())) {
        for (Node n : nodes.values()) {
          completeWrite(n);
        }
        if (network.isEmpty()) {
          continue;
        }
        RaftMessage m = network.remove(0);
        if (++delivered > 20_000) {
          throw new AssertionError(where() + ": message storm without ticks (livelock), e.g. " + m + "\n" + dump());
        }
        deliver(m);
      }
      if (!proposed) {
        proposed = propose(key, value);
      }
      Versioned w = lastCommittedWrite.get(key);
      if (proposed && w != null && w.value().equals(value)) {
        checkLogMatching();
        return round;
      }
      if (proposed && leader() == null) {
        proposed = false;
      }
    }
    return -1;
  }

  String dump() {
    StringBuilder sb = new StringBuilder();
    for (Node n : nodes.values()) {
      RaftCore c = n.core;
      sb.append(n.id).append(' ').append(c.role()).append(" term ").append(c.term()).append(" commit ").append(c.commitIndex())
          .append(" snap ").append(c.snapshotIndex()).append(" log:");
      for (long i = c.snapshotIndex() + 1; i <= c.lastIndex(); i++) {
        sb.append(' ').append(i).append(':').append(c.termAt(i));
      }
      sb.append("\n  disk:");
      for (Entry e : n.disk.entries) {
        sb.append(' ').append(e.index()).append(':').append(e.term());
      }
      if (c.role() == Role.LEADER) {
        sb.append("\n  match:");
        for (String p : nodes.keySet()) {
          sb.append(' ').append(p).append('=').append(c.matchIndex(p));
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  static byte[] encodeState(TreeMap<String, Versioned> state) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(state.size());
      for (Map.Entry<String, Versioned> e : state.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeUTF(e.getValue().value());
        out.writeLong(e.getValue().index());
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static TreeMap<String, Versioned> decodeState(byte[] data) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
      TreeMap<String, Versioned> state = new TreeMap<>();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        state.put(in.readUTF(), new Versioned(in.readUTF(), in.readLong()));
      }
      return state;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
