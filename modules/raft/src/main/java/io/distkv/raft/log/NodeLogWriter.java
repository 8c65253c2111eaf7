package io.distkv.raft.log;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The node's one Raft log writer: every replica on the node sends its {@link Append}s here; while
 * one write + fsync runs (on the blocking dispatcher), new appends queue, and the next round writes
 * all of them with a single fsync. Each sender gets {@link Persisted} once its data is durable.
 * So 64 groups with an append each cost about one fsync per round, not 64.
 */
public final class NodeLogWriter {
  /** Messages of the writer. */
  public sealed interface Command {}

  /** Make {@code write} durable, then tell {@code replyTo} with {@code token}. */
  public record Append(SegmentedLog.GroupWrite write, long token, ActorRef<Persisted> replyTo) implements Command {}

  /** The append with {@code token} of {@code group} is durable (or failed with {@code error}). */
  public record Persisted(String group, long token, Throwable error) {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /** Rounds written, fsyncs done, appends made durable. */
  public record Stats(long rounds, long fsyncs, long appends) {}

  private record RoundDone(List<Append> round, Throwable error) implements Command {}

  private final ActorContext<Command> context;
  private final SegmentedLog log;
  private final Executor blocking;
  private final List<Append> queued = new ArrayList<>();
  private boolean writing;
  private long rounds;
  private long appends;

  private NodeLogWriter(ActorContext<Command> context, SegmentedLog log) {
    this.context = context;
    this.log = log;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  public static Behavior<Command> create(SegmentedLog log) {
    return Behaviors.setup(ctx -> new NodeLogWriter(ctx, log).behavior());
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Append.class, a -> {
          queued.add(a);
          maybeStartRound();
          return Behaviors.same();
        })
        .onMessage(RoundDone.class, this::onRoundDone)
        .onMessage(GetStats.class, g -> {
          g.replyTo().tell(new Stats(rounds, log.fsyncs(), appends));
          return Behaviors.same();
        })
        .build();
  }

  private void maybeStartRound() {
    if (writing || queued.isEmpty()) {
      return;
    }
    List<Append> round = new ArrayList<>(queued);
    queued.clear();
    writing = true;
    List<SegmentedLog.GroupWrite> writes = new ArrayList<>(round.size());
    for (Append a : round) {
      writes.add(a.write());
    }
    context.pipeToSelf(
        CompletableFuture.runAsync(() -> {
          try {
            log.write(writes);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }, blocking),
        (ok, error) -> new RoundDone(round, error));
  }

  private Behavior<Command> onRoundDone(RoundDone done) {
    writing = false;
    rounds++;
    Throwable error = done.error() == null ? null
        : done.error() instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null ? ce.getCause() : done.error();
    if (error != null) {
      context.getLog().error("raft log write of {} appends failed", done.round().size(), error);
    }
    for (Append a : done.round()) {
      appends++;
      a.replyTo().tell(new Persisted(a.write().group(), a.token(), error));
    }
    maybeStartRound();
    return Behaviors.same();
  }
}
