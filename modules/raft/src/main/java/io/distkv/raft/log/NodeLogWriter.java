package io.distkv.raft.log;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.LoggerFactory;

/**
 * The node's one Raft log writer: every replica on the node hands its {@link Append}s here; while
 * one write + fsync runs (on the writer's own thread, which owns the file), new appends queue, and
 * the next round writes all of them with a single fsync. Each sender gets {@link Persisted} from
 * that thread once its data is durable. So 64 groups with an append each cost about one fsync per
 * round, not 64.
 *
 * <p>Replicas on the node hand appends over through {@link #append} (the {@link LogSink} view),
 * straight into the writer's queue: no actor mailbox between a replica and the disk. The actor
 * from {@link #behavior()} is the writer's face for everything else (group removal, statistics,
 * asks from other actors) and stops the thread when it stops. An append may carry an
 * {@link Append#afterDurable} action that the writer thread runs as soon as the append is durable,
 * before {@code Persisted} is even sent: a follower's acknowledgements leave from there, without a
 * hop back through the replica's mailbox.
 */
public final class NodeLogWriter implements LogSink {
  /** Messages of the writer actor. */
  public sealed interface Command {}

  /**
   * Make {@code write} durable, then run {@code afterDurable} (if not null, on the writer's thread;
   * only if this write and every earlier write of its group succeeded) and tell {@code replyTo}
   * with {@code token}.
   */
  public record Append(SegmentedLog.GroupWrite write, long token, ActorRef<Persisted> replyTo, Runnable afterDurable)
      implements Command {
    public Append(SegmentedLog.GroupWrite write, long token, ActorRef<Persisted> replyTo) {
      this(write, token, replyTo, null);
    }
  }

  /** The append with {@code token} of {@code group} is durable (or failed with {@code error}). */
  public record Persisted(String group, long token, Throwable error) {}

  /**
   * Forgets {@code group} (its replica left this node) after every append queued before it; the
   * answer is a {@link Persisted} with token -1. The group's replica must be stopped first.
   */
  public record RemoveGroup(String group, ActorRef<Persisted> replyTo) implements Command {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /** Rounds written, fsyncs done, appends made durable, time spent writing and fsyncing rounds. */
  public record Stats(long rounds, long fsyncs, long appends, long writeNanos) {}

  private final SegmentedLog log;
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicLong rounds = new AtomicLong();
  private final AtomicLong appends = new AtomicLong();
  private final AtomicLong fsyncs = new AtomicLong();
  private final AtomicLong writeNanos = new AtomicLong();
  /** Groups one of whose writes failed: nothing later of theirs is written (writer thread only). */
  private final Set<String> failed = new HashSet<>();
  private final Thread thread;
  private static final Object STOP = new Object();

  private NodeLogWriter(SegmentedLog log, String name) {
    this.log = log;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Starts the writer thread over {@code log}; spawn {@link #behavior()} to give it an actor (and a stop). */
  public static NodeLogWriter start(SegmentedLog log, String threadName) {
    return new NodeLogWriter(log, threadName);
  }

  /** A writer reached only through its actor: {@link #start} and {@link #behavior()} in one. */
  public static Behavior<Command> create(SegmentedLog log) {
    return Behaviors.setup(ctx -> start(log, "distkv-raft-log-" + ctx.getSelf().path().name()).behavior());
  }

  /** Queues {@code a} for the next round; callable from any thread. */
  @Override
  public void append(Append a) {
    queue.add(a);
  }

  public Stats stats() {
    return new Stats(rounds.get(), fsyncs.get(), appends.get(), writeNanos.get());
  }

  /** The writer's actor: takes every {@link Command}; stopping it ends the writer thread. */
  public Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Append.class, a -> {
          append(a);
          return Behaviors.same();
        })
        .onMessage(RemoveGroup.class, r -> {
          queue.add(r);
          return Behaviors.same();
        })
        .onMessage(GetStats.class, g -> {
          g.replyTo().tell(stats());
          return Behaviors.same();
        })
        .onSignal(PostStop.class, stop -> {
          stop();
          return Behaviors.same();
        })
        .build();
  }

  /**
   * The writer thread: takes whatever appends have queued, writes them with one fsync, tells each
   * sender, repeats. It owns the file; it is never interrupted (an interrupt during FileChannel I/O
   * would close the channel), a STOP marker ends it after the round in progress.
   */
  private void run() {
    List<Object> taken = new ArrayList<>();
    while (true) {
      try {
        taken.add(queue.take());
      } catch (InterruptedException e) {
        return;
      }
      queue.drainTo(taken);
      List<Append> round = new ArrayList<>(taken.size());
      boolean stop = false;
      for (Object o : taken) {
        if (o == STOP) {
          stop = true;
        } else if (o instanceof RemoveGroup r) {
          if (!round.isEmpty()) {
            writeRound(round); // appends queued before the removal go first
            round = new ArrayList<>();
          }
          removeGroup(r);
        } else {
          round.add((Append) o);
        }
      }
      taken.clear();
      if (!round.isEmpty()) {
        writeRound(round);
      }
      if (stop) {
        return;
      }
    }
  }

  private void writeRound(List<Append> round) {
    List<SegmentedLog.GroupWrite> writes = new ArrayList<>(round.size());
    boolean[] refused = new boolean[round.size()];
    for (int i = 0; i < round.size(); i++) {
      Append a = round.get(i);
      if (failed.contains(a.write().group())) {
        refused[i] = true; // an earlier write of the group failed: a later one must not land after a gap
      } else {
        writes.add(a.write());
      }
    }
    Throwable error = null;
    if (!writes.isEmpty()) {
      long start = System.nanoTime();
      try {
        log.write(writes);
        writeNanos.addAndGet(System.nanoTime() - start);
      } catch (java.io.IOException | RuntimeException | OutOfMemoryError e) {
        // (an OutOfMemoryError too: every waiting replica must hear that its write failed and stop,
        // rather than wait forever on a writer thread that died)
        error = e;
        LoggerFactory.getLogger(NodeLogWriter.class).error("raft log write of {} appends failed", writes.size(), e);
        for (SegmentedLog.GroupWrite w : writes) {
          failed.add(w.group());
        }
      }
    }
    fsyncs.set(log.fsyncs());
    rounds.incrementAndGet();
    for (int i = 0; i < round.size(); i++) {
      Append a = round.get(i);
      Throwable e = refused[i]
          ? new java.io.IOException("raft log of " + a.write().group() + " not written: an earlier write of it failed")
          : error;
      if (e == null && a.afterDurable() != null) {
        try {
          a.afterDurable().run();
        } catch (RuntimeException ex) {
          LoggerFactory.getLogger(NodeLogWriter.class).warn("after-durable action of {} failed", a.write().group(), ex);
        }
      }
      appends.incrementAndGet();
      a.replyTo().tell(new Persisted(a.write().group(), a.token(), e));
    }
  }

  private void removeGroup(RemoveGroup r) {
    Throwable error = null;
    try {
      log.removeGroup(r.group());
    } catch (java.io.IOException | RuntimeException e) {
      error = e;
      LoggerFactory.getLogger(NodeLogWriter.class).error("removing raft group {} failed", r.group(), e);
    }
    failed.remove(r.group());
    r.replyTo().tell(new Persisted(r.group(), -1, error));
  }

  private void stop() {
    queue.add(STOP);
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
