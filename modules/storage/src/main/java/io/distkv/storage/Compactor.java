package io.distkv.storage;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The compaction actor of one store: told that the tree may need work, it runs
 * {@link LsmStore#runCompaction()} repeatedly on Pekko's blocking-I/O dispatcher (never on its own
 * dispatcher, never on a reader's or writer's thread) and coalesces requests that arrive meanwhile.
 *
 * <p>Wire it in with {@code LsmStore.open(dir, options, Compactor.scheduler(ref))}.
 */
public final class Compactor {
  /** Messages of the compactor. */
  public sealed interface Command {}

  /** The store's tree may be out of shape. */
  public record CompactionNeeded(LsmStore store) implements Command {}

  /** Asks for counters. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** Counters of this compactor. */
  public record Status(boolean running, long compactionsRun, long failures) {}

  private record Finished(LsmStore store, boolean didWork, Throwable error) implements Command {}

  private final ActorContext<Command> context;
  private final Executor blocking;
  private long compactionsRun;
  private long failures;
  private boolean rerun;

  private Compactor(ActorContext<Command> context) {
    this.context = context;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> new Compactor(ctx).idle());
  }

  /** A {@link CompactionScheduler} that forwards requests to {@code compactor}. */
  public static CompactionScheduler scheduler(ActorRef<Command> compactor) {
    return new CompactionScheduler() {
      @Override
      public void compactionNeeded(LsmStore store) {
        compactor.tell(new CompactionNeeded(store));
      }

      @Override
      public void close() {
        // the actor's lifecycle belongs to whoever spawned it
      }
    };
  }

  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessage(CompactionNeeded.class, m -> running(m.store()))
        .onMessage(GetStatus.class, m -> status(m, false))
        .onMessage(Finished.class, m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> running(LsmStore store) {
    rerun = false;
    context.pipeToSelf(
        CompletableFuture.supplyAsync(store::runCompaction, blocking),
        (didWork, error) -> new Finished(store, didWork != null && didWork, error));
    return Behaviors.receive(Command.class)
        .onMessage(CompactionNeeded.class, m -> {
          rerun = true;
          return Behaviors.same();
        })
        .onMessage(GetStatus.class, m -> status(m, true))
        .onMessage(Finished.class, this::onFinished)
        .build();
  }

  private Behavior<Command> onFinished(Finished f) {
    if (f.error() != null) {
      failures++;
      context.getLog().error("compaction of {} failed", f.store().directory(), f.error());
      return idle();
    }
    if (f.didWork()) {
      compactionsRun++;
    }
    return f.didWork() || rerun ? running(f.store()) : idle();
  }

  private Behavior<Command> status(GetStatus m, boolean running) {
    m.replyTo().tell(new Status(running, compactionsRun, failures));
    return Behaviors.same();
  }
}
