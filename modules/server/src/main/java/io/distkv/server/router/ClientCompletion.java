package io.distkv.server.router;

import io.distkv.common.error.ErrorCode;
import io.distkv.common.protocol.ClientProtocol.Replies;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.KvResult;
import io.distkv.common.protocol.Trace;
import io.distkv.raft.Outbox;
import io.distkv.raft.RaftReplica;
import io.distkv.server.partition.KvStateMachine;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The reply path of one key request: the replica that knows the outcome turns its {@link RaftReplica.Result}
 * into the client's {@link Reply} and adds it to its outbox, which sends every reply for one client
 * inbox in one {@link Replies}. Runs on the replica's thread.
 */
final class ClientCompletion implements RaftReplica.Completion {
  /** What the request was, for turning a replica's answer into the client's. */
  enum Shape {
    WRITE,
    GET,
    SCAN,
    TRANSFER;

    /** The operation's name in metrics. */
    final String op = name().toLowerCase(java.util.Locale.ROOT);
  }

  private final ActorRef<Replies> to;
  private final long id;
  private final Shape shape;
  private final int partition;
  private final String self;
  private final long[] trace;
  private final long startNanos;
  private final RequestMetrics metrics;

  ClientCompletion(ActorRef<Replies> to, long id, Shape shape, int partition, String self, long[] trace, long startNanos,
      RequestMetrics metrics) {
    this.to = to;
    this.id = id;
    this.shape = shape;
    this.partition = partition;
    this.self = self;
    this.trace = trace;
    this.startNanos = startNanos;
    this.metrics = metrics;
  }

  @Override
  public long[] trace() {
    return trace;
  }

  @Override
  public void complete(RaftReplica.Result r, Outbox outbox) {
    Reply reply = toReply(r);
    metrics.record(shape.op, reply.code(), System.nanoTime() - startNanos);
    Trace.stamp(trace, Trace.REPLY_SENT); // the outbox is flushed before the replica's next message
    outbox.add(to, reply, Replies::new);
  }

  private Reply toReply(RaftReplica.Result r) {
    if (r.isOk()) {
      return switch (shape) {
        case WRITE, GET -> new Reply(id, ErrorCode.OK, KvResult.decode(r.value()), null, null, null, self, trace);
        case SCAN -> new Reply(id, ErrorCode.OK, null, KvStateMachine.decodeScanPart(r.value()), null, null, self, trace);
        case TRANSFER -> new Reply(id, ErrorCode.OK, null, null, null, null, self, trace);
      };
    }
    if (r.code() == ErrorCode.NO_QUORUM) {
      // This node's replica has had no leader for two election timeouts: no majority is reachable
      // from here, so this side of a split is read-only.
      boolean write = shape == Shape.WRITE || shape == Shape.TRANSFER;
      return Reply.error(id, write ? ErrorCode.READ_ONLY : ErrorCode.NO_QUORUM, "partition " + partition
          + " is read-only from " + self + ": " + r.message() + (write ? "" : "; EVENTUAL reads still answer"), null, self);
    }
    return new Reply(id, r.code(), null, null, r.message(), r.leaderHint(), self, trace);
  }
}
