package io.distkv.server.router;

import io.distkv.common.KeyLimits;
import io.distkv.common.Keys;
import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.placement.Partitioner;
import io.distkv.common.placement.Placement;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ChangeMembers;
import io.distkv.common.protocol.ClientProtocol.Get;
import io.distkv.common.protocol.ClientProtocol.GetClusterInfo;
import io.distkv.common.protocol.ClientProtocol.KeyRequest;
import io.distkv.common.protocol.ClientProtocol.Replies;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.ClientProtocol.RouterCommand;
import io.distkv.common.protocol.ClientProtocol.ScanPartition;
import io.distkv.common.protocol.ClientProtocol.TransferLeader;
import io.distkv.common.protocol.ClientProtocol.Write;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.KvCommand;
import io.distkv.common.protocol.Trace;
import io.distkv.raft.RaftReplica;
import io.distkv.server.NodeRuntime;
import io.distkv.server.partition.KvStateMachine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A node's request router, at {@link ClientProtocol#ROUTER_PATH}: the node's front door. A key
 * request is checked here (the one validation point: key and value limits, one partition per
 * batch, scan limits), mapped to its partition ({@link Partitioner}) and handed to this node's
 * replica of that partition, through the reference the node keeps for it, with a
 * {@link ClientCompletion} naming the client's inbox: the replica answers the client directly
 * when the outcome is known. Nothing is asked, nothing is retried and no timer runs per request
 * here: a node that holds no replica of the partition, or whose replica does not lead it,
 * answers NOT_LEADER with a hint and the client (which owns the deadline) goes there. Two cases
 * answer at once without the replica: EVENTUAL reads of a local replica, and the fail-fast
 * READ_ONLY / NO_QUORUM when this node's failure detector hears no majority of the partition's
 * replicas. {@link GetClusterInfo} gathers every replica's Raft status; {@link ChangeMembers}
 * goes to the {@link io.distkv.server.cluster.Rebalancer}. docs/server.md "The request pipeline".
 */
public final class Router {
  private record StatusAnswer(long gather, int partition, String node, RaftReplica.Status status) implements RouterCommand {}

  private final ActorContext<RouterCommand> context;
  private final NodeId self;
  private final java.util.function.Supplier<Placement> placements;
  private final Partitioner partitioner;
  private final Map<NodeId, String> addresses;
  private final Map<Integer, KvStateMachine> local;
  private final Map<Integer, ActorRef<RaftReplica.Command>> replicas;
  private final Duration requestTimeout;
  private final ActorRefResolver resolver;
  private final RequestMetrics metrics;
  private final KeyLimits limits;
  private final Predicate<NodeId> reachable;
  private final io.distkv.server.cluster.Rebalancer rebalancer;
  private final Map<Long, StatusGather> gathers = new HashMap<>();
  private long gatherIds;

  private Router(ActorContext<RouterCommand> context, NodeId self, java.util.function.Supplier<Placement> placements,
      Map<NodeId, String> addresses, Map<Integer, KvStateMachine> local, Map<Integer, ActorRef<RaftReplica.Command>> replicas,
      Duration requestTimeout, RequestMetrics metrics, KeyLimits limits, Predicate<NodeId> reachable,
      io.distkv.server.cluster.Rebalancer rebalancer) {
    this.rebalancer = rebalancer;
    this.metrics = metrics;
    this.limits = limits;
    this.reachable = reachable;
    this.context = context;
    this.self = self;
    this.placements = placements;
    this.partitioner = placements.get().settings().partitioner();
    this.addresses = addresses;
    this.local = local;
    this.replicas = replicas;
    this.requestTimeout = requestTimeout;
    this.resolver = ActorRefResolver.get(context.getSystem());
  }

  /**
   * A router for node {@code self}: reads the current placement from {@code placements} at every
   * use (add-node and remove-node publish new ones), hands key requests to the node's replicas in
   * {@code replicas} (a live view: replicas come and go with membership changes), serves EVENTUAL
   * reads from {@code local}, records every request in {@code metrics}, checks keys and values
   * against {@code limits}, caps a request's deadline at {@code requestTimeout}, treats a node for
   * which {@code reachable} is false as silent in cluster info (the test kit's seam), and hands
   * {@link ChangeMembers} requests to {@code rebalancer} (null: refused).
   */
  public static Behavior<RouterCommand> create(NodeId self, java.util.function.Supplier<Placement> placements,
      Map<NodeId, String> addresses, Map<Integer, KvStateMachine> local, Map<Integer, ActorRef<RaftReplica.Command>> replicas,
      Duration requestTimeout, RequestMetrics metrics, KeyLimits limits, Predicate<NodeId> reachable,
      io.distkv.server.cluster.Rebalancer rebalancer) {
    return Behaviors.setup(ctx -> new Router(ctx, self, placements, addresses, local, replicas, requestTimeout, metrics,
        limits, reachable, rebalancer).behavior());
  }

  private Placement placement() {
    return placements.get();
  }

  /** Whether this node's membership view has {@code address} as an Up member (false without Pekko Cluster). */
  private boolean upMember(String address) {
    try {
      return "up".equals(io.distkv.server.cluster.ClusterMembership.statusOf(context.getSystem(), address));
    } catch (RuntimeException e) {
      return false; // not a cluster ActorSystem
    }
  }

  private Behavior<RouterCommand> behavior() {
    return Behaviors.receive(RouterCommand.class)
        .onMessage(Write.class, w -> request(w))
        .onMessage(Get.class, g -> request(g))
        .onMessage(ScanPartition.class, s -> request(s))
        .onMessage(TransferLeader.class, t -> request(t))
        .onMessage(ClientProtocol.Requests.class, batch -> {
          for (KeyRequest k : batch.requests()) {
            request(k);
          }
          return Behaviors.same();
        })
        .onMessage(ClientProtocol.Ping.class, ping -> {
          ping.replyTo().tell(new Replies(List.of(new Reply(ping.id(), ErrorCode.OK, null, null, null, null, self.value(),
              null))));
          return Behaviors.same();
        })
        .onMessage(GetClusterInfo.class, this::onClusterInfo)
        .onMessage(ChangeMembers.class, c -> {
          if (rebalancer == null) {
            c.replyTo().tell(new ClientProtocol.AdminReply(ErrorCode.INVALID_ARGUMENT, "this node does not run membership changes"));
          } else {
            rebalancer.start(c.op(), c.node(), c.replyTo());
          }
          return Behaviors.same();
        })
        .onMessage(StatusAnswer.class, this::onStatusAnswer)
        .build();
  }

  // ---- key requests

  private Behavior<RouterCommand> request(KeyRequest k) {
    long now = System.nanoTime();
    long[] trace = k.traced() ? new long[Trace.STAGES] : null;
    Trace.stamp(trace, Trace.NODE_RECEIVE);
    try {
      if (k instanceof Write w) {
        onWrite(w, now, trace);
      } else if (k instanceof Get g) {
        onGet(g, now, trace);
      } else if (k instanceof ScanPartition s) {
        onScan(s, now, trace);
      } else {
        onTransfer((TransferLeader) k, now, trace);
      }
    } catch (io.distkv.common.error.DistKvException e) {
      answer(k, now, Reply.error(k.id(), e.code(), e.getMessage(), null, self.value()));
    } catch (RuntimeException e) {
      // A bug or a store failure on a local read: the request fails, the router goes on serving.
      context.getLog().error("request {} failed on {}", k.id(), self, e);
      answer(k, now, Reply.error(k.id(), ErrorCode.INTERNAL, "internal error on " + self + ": " + e, null, self.value()));
    }
    return Behaviors.same();
  }

  private static String opOf(KeyRequest k) {
    if (k instanceof Write) {
      return ClientCompletion.Shape.WRITE.op;
    }
    if (k instanceof Get) {
      return ClientCompletion.Shape.GET.op;
    }
    if (k instanceof ScanPartition) {
      return ClientCompletion.Shape.SCAN.op;
    }
    return ClientCompletion.Shape.TRANSFER.op;
  }

  /** Answers {@code k} from here (validation errors, local reads, fail-fast, not hosted). */
  private void answer(KeyRequest k, long startNanos, Reply reply) {
    metrics.record(opOf(k), reply.code(), System.nanoTime() - startNanos);
    k.replyTo().tell(new Replies(List.of(reply)));
  }

  private void onWrite(Write w, long now, long[] trace) {
    List<KvCommand.Op> ops = w.command().ops();
    if (ops.isEmpty()) {
      throw new InvalidArgumentException("a write needs at least one op");
    }
    for (KvCommand.Op op : ops) {
      limits.checkKey(op.key());
      if (op.kind() != KvCommand.Kind.DELETE && op.kind() != KvCommand.Kind.INCREMENT) {
        limits.checkValue(op.value());
      }
    }
    int p = partitioner.indexOf(ops.get(0).key());
    for (KvCommand.Op op : ops) {
      if (partitioner.indexOf(op.key()) != p) {
        throw new InvalidArgumentException("a batch is atomic within one partition; its keys span partitions " + p
            + " and " + partitioner.indexOf(op.key()));
      }
    }
    byte[] entry = w.command().proposedAt(System.currentTimeMillis()).encode();
    submit(w, p, RaftReplica.Kind.PROPOSE, entry, ClientCompletion.Shape.WRITE, now, trace);
  }

  private void onGet(Get g, long now, long[] trace) {
    if (g.key() == null) {
      throw new InvalidArgumentException("key must not be null");
    }
    limits.checkKey(g.key());
    int p = partitioner.indexOf(g.key());
    if (g.consistency() == Consistency.EVENTUAL && local.containsKey(p)) {
      answer(g, now, new Reply(g.id(), ErrorCode.OK, local.get(p).get(g.key()), null, null, null, self.value(), trace));
      return;
    }
    submit(g, p, g.consistency() == Consistency.EVENTUAL ? RaftReplica.Kind.LOCAL_READ : RaftReplica.Kind.READ,
        KvStateMachine.getQuery(g.key()), ClientCompletion.Shape.GET, now, trace);
  }

  private void onScan(ScanPartition s, long now, long[] trace) {
    int p = s.partition();
    if (p < 0 || p >= placement().partitionCount()) {
      throw new InvalidArgumentException("no partition " + p + " (the cluster has " + placement().partitionCount() + ")");
    }
    if (s.limit() < 1 || s.limit() > ClientProtocol.MAX_SCAN_LIMIT) {
      throw new InvalidArgumentException("scan limit must be 1.." + ClientProtocol.MAX_SCAN_LIMIT + ", was " + s.limit());
    }
    if (s.start() != null && s.end() != null && Keys.compare(s.start(), s.end()) >= 0) {
      answer(s, now, new Reply(s.id(), ErrorCode.OK, null, new ClientProtocol.ScanPart(List.of(), false), null, null,
          self.value(), trace));
      return;
    }
    if (s.consistency() == Consistency.EVENTUAL && local.containsKey(p)) {
      answer(s, now, new Reply(s.id(), ErrorCode.OK, null, local.get(p).scan(s.start(), s.end(), s.limit()), null, null,
          self.value(), trace));
      return;
    }
    submit(s, p, s.consistency() == Consistency.EVENTUAL ? RaftReplica.Kind.LOCAL_READ : RaftReplica.Kind.READ,
        KvStateMachine.scanQuery(s.start(), s.end(), s.limit()), ClientCompletion.Shape.SCAN, now, trace);
  }

  private void onTransfer(TransferLeader t, long now, long[] trace) {
    int p = t.partition();
    if (p < 0 || p >= placement().partitionCount()) {
      throw new InvalidArgumentException("no partition " + p + " (the cluster has " + placement().partitionCount() + ")");
    }
    if (replicasOf(p).stream().noneMatch(n -> n.value().equals(t.toNode()))) {
      throw new InvalidArgumentException("node '" + t.toNode() + "' holds no replica of partition " + p + " (replicas: "
          + replicasOf(p) + ")");
    }
    submit(t, p, RaftReplica.Kind.TRANSFER, t.toNode().getBytes(StandardCharsets.UTF_8), ClientCompletion.Shape.TRANSFER,
        now, trace);
  }

  /** Hands {@code k} to this node's replica of {@code p}, which answers the client itself. */
  private void submit(KeyRequest k, int p, RaftReplica.Kind kind, byte[] payload, ClientCompletion.Shape shape, long now,
      long[] trace) {
    ActorRef<RaftReplica.Command> replica = replicas.get(p);
    if (replica == null) {
      List<NodeId> nodes = replicasOf(p);
      String hint = placement().replicasOf(PartitionId.of(p)).preferredLeader().map(NodeId::value)
          .orElse(nodes.isEmpty() ? null : nodes.get(0).value());
      answer(k, now, Reply.error(k.id(), ErrorCode.NOT_LEADER, "node " + self + " holds no replica of partition " + p
          + " (replicas: " + nodes + ")", hint, self.value()));
      return;
    }
    if (kind != RaftReplica.Kind.LOCAL_READ) {
      String cutOff = majorityUnreachable(p);
      if (cutOff != null) {
        // The failure detector says no majority of the partition's replicas can be reached from
        // here: answer at once instead of letting the client wait out its deadline. Nothing was
        // proposed, so a refused write is definitely not applied.
        boolean write = kind == RaftReplica.Kind.PROPOSE || kind == RaftReplica.Kind.TRANSFER;
        answer(k, now, Reply.error(k.id(), write ? ErrorCode.READ_ONLY : ErrorCode.NO_QUORUM, "partition " + p
            + " is read-only from " + self + ": the failure detector marks its replicas on " + cutOff + " unreachable"
            + (write ? "" : "; EVENTUAL reads still answer"), null, self.value()));
        return;
      }
    }
    long budget = Math.min(requestTimeout.toMillis(), Math.max(1, k.timeoutMillis()));
    replica.tell(new RaftReplica.Submit(kind, payload, now + budget * 1_000_000L,
        new ClientCompletion(k.replyTo(), k.id(), shape, p, self.value(), trace, now, metrics)));
  }

  // ---- cluster info

  /** Statuses of every replica of every partition, gathered for one GetClusterInfo. */
  private final class StatusGather {
    private final ActorRef<ClientProtocol.ClusterInfo> replyTo;
    private final Map<Integer, Map<String, RaftReplica.Status>> statuses = new HashMap<>();
    private int waiting;

    StatusGather(ActorRef<ClientProtocol.ClusterInfo> replyTo, int waiting) {
      this.replyTo = replyTo;
      this.waiting = waiting;
    }
  }

  /**
   * How long cluster info waits for one replica's status: a replica answers from memory in well
   * under a millisecond, so a silent one (a node killed but not yet marked unreachable) is
   * reported as not answering instead of holding up the whole view (and a client's bootstrap).
   */
  static final Duration STATUS_TIMEOUT = Duration.ofMillis(250);

  private Behavior<RouterCommand> onClusterInfo(GetClusterInfo g) {
    int total = 0;
    for (int p = 0; p < placement().partitionCount(); p++) {
      total += replicasOf(p).size();
    }
    long id = gatherIds++;
    gathers.put(id, new StatusGather(g.replyTo(), total));
    for (int p = 0; p < placement().partitionCount(); p++) {
      int partition = p;
      for (NodeId node : replicasOf(p)) {
        String address = addresses.get(node);
        if (address == null || !reachable.test(node)) {
          context.getSelf().tell(new StatusAnswer(id, partition, node.value(), null));
          continue;
        }
        ActorRef<RaftReplica.Command> ref = resolver.resolveActorRef(NodeRuntime.replicaPath(address, p));
        context.ask(RaftReplica.Status.class, ref, STATUS_TIMEOUT,
            RaftReplica.GetStatus::new,
            (status, failure) -> new StatusAnswer(id, partition, node.value(), status));
      }
    }
    return Behaviors.same();
  }

  private Behavior<RouterCommand> onStatusAnswer(StatusAnswer a) {
    StatusGather g = gathers.get(a.gather());
    if (g == null) {
      return Behaviors.same();
    }
    if (a.status() != null) {
      g.statuses.computeIfAbsent(a.partition(), k -> new HashMap<>()).put(a.node(), a.status());
    }
    if (--g.waiting == 0) {
      gathers.remove(a.gather());
      g.replyTo.tell(ClusterView.of(placement(), addresses, g.statuses, this::upMember));
    }
    return Behaviors.same();
  }

  private List<NodeId> replicasOf(int p) {
    return placement().replicasOf(PartitionId.of(p)).nodes();
  }

  /**
   * The nodes holding replicas of {@code p} that this node's failure detector no longer hears,
   * when they leave fewer than a majority of the replicas reachable; else null.
   */
  private String majorityUnreachable(int p) {
    List<NodeId> nodes = replicasOf(p);
    List<String> cut = null;
    for (NodeId n : nodes) {
      if (n.equals(self)) {
        continue;
      }
      String address = addresses.get(n);
      if (address != null && io.distkv.server.cluster.ClusterMembership.unreachableFromHere(context.getSystem(),
          parsedAddresses.computeIfAbsent(address, org.apache.pekko.actor.AddressFromURIString::parse))) {
        if (cut == null) {
          cut = new java.util.ArrayList<>();
        }
        cut.add(n.value());
      }
    }
    return cut != null && nodes.size() - cut.size() < nodes.size() / 2 + 1 ? String.join(", ", cut) : null;
  }

  /** Member addresses parsed once ("pekko://distkv@host:port" to Pekko's Address). */
  private final Map<String, org.apache.pekko.actor.Address> parsedAddresses = new HashMap<>();

}
