package io.distkv.server.router;

import io.distkv.common.KeyLimits;
import io.distkv.common.Keys;
import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.placement.Partitioner;
import io.distkv.common.placement.Placement;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ChangeMembers;
import io.distkv.common.protocol.ClientProtocol.Get;
import io.distkv.common.protocol.ClientProtocol.GetClusterInfo;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.ClientProtocol.RouterCommand;
import io.distkv.common.protocol.ClientProtocol.Scan;
import io.distkv.common.protocol.ClientProtocol.ScanEntry;
import io.distkv.common.protocol.ClientProtocol.ScanReply;
import io.distkv.common.protocol.ClientProtocol.TransferLeader;
import io.distkv.common.protocol.ClientProtocol.Write;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.KvCommand;
import io.distkv.common.protocol.KvResult;
import io.distkv.raft.RaftReplica;
import io.distkv.server.NodeRuntime;
import io.distkv.server.partition.KvStateMachine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A node's request router, at {@link ClientProtocol#ROUTER_PATH}: key → partition
 * ({@link Partitioner}) → the partition's leader replica (leader cache, refreshed by NOT_LEADER
 * hints), anywhere in the cluster. Retries NOT_LEADER, BUSY and unanswered attempts with backoff
 * inside the request's deadline; answers TIMEOUT when the deadline passes. Scans fan out to every
 * partition and merge in key order; {@link GetClusterInfo} gathers every replica's Raft status.
 */
public final class Router {
  /** How an attempt reaches a replica. */
  private enum Kind {
    PROPOSE,
    READ,
    LOCAL_READ,
    TRANSFER
  }

  /** Where an attempt's final outcome goes (runs on the router's thread). */
  private interface Finisher {
    void done(ErrorCode code, byte[] value, String message, String leaderHint, String servedBy);
  }

  private record Request(int partition, Kind kind, byte[] payload, Duration deadline, long startNanos, int attempt,
      String target, Finisher finish) {
    Request next(String to) {
      return new Request(partition, kind, payload, deadline, startNanos, attempt + 1, to, finish);
    }
  }

  private record Answer(Request request, RaftReplica.Result result, Throwable failure) implements RouterCommand {}

  private record Retry(Request request) implements RouterCommand {}

  private record StatusAnswer(long gather, int partition, String node, RaftReplica.Status status) implements RouterCommand {}

  private final ActorContext<RouterCommand> context;
  private final TimerScheduler<RouterCommand> timers;
  private final NodeId self;
  private final java.util.function.Supplier<Placement> placements;
  private final Partitioner partitioner;
  private final Map<NodeId, String> addresses;
  private final Map<Integer, KvStateMachine> local;
  private final Duration requestTimeout;
  private final Duration attemptTimeout;
  private final Map<Integer, String> leaderCache = new HashMap<>();
  private final ActorRefResolver resolver;
  private final RequestMetrics metrics;
  private final KeyLimits limits;
  private final Predicate<NodeId> reachable;
  private final io.distkv.server.cluster.Rebalancer rebalancer;
  private final Map<Long, StatusGather> gathers = new HashMap<>();
  private long timerKeys;
  private long gatherIds;

  private Router(ActorContext<RouterCommand> context, TimerScheduler<RouterCommand> timers, NodeId self,
      java.util.function.Supplier<Placement> placements,
      Map<NodeId, String> addresses, Map<Integer, KvStateMachine> local, Duration requestTimeout, RequestMetrics metrics,
      KeyLimits limits, Predicate<NodeId> reachable, io.distkv.server.cluster.Rebalancer rebalancer) {
    this.rebalancer = rebalancer;
    this.metrics = metrics;
    this.limits = limits;
    this.reachable = reachable;
    this.context = context;
    this.timers = timers;
    this.self = self;
    this.placements = placements;
    this.partitioner = new Partitioner(placements.get().partitionCount());
    this.addresses = addresses;
    this.local = local;
    this.requestTimeout = requestTimeout;
    this.attemptTimeout = requestTimeout.dividedBy(3);
    this.resolver = ActorRefResolver.get(context.getSystem());
  }

  /**
   * A router for node {@code self}: reads the current placement from {@code placements} at every
   * use (add-node and remove-node publish new ones), records every request in {@code metrics},
   * checks keys and values against {@code limits} before anything is routed, treats a node for
   * which {@code reachable} is false as silent (its attempts time out: the seam where tests drop
   * the router's request paths), and hands {@link ChangeMembers} requests to {@code rebalancer}
   * (null: refused).
   */
  public static Behavior<RouterCommand> create(NodeId self, java.util.function.Supplier<Placement> placements,
      Map<NodeId, String> addresses, Map<Integer, KvStateMachine> local, Duration requestTimeout, RequestMetrics metrics,
      KeyLimits limits, Predicate<NodeId> reachable, io.distkv.server.cluster.Rebalancer rebalancer) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Router(ctx, timers, self, placements, addresses, local, requestTimeout, metrics, limits, reachable, rebalancer)
            .behavior()));
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
        .onMessage(Write.class, this::onWrite)
        .onMessage(Get.class, this::onGet)
        .onMessage(Scan.class, this::onScan)
        .onMessage(TransferLeader.class, this::onTransfer)
        .onMessage(GetClusterInfo.class, this::onClusterInfo)
        .onMessage(ChangeMembers.class, c -> {
          if (rebalancer == null) {
            c.replyTo().tell(new Reply(ErrorCode.INVALID_ARGUMENT, null, "this node does not run membership changes",
                null, self.value()));
          } else {
            rebalancer.start(c.op(), c.node(), c.replyTo());
          }
          return Behaviors.same();
        })
        .onMessage(StatusAnswer.class, this::onStatusAnswer)
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(Retry.class, r -> {
          send(r.request());
          return Behaviors.same();
        })
        .build();
  }

  // ---- key-value requests

  private Finisher replyTo(ActorRef<Reply> to, long startNanos) {
    return (code, value, message, hint, servedBy) -> {
      metrics.record(System.nanoTime() - startNanos, code == ErrorCode.OK);
      to.tell(new Reply(code, code == ErrorCode.OK && value != null ? KvResult.decode(value) : null, message, hint, servedBy));
    };
  }

  /** The limit violation of {@code ops}, or null. */
  private String invalid(List<KvCommand.Op> ops) {
    try {
      for (KvCommand.Op op : ops) {
        limits.checkKey(op.key());
        if (op.kind() != KvCommand.Kind.DELETE) {
          limits.checkValue(op.value());
        }
      }
      return null;
    } catch (io.distkv.common.error.InvalidArgumentException e) {
      return e.getMessage();
    }
  }

  private Behavior<RouterCommand> onWrite(Write w) {
    List<KvCommand.Op> ops = w.command().ops();
    String bad = invalid(ops);
    if (bad != null) {
      w.replyTo().tell(new Reply(ErrorCode.INVALID_ARGUMENT, null, bad, null, null));
      return Behaviors.same();
    }
    int p = partitioner.indexOf(ops.get(0).key());
    for (KvCommand.Op op : ops) {
      if (partitioner.indexOf(op.key()) != p) {
        w.replyTo().tell(new Reply(ErrorCode.INVALID_ARGUMENT, null,
            "a batch is atomic within one partition; its keys span partitions " + p + " and " + partitioner.indexOf(op.key()),
            null, null));
        return Behaviors.same();
      }
    }
    long now = System.nanoTime();
    byte[] entry = w.command().proposedAt(System.currentTimeMillis()).encode();
    send(new Request(p, Kind.PROPOSE, entry, requestTimeout, now, 0, initialTarget(p), replyTo(w.replyTo(), now)));
    return Behaviors.same();
  }

  private Behavior<RouterCommand> onGet(Get g) {
    String bad = g.key() == null ? "key must not be null" : invalid(List.of(KvCommand.Op.delete(g.key())));
    if (bad != null) {
      g.replyTo().tell(new Reply(ErrorCode.INVALID_ARGUMENT, null, bad, null, null));
      return Behaviors.same();
    }
    int p = partitioner.indexOf(g.key());
    long now = System.nanoTime();
    Finisher finish = replyTo(g.replyTo(), now);
    if (g.consistency() == Consistency.EVENTUAL && local.containsKey(p)) {
      finish.done(ErrorCode.OK, local.get(p).get(g.key()).encode(), null, null, self.value());
      return Behaviors.same();
    }
    send(readRequest(p, KvStateMachine.getQuery(g.key()), g.consistency(), now, finish));
    return Behaviors.same();
  }

  private Request readRequest(int p, byte[] query, Consistency consistency, long startNanos, Finisher finish) {
    return consistency == Consistency.EVENTUAL
        ? new Request(p, Kind.LOCAL_READ, query, requestTimeout, startNanos, 0, replicas(p).get(0).value(), finish)
        : new Request(p, Kind.READ, query, requestTimeout, startNanos, 0, initialTarget(p), finish);
  }

  private Behavior<RouterCommand> onTransfer(TransferLeader t) {
    if (t.partition() < 0 || t.partition() >= placement().partitionCount()) {
      t.replyTo().tell(new Reply(ErrorCode.INVALID_ARGUMENT, null, "no partition " + t.partition() + " (the cluster has "
          + placement().partitionCount() + ")", null, null));
      return Behaviors.same();
    }
    if (replicas(t.partition()).stream().noneMatch(n -> n.value().equals(t.toNode()))) {
      t.replyTo().tell(new Reply(ErrorCode.INVALID_ARGUMENT, null, "node '" + t.toNode() + "' holds no replica of partition "
          + t.partition() + " (replicas: " + replicas(t.partition()) + ")", null, null));
      return Behaviors.same();
    }
    long now = System.nanoTime();
    send(new Request(t.partition(), Kind.TRANSFER, t.toNode().getBytes(StandardCharsets.UTF_8), requestTimeout,
        now, 0, initialTarget(t.partition()), replyTo(t.replyTo(), now)));
    return Behaviors.same();
  }

  // ---- scans

  private Behavior<RouterCommand> onScan(Scan s) {
    if (s.limit() < 1 || s.limit() > ClientProtocol.MAX_SCAN_LIMIT) {
      s.replyTo().tell(new ScanReply(ErrorCode.INVALID_ARGUMENT, List.of(), null,
          "scan limit must be 1.." + ClientProtocol.MAX_SCAN_LIMIT + ", was " + s.limit()));
      return Behaviors.same();
    }
    if (s.start() != null && s.end() != null && Keys.compare(s.start(), s.end()) >= 0) {
      s.replyTo().tell(new ScanReply(ErrorCode.OK, List.of(), null, null));
      return Behaviors.same();
    }
    long now = System.nanoTime();
    ScanMerge merge = new ScanMerge(s, placement().partitionCount(), now);
    byte[] query = KvStateMachine.scanQuery(s.start(), s.end(), s.limit());
    for (int p = 0; p < placement().partitionCount(); p++) {
      int partition = p;
      Finisher finish = (code, value, message, hint, servedBy) -> merge.add(partition, code, value, message);
      if (s.consistency() == Consistency.EVENTUAL && local.containsKey(p)) {
        merge.add(p, ErrorCode.OK, encodeLocalScan(p, s), null);
      } else {
        send(readRequest(p, query, s.consistency(), now, finish));
      }
    }
    return Behaviors.same();
  }

  private byte[] encodeLocalScan(int p, Scan s) {
    return KvStateMachine.encodeScan(local.get(p).scan(s.start(), s.end(), s.limit()));
  }

  /** Collects every partition's part of one scan and answers once all are in. */
  private final class ScanMerge {
    private final Scan scan;
    private final long startNanos;
    private int waiting;
    private final List<ScanEntry> entries = new ArrayList<>();
    private boolean partitionHasMore;
    private String failure;
    private ErrorCode failureCode;

    ScanMerge(Scan scan, int partitions, long startNanos) {
      this.scan = scan;
      this.waiting = partitions;
      this.startNanos = startNanos;
    }

    void add(int partition, ErrorCode code, byte[] value, String message) {
      if (code != ErrorCode.OK) {
        if (failureCode == null) {
          failureCode = code;
          failure = "partition " + partition + ": " + message;
        }
      } else {
        KvStateMachine.PartitionScan part = KvStateMachine.decodeScan(value);
        entries.addAll(part.entries());
        partitionHasMore |= part.more();
      }
      if (--waiting == 0) {
        finish();
      }
    }

    private void finish() {
      metrics.record(System.nanoTime() - startNanos, failureCode == null);
      if (failureCode != null) {
        scan.replyTo().tell(new ScanReply(failureCode, List.of(), null, failure));
        return;
      }
      entries.sort((a, b) -> Keys.compare(a.key(), b.key()));
      List<ScanEntry> page = new ArrayList<>();
      long bytes = 0;
      for (ScanEntry e : entries) {
        if (page.size() == scan.limit() || (!page.isEmpty() && bytes >= ClientProtocol.SCAN_PAGE_BYTES)) {
          break;
        }
        page.add(e);
        bytes += e.key().length + e.value().length;
      }
      boolean more = page.size() < entries.size() || partitionHasMore;
      byte[] nextStart = null;
      if (more && !page.isEmpty()) {
        byte[] last = page.get(page.size() - 1).key();
        nextStart = Arrays.copyOf(last, last.length + 1); // the smallest key after the last one returned
      }
      scan.replyTo().tell(new ScanReply(ErrorCode.OK, page, nextStart, null));
    }
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
      total += replicas(p).size();
    }
    long id = gatherIds++;
    gathers.put(id, new StatusGather(g.replyTo(), total));
    for (int p = 0; p < placement().partitionCount(); p++) {
      int partition = p;
      for (NodeId node : replicas(p)) {
        String address = addresses.get(node);
        if (address == null || !reachable.test(node)) {
          context.getSelf().tell(new StatusAnswer(id, partition, node.value(), null));
          continue;
        }
        ActorRef<RaftReplica.Command> ref = resolver.resolveActorRef(NodeRuntime.replicaPath(address, p));
        context.ask(RaftReplica.Status.class, ref, STATUS_TIMEOUT.compareTo(attemptTimeout) < 0 ? STATUS_TIMEOUT : attemptTimeout,
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

  // ---- attempts and retries

  private List<NodeId> replicas(int p) {
    return placement().replicasOf(PartitionId.of(p)).nodes();
  }

  private String initialTarget(int p) {
    String cached = leaderCache.get(p);
    if (cached != null) {
      return cached;
    }
    if (local.containsKey(p)) {
      return self.value(); // our own replica answers at once, with a leader hint if it is not the leader
    }
    return placement().replicasOf(PartitionId.of(p)).preferredLeader().map(NodeId::value).orElse(self.value());
  }

  private boolean hosts(int p) {
    return local.containsKey(p);
  }

  private String nextReplica(int p, String after) {
    List<NodeId> nodes = replicas(p);
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).value().equals(after)) {
        return nodes.get((i + 1) % nodes.size()).value();
      }
    }
    return nodes.get(0).value();
  }

  private void send(Request r) {
    if (r.kind() != Kind.LOCAL_READ) {
      String cutOff = majorityUnreachable(r.partition());
      if (cutOff != null) {
        // The failure detector says no majority of the partition's replicas can be reached from
        // here: answer at once instead of trying silent nodes until the deadline. Nothing was
        // proposed, so a refused write is definitely not applied.
        boolean write = r.kind() == Kind.PROPOSE || r.kind() == Kind.TRANSFER;
        r.finish().done(write ? ErrorCode.READ_ONLY : ErrorCode.NO_QUORUM, null, "partition " + r.partition()
            + " is read-only from " + self + ": the failure detector marks its replicas on " + cutOff + " unreachable"
            + (write ? "" : "; EVENTUAL reads still answer"), null, null);
        return;
      }
    }
    String address = addresses.get(NodeId.of(r.target()));
    if (address == null) {
      // A node this router cannot address is as good as unreachable.
      context.getSelf().tell(new Answer(r, null, new IllegalStateException("no address for node " + r.target())));
      return;
    }
    if (!reachable.test(NodeId.of(r.target()))) {
      // A dropped request: no answer within the attempt timeout.
      timers.startSingleTimer(timerKeys++, new Answer(r, null, new java.util.concurrent.TimeoutException(
          "request path to " + r.target() + " is cut")), attemptTimeout);
      return;
    }
    ActorRef<RaftReplica.Command> ref = resolver.resolveActorRef(NodeRuntime.replicaPath(address, r.partition()));
    context.ask(RaftReplica.Result.class, ref, attemptTimeout, replyTo -> toReplica(r, replyTo),
        (result, failure) -> new Answer(r, result, failure));
  }

  /**
   * The nodes holding replicas of {@code p} that this node's failure detector no longer hears,
   * when they leave fewer than a majority of the replicas reachable; else null.
   */
  private String majorityUnreachable(int p) {
    List<NodeId> nodes = replicas(p);
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

  private static RaftReplica.Command toReplica(Request r, ActorRef<RaftReplica.Result> replyTo) {
    return switch (r.kind()) {
      case PROPOSE -> new RaftReplica.Propose(r.payload(), replyTo);
      case READ -> new RaftReplica.Read(r.payload(), replyTo);
      case LOCAL_READ -> new RaftReplica.LocalRead(r.payload(), replyTo);
      case TRANSFER -> new RaftReplica.TransferLeadership(new String(r.payload(), StandardCharsets.UTF_8), replyTo);
    };
  }

  private Behavior<RouterCommand> onAnswer(Answer a) {
    Request r = a.request();
    RaftReplica.Result res = a.result();
    if (a.failure() == null && res.isOk()) {
      if (r.kind() != Kind.LOCAL_READ) {
        leaderCache.put(r.partition(), r.target());
      }
      r.finish().done(ErrorCode.OK, res.value(), null, null, r.target());
      return Behaviors.same();
    }
    if (a.failure() == null && res.code() == ErrorCode.NO_QUORUM && r.target().equals(self.value())) {
      // Our own replica of the partition cannot reach a majority, so neither can we: this side of
      // the split is read-only. Fail fast instead of waiting out the deadline.
      boolean write = r.kind() == Kind.PROPOSE || r.kind() == Kind.TRANSFER;
      r.finish().done(write ? ErrorCode.READ_ONLY : ErrorCode.NO_QUORUM, null,
          "partition " + r.partition() + " is read-only from " + self + ": " + res.message()
              + (write ? "" : "; EVENTUAL reads still answer"), null, null);
      return Behaviors.same();
    }
    String next;
    if (a.failure() != null) {
      leaderCache.remove(r.partition());
      // No answer in time: if we host the partition, our replica knows whether a quorum is reachable.
      next = hosts(r.partition()) && !r.target().equals(self.value()) ? self.value() : nextReplica(r.partition(), r.target());
    } else if (res.code() == ErrorCode.NO_QUORUM) {
      next = hosts(r.partition()) ? self.value() : nextReplica(r.partition(), r.target()); // ask our own replica
    } else if (res.code() == ErrorCode.NOT_LEADER || res.code() == ErrorCode.BUSY) {
      String hint = res.leaderHint();
      boolean hintUsable = hint != null && !hint.equals(r.target()) && addresses.containsKey(NodeId.of(hint));
      if (hintUsable) {
        leaderCache.put(r.partition(), hint);
      }
      next = res.code() == ErrorCode.BUSY ? r.target() : hintUsable ? hint : nextReplica(r.partition(), r.target());
    } else {
      r.finish().done(res.code(), null, res.message(), res.leaderHint(), r.target());
      return Behaviors.same();
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - r.startNanos());
    Duration backoff = Duration.ofMillis(Math.min(200, 10L << Math.min(r.attempt(), 4)));
    if (elapsed.plus(backoff).compareTo(r.deadline()) >= 0) {
      String why = a.failure() != null ? "no answer from replicas" : res.code() + ": " + res.message();
      r.finish().done(ErrorCode.TIMEOUT, null,
          "partition " + r.partition() + " did not answer within " + r.deadline().toMillis() + " ms (last: " + why + ")",
          leaderCache.get(r.partition()), null);
      return Behaviors.same();
    }
    timers.startSingleTimer(timerKeys++, new Retry(r.next(next)), backoff);
    return Behaviors.same();
  }
}
