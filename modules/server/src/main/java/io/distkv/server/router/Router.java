package io.distkv.server.router;

import io.distkv.common.NodeId;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.placement.Partitioner;
import io.distkv.common.placement.Placement;
import io.distkv.raft.RaftReplica;
import io.distkv.server.NodeRuntime;
import io.distkv.server.partition.KvCommand;
import io.distkv.server.partition.KvResult;
import io.distkv.server.partition.KvStateMachine;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A node's request router: key → partition ({@link Partitioner}) → the partition's leader
 * replica (leader cache, refreshed by NOT_LEADER hints), anywhere in the cluster. Retries
 * NOT_LEADER, BUSY and unanswered attempts with backoff inside the request's deadline; answers
 * TIMEOUT when the deadline passes.
 */
public final class Router {
  /** Read consistency. */
  public enum Consistency {
    /** Through the leader with ReadIndex: sees every write acknowledged before the read started. */
    LINEARIZABLE,
    /** From a replica's current state (the local one if this node hosts the partition). */
    EVENTUAL
  }

  /** Messages of the router. */
  public sealed interface Command {}

  /** A write whose ops all fall in one partition. */
  public record Write(KvCommand command, ActorRef<Reply> replyTo) implements Command, io.distkv.server.ServerSerializable {}

  public record Get(byte[] key, Consistency consistency, ActorRef<Reply> replyTo)
      implements Command, io.distkv.server.ServerSerializable {}

  /** Outcome: OK with the partition's answer (which has its own code: NOT_FOUND, CONFLICT, ...) or a routing error. */
  public record Reply(ErrorCode code, KvResult result, String message, String leaderHint)
      implements io.distkv.server.ServerSerializable {
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isOk() {
      return code == ErrorCode.OK;
    }
  }

  private record Request(Command original, int partition, Duration deadline, long startNanos, int attempt, String target) {}

  private record Answer(Request request, RaftReplica.Result result, Throwable failure) implements Command {}

  private record Retry(Request request) implements Command {}

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final NodeId self;
  private final Placement placement;
  private final Partitioner partitioner;
  private final Map<NodeId, String> addresses;
  private final Map<Integer, KvStateMachine> local;
  private final Duration requestTimeout;
  private final Duration attemptTimeout;
  private final Map<Integer, String> leaderCache = new HashMap<>();
  private final ActorRefResolver resolver;
  private final RequestMetrics metrics;
  private long timerKeys;

  private Router(ActorContext<Command> context, TimerScheduler<Command> timers, NodeId self, Placement placement,
      Map<NodeId, String> addresses, Map<Integer, KvStateMachine> local, Duration requestTimeout, RequestMetrics metrics) {
    this.metrics = metrics;
    this.context = context;
    this.timers = timers;
    this.self = self;
    this.placement = placement;
    this.partitioner = new Partitioner(placement.partitionCount());
    this.addresses = addresses;
    this.local = local;
    this.requestTimeout = requestTimeout;
    this.attemptTimeout = requestTimeout.dividedBy(3);
    this.resolver = ActorRefResolver.get(context.getSystem());
  }

  public static Behavior<Command> create(NodeId self, Placement placement, Map<NodeId, String> addresses,
      Map<Integer, KvStateMachine> local, Duration requestTimeout) {
    return create(self, placement, addresses, local, requestTimeout, new RequestMetrics());
  }

  /** As above, recording every request's outcome and latency in {@code metrics}. */
  public static Behavior<Command> create(NodeId self, Placement placement, Map<NodeId, String> addresses,
      Map<Integer, KvStateMachine> local, Duration requestTimeout, RequestMetrics metrics) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Router(ctx, timers, self, placement, addresses, local, requestTimeout, metrics).behavior()));
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Write.class, this::onWrite)
        .onMessage(Get.class, this::onGet)
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(Retry.class, r -> {
          send(r.request());
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> onWrite(Write w) {
    List<KvCommand.Op> ops = w.command().ops();
    int p = partitioner.indexOf(ops.get(0).key());
    for (KvCommand.Op op : ops) {
      if (partitioner.indexOf(op.key()) != p) {
        w.replyTo().tell(new Reply(ErrorCode.INVALID_ARGUMENT, null,
            "a batch is atomic within one partition; its keys span partitions " + p + " and " + partitioner.indexOf(op.key()),
            null));
        return Behaviors.same();
      }
    }
    send(new Request(w, p, requestTimeout, System.nanoTime(), 0, initialTarget(p)));
    return Behaviors.same();
  }

  private Behavior<Command> onGet(Get g) {
    int p = partitioner.indexOf(g.key());
    if (g.consistency() == Consistency.EVENTUAL && local.containsKey(p)) {
      respond(System.nanoTime(), g.replyTo(), new Reply(ErrorCode.OK, local.get(p).get(g.key()), null, null));
      return Behaviors.same();
    }
    String target = g.consistency() == Consistency.EVENTUAL ? placement.replicasOf(io.distkv.common.PartitionId.of(p))
        .nodes().get(0).value() : initialTarget(p);
    send(new Request(g, p, requestTimeout, System.nanoTime(), 0, target));
    return Behaviors.same();
  }

  private String initialTarget(int p) {
    String cached = leaderCache.get(p);
    return cached != null ? cached : placement.replicasOf(io.distkv.common.PartitionId.of(p)).preferredLeader()
        .map(NodeId::value).orElse(self.value());
  }

  private boolean hosts(int p) {
    return local.containsKey(p);
  }

  private String nextReplica(int p, String after) {
    List<NodeId> nodes = placement.replicasOf(io.distkv.common.PartitionId.of(p)).nodes();
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).value().equals(after)) {
        return nodes.get((i + 1) % nodes.size()).value();
      }
    }
    return nodes.get(0).value();
  }

  private void send(Request r) {
    String address = addresses.get(NodeId.of(r.target()));
    if (address == null) {
      // A node this router cannot address is as good as unreachable.
      context.getSelf().tell(new Answer(r, null, new IllegalStateException("no address for node " + r.target())));
      return;
    }
    ActorRef<RaftReplica.Command> ref = resolver.resolveActorRef(NodeRuntime.replicaPath(address, r.partition()));
    context.ask(RaftReplica.Result.class, ref, attemptTimeout, replyTo -> toReplica(r.original(), replyTo),
        (result, failure) -> new Answer(r, result, failure));
  }

  private static RaftReplica.Command toReplica(Command original, ActorRef<RaftReplica.Result> replyTo) {
    if (original instanceof Write w) {
      return new RaftReplica.Propose(w.command().encode(), replyTo);
    }
    Get g = (Get) original;
    byte[] query = KvStateMachine.getQuery(g.key());
    return g.consistency() == Consistency.LINEARIZABLE ? new RaftReplica.Read(query, replyTo)
        : new RaftReplica.LocalRead(query, replyTo);
  }

  private void respond(long startNanos, ActorRef<Reply> to, Reply reply) {
    metrics.record(System.nanoTime() - startNanos, reply.code() == ErrorCode.OK);
    to.tell(reply);
  }

  private Behavior<Command> onAnswer(Answer a) {
    Request r = a.request();
    ActorRef<Reply> replyTo = r.original() instanceof Write w ? w.replyTo() : ((Get) r.original()).replyTo();
    RaftReplica.Result res = a.result();
    if (a.failure() == null && res.isOk()) {
      if (!(r.original() instanceof Get g && g.consistency() == Consistency.EVENTUAL)) {
        leaderCache.put(r.partition(), r.target());
      }
      respond(r.startNanos(), replyTo, new Reply(ErrorCode.OK, res.value() == null ? null : KvResult.decode(res.value()), null, null));
      return Behaviors.same();
    }
    if (a.failure() == null && res.code() == ErrorCode.NO_QUORUM && r.target().equals(self.value())) {
      // Our own replica of the partition cannot reach a majority, so neither can we: this side of
      // the split is read-only. Fail fast instead of waiting out the deadline.
      boolean write = r.original() instanceof Write;
      respond(r.startNanos(), replyTo, new Reply(write ? ErrorCode.READ_ONLY : ErrorCode.NO_QUORUM, null,
          "partition " + r.partition() + " is read-only from " + self + ": " + res.message()
              + (write ? "" : "; EVENTUAL reads still answer"), null));
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
      respond(r.startNanos(), replyTo, new Reply(res.code(), null, res.message(), res.leaderHint()));
      return Behaviors.same();
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - r.startNanos());
    Duration backoff = Duration.ofMillis(Math.min(200, 10L << Math.min(r.attempt(), 4)));
    if (elapsed.plus(backoff).compareTo(r.deadline()) >= 0) {
      String why = a.failure() != null ? "no answer from replicas" : res.code() + ": " + res.message();
      respond(r.startNanos(), replyTo, new Reply(ErrorCode.TIMEOUT, null,
          "partition " + r.partition() + " did not answer within " + r.deadline().toMillis() + " ms (last: " + why + ")",
          leaderCache.get(r.partition())));
      return Behaviors.same();
    }
    timers.startSingleTimer(timerKeys++, new Retry(new Request(r.original(), r.partition(), r.deadline(), r.startNanos(),
        r.attempt() + 1, next)), backoff);
    return Behaviors.same();
  }
}
