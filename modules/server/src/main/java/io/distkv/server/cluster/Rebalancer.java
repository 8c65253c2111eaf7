package io.distkv.server.cluster;

import io.distkv.common.concurrent.Ask;
import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.placement.Placement;
import io.distkv.common.placement.PlacementFunction;
import io.distkv.common.protocol.ClientProtocol.MembershipOp;
import io.distkv.common.protocol.ClientProtocol.AdminReply;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.ConfChange;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Role;
import io.distkv.server.NodeRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs add-node, remove-node and rebalance on the node that received the request, one at a time
 * (a second request meanwhile is answered {@code BUSY}). It computes the target placement with
 * {@link PlacementFunction#next} (only the replicas that must move do), publishes it to every
 * node, then brings each partition's Raft group to the target's replica set one server at a time
 * ({@link #MOVES_AT_ONCE} partitions at once):
 *
 * <ol>
 *   <li>for a node that should hold a replica and does not: start an empty replica there, add it
 *       as a <em>learner</em> (it receives the log or a snapshot, does not vote);
 *   <li>once the learner has applied what the leader had committed when it was checked, promote it
 *       to voter;
 *   <li>for a replica on a node that should not hold one: if it leads, hand leadership to the
 *       target's preferred leader first; remove it from the group; then drop it from its node
 *       (stop the replica, forget its Raft group, delete its store).
 * </ol>
 *
 * <p>Every step first reads the group's configuration from its leader and skips what is already
 * done, so running {@code rebalance} again finishes a change that was interrupted (coordinator
 * crash, node down, timeout). This is orchestration, not consensus: safety comes from Raft's
 * single-server membership changes, each committed by the group itself.
 */
public final class Rebalancer {
  private static final Logger log = LoggerFactory.getLogger(Rebalancer.class);
  private static final Duration ASK = Duration.ofSeconds(2);
  private static final Duration STEP_DEADLINE = Duration.ofSeconds(60);
  private static final Duration CATCH_UP_DEADLINE = Duration.ofSeconds(120);
  /**
   * Partitions moved at the same time. One at a time left the disks and the network idle between
   * the steps of a move (adding a learner, promoting it, handing leadership over, removing the old
   * replica: about a second per partition); each node's snapshot dispatcher still bounds the
   * transfers' disk I/O.
   */
  static final int MOVES_AT_ONCE = 4;

  private final ActorSystem<?> system;
  private final NodeId self;
  private final NodeDirectory directory;
  private final ActorRefResolver resolver;
  private final ExecutorService executor;
  private final AtomicBoolean running = new AtomicBoolean();

  public Rebalancer(ActorSystem<?> system, NodeId self, NodeDirectory directory) {
    this.system = system;
    this.self = self;
    this.directory = directory;
    this.resolver = ActorRefResolver.get(system);
    this.executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "distkv-rebalance-" + self.value());
      t.setDaemon(true);
      return t;
    });
    system.getWhenTerminated().thenRun(executor::shutdownNow);
  }

  /** Starts {@code op} in the background; {@code replyTo} gets the outcome when it is done. */
  public void start(MembershipOp op, String node, ActorRef<AdminReply> replyTo) {
    if (op == null) {
      replyTo.tell(new AdminReply(ErrorCode.INVALID_ARGUMENT, "no membership operation given"));
      return;
    }
    if (!running.compareAndSet(false, true)) {
      replyTo.tell(new AdminReply(ErrorCode.BUSY, "a membership change is already running on " + self));
      return;
    }
    executor.execute(() -> {
      try {
        String summary = run(op, node);
        log.info("{} {}: {}", op, node == null ? "" : node, summary);
        replyTo.tell(new AdminReply(ErrorCode.OK, summary));
      } catch (DistKvException e) {
        log.warn("{} {} failed: {}", op, node, e.getMessage());
        replyTo.tell(new AdminReply(e.code(), e.getMessage()));
      } catch (Exception e) {
        log.error("{} {} failed", op, node, e);
        replyTo.tell(new AdminReply(ErrorCode.INTERNAL, op + " failed: " + e));
      } finally {
        running.set(false);
      }
    });
  }

  private String run(MembershipOp op, String node) throws Exception {
    Placement current = directory.placement();
    Placement target = switch (op) {
      case ADD_NODE -> {
        NodeId id = nodeId(node);
        ClusterMembership.learnMemberAddresses(system, directory);
        if (!directory.addresses().containsKey(id)) {
          throw new InvalidArgumentException("node " + id + " is not known to " + self + ": start it with this "
              + "cluster's seed nodes and wait until it is an Up member (known: " + directory.addresses().keySet() + ")");
        }
        Set<NodeId> members = new TreeSet<>(current.members());
        members.add(id);
        yield PlacementFunction.next(current, members);
      }
      case REMOVE_NODE -> {
        NodeId id = nodeId(node);
        if (!current.members().contains(id)) {
          throw new InvalidArgumentException("node " + id + " holds no replicas (placement members: "
              + current.members() + ")");
        }
        if (current.members().size() == 1) {
          throw new InvalidArgumentException("node " + id + " is the only node holding replicas");
        }
        Set<NodeId> members = new TreeSet<>(current.members());
        members.remove(id);
        yield PlacementFunction.next(current, members);
      }
      case REBALANCE -> current;
    };
    if (target != current) {
      directory.offer(target);
      String text = NodeDirectory.encode(target);
      for (String address : directory.addresses().values()) {
        ActorRef<ReplicaHost.Command> host = resolver.resolveActorRef(ReplicaHost.path(address));
        host.tell(new ReplicaHost.OfferPlacement(text));
      }
    }
    Moves total = new Moves();
    ExecutorService movers = Executors.newFixedThreadPool(MOVES_AT_ONCE, r -> {
      Thread t = new Thread(r, "distkv-rebalance-" + self.value() + "-move");
      t.setDaemon(true);
      return t;
    });
    try {
      List<java.util.concurrent.Future<?>> moves = new ArrayList<>();
      for (int p = 0; p < target.partitionCount(); p++) {
        int partition = p;
        List<NodeId> desired = target.replicasOf(PartitionId.of(p)).nodes();
        Set<NodeId> candidates = new LinkedHashSet<>(current.replicasOf(PartitionId.of(p)).nodes());
        candidates.addAll(desired);
        moves.add(movers.submit(() -> {
          converge(partition, desired, candidates, total);
          return null;
        }));
      }
      Exception first = null;
      for (java.util.concurrent.Future<?> m : moves) {
        try {
          m.get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (first == null) {
            first = e.getCause() instanceof Exception c ? c : new IllegalStateException(e.getCause());
          }
        }
      }
      if (first != null) {
        throw first; // the others ran to their end; running the operation again finishes the rest
      }
    } finally {
      movers.shutdownNow();
    }
    return "placement epoch " + target.epoch() + ", members " + target.members() + ": " + total;
  }

  private static NodeId nodeId(String node) {
    if (node == null || node.isBlank()) {
      throw new InvalidArgumentException("a node id is required");
    }
    return NodeId.of(node);
  }

  /** What the partitions' moves did (they run on several threads). */
  private static final class Moves {
    private int changed;
    private int added;
    private int removed;
    private final List<String> notes = new ArrayList<>();

    synchronized void changed() {
      changed++;
    }

    synchronized void added() {
      added++;
    }

    synchronized void removed() {
      removed++;
    }

    synchronized void note(String note) {
      notes.add(note);
    }

    @Override
    public synchronized String toString() {
      return changed + " partition(s) changed, " + added + " replica(s) added, " + removed + " removed"
          + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
    }
  }

  /** Brings partition {@code p}'s group to exactly {@code desired} (voters), one change at a time. */
  private void converge(int p, List<NodeId> desired, Set<NodeId> candidates, Moves moves) throws Exception {
    RaftReplica.Status leader = leader(p, candidates);
    Configuration conf = leader.configuration();
    Set<String> want = new LinkedHashSet<>();
    desired.forEach(n -> want.add(n.value()));
    if (conf.voters().equals(new TreeSet<>(want)) && conf.learners().isEmpty()) {
      return;
    }
    moves.changed();
    for (String n : want) {
      if (!conf.contains(n)) {
        host(n, p, true);
        change(p, candidates, new ConfChange(ConfChange.Type.ADD_LEARNER, n));
        moves.added();
      }
    }
    for (String n : want) {
      RaftReplica.Status st = leader(p, candidates);
      if (!st.configuration().isVoter(n)) {
        awaitCaughtUp(p, n, st.commitIndex());
        change(p, candidates, new ConfChange(ConfChange.Type.PROMOTE, n));
      }
    }
    for (String o : leader(p, candidates).configuration().members()) {
      if (want.contains(o)) {
        continue;
      }
      RaftReplica.Status st = leader(p, candidates);
      if (o.equals(st.id())) {
        transfer(p, candidates, o, desired.get(0).value());
      }
      change(p, candidates, new ConfChange(ConfChange.Type.REMOVE, o));
      moves.removed();
      String address = directory.addresses().get(NodeId.of(o));
      boolean up = address != null && "up".equals(ClusterMembership.statusOf(system, address));
      try {
        if (!up) {
          throw new DistKvException(ErrorCode.UNAVAILABLE, o + " is not an Up member");
        }
        host(o, p, false);
      } catch (DistKvException e) {
        moves.note("partition " + p + ": the replica on " + o + " left its group but was not dropped there ("
            + e.getMessage() + "); " + o + " drops it by itself when it is back");
      }
    }
  }

  /**
   * The status of {@code p}'s leader: the first replica that answers as leader (a deposed leader
   * that has not noticed yet fails the next step, which then asks again), following hints.
   */
  private RaftReplica.Status leader(int p, Set<NodeId> candidates) throws Exception {
    long deadline = System.nanoTime() + STEP_DEADLINE.toNanos();
    Set<String> ask = new LinkedHashSet<>();
    candidates.forEach(n -> ask.add(n.value()));
    while (true) {
      java.util.concurrent.BlockingQueue<java.util.Optional<RaftReplica.Status>> answers =
          new java.util.concurrent.LinkedBlockingQueue<>();
      List<String> asked = new ArrayList<>(ask);
      for (String n : asked) {
        status(n, p).whenComplete((s, e) -> answers.add(java.util.Optional.ofNullable(s)));
      }
      for (int i = 0; i < asked.size(); i++) {
        java.util.Optional<RaftReplica.Status> st = answers.take(); // every ask ends within ASK
        if (st.isEmpty()) {
          continue;
        }
        if (st.get().role() == Role.LEADER) {
          return st.get();
        }
        if (st.get().leader() != null) {
          ask.add(st.get().leader());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new DistKvException(ErrorCode.TIMEOUT, "partition " + p + " has no reachable leader (asked " + ask + ")");
      }
      Thread.sleep(200); // an election is under way; ask again
    }
  }

  private CompletableFuture<RaftReplica.Status> status(String node, int p) {
    String address = directory.addresses().get(NodeId.of(node));
    if (address == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("no address for " + node));
    }
    ActorRef<RaftReplica.Command> ref = resolver.resolveActorRef(NodeRuntime.replicaPath(address, p));
    return Ask.<RaftReplica.Command, RaftReplica.Status>ask(ref, RaftReplica.GetStatus::new, ASK, system.scheduler());
  }

  /** Applies {@code cc} through the group's leader unless the leader's configuration already shows it. */
  private void change(int p, Set<NodeId> candidates, ConfChange cc) throws Exception {
    long deadline = System.nanoTime() + STEP_DEADLINE.toNanos();
    candidates.add(NodeId.of(cc.replica()));
    String last = "";
    while (System.nanoTime() < deadline) {
      RaftReplica.Status st = leader(p, candidates);
      if (done(st.configuration(), cc)) {
        log.info("partition {}: {} {} done", p, cc.type(), cc.replica());
        return;
      }
      RaftReplica.Result r = ask(replica(st.id(), p), reply -> new RaftReplica.ChangeMembership(cc, reply),
          Duration.ofSeconds(10));
      if (r != null && r.isOk()) {
        continue; // re-read the configuration
      }
      last = r == null ? "no answer" : r.code() + ": " + r.message();
      if (r != null && r.code() == ErrorCode.INVALID_ARGUMENT) {
        throw new DistKvException(ErrorCode.INVALID_ARGUMENT, "partition " + p + ": " + cc.type() + " " + cc.replica()
            + " refused: " + r.message());
      }
      Thread.sleep(200); // BUSY (a change still uncommitted), NOT_LEADER or no answer: ask the leader again
    }
    throw new DistKvException(ErrorCode.TIMEOUT, "partition " + p + ": " + cc.type() + " " + cc.replica()
        + " not done within " + STEP_DEADLINE.toSeconds() + " s (last: " + last + ")");
  }

  private static boolean done(Configuration conf, ConfChange cc) {
    return switch (cc.type()) {
      case ADD_LEARNER -> conf.contains(cc.replica());
      case PROMOTE, ADD_VOTER -> conf.isVoter(cc.replica());
      case REMOVE -> !conf.contains(cc.replica());
    };
  }

  /** Waits until {@code node}'s replica of {@code p} has applied up to {@code index}. */
  private void awaitCaughtUp(int p, String node, long index) throws Exception {
    long deadline = System.nanoTime() + CATCH_UP_DEADLINE.toNanos();
    long seen = -1;
    while (System.nanoTime() < deadline) {
      RaftReplica.Status st = status(node, p).handle((s, e) -> s).get();
      if (st != null) {
        seen = st.appliedIndex();
        if (seen >= index) {
          return;
        }
      }
      Thread.sleep(100); // the learner is receiving the log or a snapshot
    }
    throw new DistKvException(ErrorCode.TIMEOUT, "partition " + p + ": learner on " + node + " applied " + seen
        + " of " + index + " within " + CATCH_UP_DEADLINE.toSeconds() + " s");
  }

  /** Moves {@code p}'s leadership off {@code from} to {@code to}, waiting until someone else leads. */
  private void transfer(int p, Set<NodeId> candidates, String from, String to) throws Exception {
    long deadline = System.nanoTime() + STEP_DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      RaftReplica.Status st = leader(p, candidates);
      if (!st.id().equals(from)) {
        return;
      }
      this.<RaftReplica.Command, RaftReplica.Result>ask(replica(from, p),
          reply -> new RaftReplica.TransferLeadership(to, reply), Duration.ofSeconds(5));
      Thread.sleep(200); // TimeoutNow sent; the election takes a moment
    }
    throw new DistKvException(ErrorCode.TIMEOUT, "partition " + p + ": leadership did not leave " + from);
  }

  private void host(String node, int p, boolean start) {
    String address = directory.addresses().get(NodeId.of(node));
    if (address == null) {
      throw new DistKvException(ErrorCode.UNAVAILABLE, "no address for node " + node);
    }
    ActorRef<ReplicaHost.Command> host = resolver.resolveActorRef(ReplicaHost.path(address));
    ReplicaHost.Ack ack = ask(host, reply -> start ? new ReplicaHost.HostReplica(p, reply)
        : new ReplicaHost.DropReplica(p, reply), Duration.ofSeconds(30));
    if (ack == null) {
      throw new DistKvException(ErrorCode.UNAVAILABLE, "node " + node + " did not answer");
    }
    if (!ack.ok()) {
      throw new DistKvException(ErrorCode.INTERNAL, ack.error());
    }
  }

  private ActorRef<RaftReplica.Command> replica(String node, int p) {
    return resolver.resolveActorRef(NodeRuntime.replicaPath(directory.addresses().get(NodeId.of(node)), p));
  }

  private <Q, R> R ask(ActorRef<Q> to, Function<ActorRef<R>, Q> message, Duration timeout) {
    return Ask.orNull(to, message, timeout, system.scheduler());
  }
}
