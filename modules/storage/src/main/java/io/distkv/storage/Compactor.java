package io.distkv.storage;

import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The flush and compaction scheduler of a node: one typed actor for every store of the node. It
 * keeps what each store needs (a memtable to flush, a tree out of shape) and runs at most
 * {@code threads} jobs at once on a blocking dispatcher, never two of one store at a time, the
 * most urgent first: flushes (a writer may be waiting for its memtable) in arrival order, then
 * compactions of the store with the most level-0 tables (writes slow down, then stop, as that
 * count grows). A job is one flush or one compaction step, so the choice is made again after each.
 * Threads therefore do not grow with the number of stores.
 *
 * <p>Wire stores in with {@code LsmStore.open(dir, options, new StoreResources(cache, budget,
 * Compactor.scheduler(ref)))}.
 */
public final class Compactor {
  /** The dispatcher jobs run on when none is given: Pekko's blocking-I/O dispatcher. */
  public static final DispatcherSelector DEFAULT_DISPATCHER = DispatcherSelector.blocking();

  /** Messages of the compactor. */
  public sealed interface Command {}

  /** The store switched its memtable: flush it. */
  public record FlushNeeded(LsmStore store) implements Command {}

  /** The store's tree may be out of shape. */
  public record CompactionNeeded(LsmStore store) implements Command {}

  /** Asks for the queue and counters. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /**
   * The queue and counters: stores waiting for a flush and for a compaction, jobs running, jobs
   * done since start, and failed jobs.
   */
  public record Status(int flushesQueued, int compactionsQueued, int running, long flushesRun, long compactionsRun,
      long failures) {
    /** Whether anything is queued or running. */
    public boolean busy() {
      return flushesQueued + compactionsQueued + running > 0;
    }
  }

  private record Done(LsmStore store, boolean flush, boolean didWork, Throwable error) implements Command {}

  private final ActorContext<Command> context;
  private final Executor executor;
  private final int threads;
  private final Set<LsmStore> flushes = new LinkedHashSet<>();
  private final Set<LsmStore> compactions = new LinkedHashSet<>();
  private final Set<LsmStore> busy = new HashSet<>();
  private long flushesRun;
  private long compactionsRun;
  private long failures;

  private Compactor(ActorContext<Command> context, int threads, DispatcherSelector dispatcher) {
    this.context = context;
    this.threads = threads;
    this.executor = context.getSystem().dispatchers().lookup(dispatcher);
  }

  /** A compactor running up to {@code threads} jobs at once on {@code dispatcher}. */
  public static Behavior<Command> create(int threads, DispatcherSelector dispatcher) {
    if (threads < 1) {
      throw new IllegalArgumentException("a compactor needs at least one thread, not " + threads);
    }
    return Behaviors.setup(ctx -> new Compactor(ctx, threads, dispatcher).behaviour());
  }

  /** One job at a time on Pekko's blocking-I/O dispatcher. */
  public static Behavior<Command> create() {
    return create(1, DEFAULT_DISPATCHER);
  }

  /** A {@link CompactionScheduler} (flushes included) that hands the work to {@code compactor}. */
  public static CompactionScheduler scheduler(ActorRef<Command> compactor) {
    return new CompactionScheduler() {
      @Override
      public void compactionNeeded(LsmStore store) {
        compactor.tell(new CompactionNeeded(store));
      }

      @Override
      public boolean runsFlushes() {
        return true;
      }

      @Override
      public void flushNeeded(LsmStore store) {
        compactor.tell(new FlushNeeded(store));
      }

      @Override
      public void close() {
        // the actor belongs to whoever spawned it
      }
    };
  }

  private Behavior<Command> behaviour() {
    return Behaviors.receive(Command.class)
        .onMessage(FlushNeeded.class, m -> {
          flushes.add(m.store());
          return dispatch();
        })
        .onMessage(CompactionNeeded.class, m -> {
          compactions.add(m.store());
          return dispatch();
        })
        .onMessage(Done.class, this::onDone)
        .onMessage(GetStatus.class, m -> {
          m.replyTo().tell(new Status(flushes.size(), compactions.size(), busy.size(), flushesRun, compactionsRun, failures));
          return Behaviors.same();
        })
        .build();
  }

  /** Starts the most urgent jobs while threads are free. */
  private Behavior<Command> dispatch() {
    while (busy.size() < threads) {
      LsmStore store = next(flushes, null);
      boolean flush = store != null;
      if (store == null) {
        store = next(compactions, Comparator.comparingInt(LsmStore::level0Files).reversed());
      }
      if (store == null) {
        break;
      }
      (flush ? flushes : compactions).remove(store);
      if (store.isClosed()) {
        continue;
      }
      busy.add(store);
      LsmStore s = store;
      CompletableFuture<Boolean> job = flush
          ? CompletableFuture.supplyAsync(() -> {
              s.runFlush();
              return true;
            }, executor)
          : CompletableFuture.supplyAsync(s::runCompaction, executor);
      context.pipeToSelf(job, (didWork, error) -> new Done(s, flush, didWork != null && didWork, error));
    }
    return Behaviors.same();
  }

  /** The first store of {@code queue} not already running a job (by {@code order} if given). */
  private LsmStore next(Set<LsmStore> queue, Comparator<LsmStore> order) {
    LsmStore best = null;
    for (LsmStore s : queue) {
      if (busy.contains(s)) {
        continue;
      }
      if (order == null) {
        return s;
      }
      if (best == null || order.compare(s, best) < 0) {
        best = s;
      }
    }
    return best;
  }

  private Behavior<Command> onDone(Done d) {
    busy.remove(d.store());
    if (d.error() != null) {
      failures++;
      context.getLog().error("{} of {} failed", d.flush() ? "flush" : "compaction", d.store().directory(), d.error());
    } else if (d.flush()) {
      flushesRun++;
    } else if (d.didWork()) {
      compactionsRun++;
      compactions.add(d.store()); // one step done: the tree may need more
    }
    return dispatch();
  }
}
