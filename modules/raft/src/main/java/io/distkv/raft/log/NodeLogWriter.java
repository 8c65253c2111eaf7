package io.distkv.raft.log;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.LoggerFactory;

/**
 * The node's one Raft log writer: every replica on the node sends its {@link Append}s here; while
 * one write + fsync runs (on the writer's own thread, which owns the file), new appends queue, and
 * the next round writes all of them with a single fsync. Each sender gets {@link Persisted} from
 * that thread once its data is durable. So 64 groups with an append each cost about one fsync per
 * round, not 64, and a round costs no thread hand-offs beyond append in and answers out.
 */
public final class NodeLogWriter {
  /** Messages of the writer. */
  public sealed interface Command {}

  /** Make {@code write} durable, then tell {@code replyTo} with {@code token}. */
  public record Append(SegmentedLog.GroupWrite write, long token, ActorRef<Persisted> replyTo) implements Command {}

  /** The append with {@code token} of {@code group} is durable (or failed with {@code error}). */
  public record Persisted(String group, long token, Throwable error) {}

  /**
   * Forgets {@code group} (its replica left this node) after every append queued before it; the
   * answer is a {@link Persisted} with token -1. The group's replica must be stopped first.
   */
  public record RemoveGroup(String group, ActorRef<Persisted> replyTo) implements Command {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /** Rounds written, fsyncs done, appends made durable. */
  public record Stats(long rounds, long fsyncs, long appends) {}

  private final SegmentedLog log;
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicLong rounds = new AtomicLong();
  private final AtomicLong appends = new AtomicLong();
  private final AtomicLong fsyncs = new AtomicLong();
  private final Thread thread;
  private static final Object STOP = new Object();

  private NodeLogWriter(SegmentedLog log, String name) {
    this.log = log;
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  public static Behavior<Command> create(SegmentedLog log) {
    return Behaviors.setup(ctx -> {
      NodeLogWriter w = new NodeLogWriter(log, "distkv-raft-log-" + ctx.getSelf().path().name());
      return Behaviors.receive(Command.class)
          .onMessage(Append.class, a -> {
            w.queue.add(a);
            return Behaviors.same();
          })
          .onMessage(RemoveGroup.class, r -> {
            w.queue.add(r);
            return Behaviors.same();
          })
          .onMessage(GetStats.class, g -> {
            g.replyTo().tell(new Stats(w.rounds.get(), w.fsyncs.get(), w.appends.get()));
            return Behaviors.same();
          })
          .onSignal(PostStop.class, stop -> {
            w.stop();
            return Behaviors.same();
          })
          .build();
    });
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
    for (Append a : round) {
      writes.add(a.write());
    }
    Throwable error = null;
    try {
      log.write(writes);
    } catch (java.io.IOException | RuntimeException e) {
      error = e;
      LoggerFactory.getLogger(NodeLogWriter.class).error("raft log write of {} appends failed", round.size(), e);
    }
    fsyncs.set(log.fsyncs());
    rounds.incrementAndGet();
    for (Append a : round) {
      appends.incrementAndGet();
      a.replyTo().tell(new Persisted(a.write().group(), a.token(), error));
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
