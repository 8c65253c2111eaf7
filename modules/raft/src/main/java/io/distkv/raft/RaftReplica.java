package io.distkv.raft;

import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.protocol.Trace;
import io.distkv.raft.core.ConfChange;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Entry;
import io.distkv.raft.core.HardState;
import io.distkv.raft.core.RaftCore;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.core.ReadState;
import io.distkv.raft.core.Ready;
import io.distkv.raft.core.Role;
import io.distkv.raft.core.SnapshotMeta;
import io.distkv.raft.log.LogSink;
import io.distkv.raft.log.NodeLogWriter;
import io.distkv.raft.log.SegmentedLog;
import io.distkv.raft.snapshot.SnapshotDirs;
import io.distkv.raft.snapshot.SnapshotReceiver;
import io.distkv.raft.snapshot.SnapshotSender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One replica of one Raft group, as a typed actor: it drives a {@link RaftCore} with timer ticks
 * and inbound messages, makes its log durable through the node's {@link NodeLogWriter}, talks to
 * peers through a {@link Transport}, and applies committed commands to a {@link StateMachine}.
 * Its behaviour is chosen by role (follower, pre-candidate, candidate, leader); clients get fast
 * NOT_LEADER answers with the leader hint from any non-leader behaviour.
 */
public final class RaftReplica {
  /** Messages of the replica. */
  public sealed interface Command {}

  /** A Raft message from a peer. */
  public record Inbound(String group, RaftMessage message) implements Command {}

  /**
   * Where the outcome of a request goes. Called on the replica's thread; must not block. A
   * completion that replies over the network adds its reply to the {@link Outbox}, which the
   * replica flushes once per message it handles, so replies to one destination travel together.
   */
  public interface Completion {
    void complete(Result result, Outbox outbox);

    /** Stage stamps of a traced request ({@link io.distkv.common.protocol.Trace}), or null. */
    default long[] trace() {
      return null;
    }

    /** The reply goes to {@code replyTo} as it is (one message per reply). */
    static Completion to(ActorRef<Result> replyTo) {
      return (result, outbox) -> replyTo.tell(result);
    }
  }

  /** What a {@link Submit} asks for. */
  public enum Kind {
    /** Replicate the payload (a command); answered once applied. */
    PROPOSE,
    /** Run the payload (a query) linearizably: after ReadIndex or under the lease. */
    READ,
    /** Run the payload (a query) against this replica's state now, whatever its role. */
    LOCAL_READ,
    /** Hand leadership to the node named by the payload (UTF-8). */
    TRANSFER
  }

  /**
   * Local only: a request from this node's front end (its router), answered through
   * {@code done}. The replica answers TIMEOUT without acting when {@code deadlineNanos}
   * ({@link System#nanoTime}, 0 = none) has passed before it gets to the request: the client has
   * given up on it, so a late proposal would only be work nobody waits for.
   */
  public record Submit(Kind kind, byte[] payload, long deadlineNanos, Completion done) implements Command {}

  /** Replicate {@code command}; the reply comes when it is applied (or fails). */
  public record Propose(byte[] command, ActorRef<Result> replyTo) implements Command, RaftSerializable {}

  /** A linearizable read: {@code query} runs against the state machine after ReadIndex. */
  public record Read(byte[] query, ActorRef<Result> replyTo) implements Command, RaftSerializable {}

  /** An eventual read: {@code query} runs against this replica's state now, whatever its role. */
  public record LocalRead(byte[] query, ActorRef<Result> replyTo) implements Command, RaftSerializable {}

  public record ChangeMembership(ConfChange change, ActorRef<Result> replyTo) implements Command, RaftSerializable {}

  public record TransferLeadership(String to, ActorRef<Result> replyTo) implements Command, RaftSerializable {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command, RaftSerializable {}

  /** Outcome of a proposal or read: OK with the log index and the state machine's answer, or an error. */
  public record Result(ErrorCode code, long index, byte[] value, String message, String leaderHint)
      implements RaftSerializable {
    static Result ok(long index, byte[] value) {
      return new Result(ErrorCode.OK, index, value, null, null);
    }

    static Result error(DistKvException e, String hint) {
      return new Result(e.code(), -1, null, e.getMessage(), hint);
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isOk() {
      return code == ErrorCode.OK;
    }
  }

  /**
   * A snapshot of the replica's Raft state. {@code configurationCommitted}: this replica leads and
   * its configuration is committed (see {@code RaftCore.configurationCommitted()});
   * {@code snapshotIndex}: the log starts after it (compacted there, or a snapshot installed);
   * {@code liveKeys}: the state machine's {@link StateMachine#liveKeys()}; {@code leaderChanges}:
   * times this replica learned of a leader other than the last it knew since it started;
   * {@code pendingProposals}: writes this replica proposed as leader that are not applied yet.
   */
  public record Status(String group, String id, Role role, long term, String leader, long commitIndex, long appliedIndex,
      long lastIndex, Configuration configuration, boolean configurationCommitted, long snapshotIndex, long liveKeys,
      long leaderChanges, int pendingProposals) implements RaftSerializable {}

  /**
   * Local only: this replica left its group and its node no longer hosts the partition. It fails
   * whatever is pending, stops its timers and goes dormant (ignores Raft traffic and status
   * requests, answers requests {@code NOT_LEADER} without a hint), then replies; if its state
   * machine's disk work (a checkpoint or an install) is running, it does so once that ends, so the
   * node never closes a store under it. The actor stays,
   * so the path {@code /system/raft-p<N>} keeps naming a live actor: Artery caches the actor a
   * remote path resolves to, and a new actor under the same name would be unreachable from peers.
   */
  public record Retire(ActorRef<Retired> replyTo) implements Command {}

  public record Retired(String group) {}

  /** Local only: a dormant replica starts again as a brand-new member (new store, empty log). */
  public record Revive(Settings settings, StateMachine stateMachine) implements Command {}

  private record Tick() implements Command {}

  /** The node's log memory budget is reached and this replica's log is the largest: compact it. */
  private record ShrinkLog() implements Command {}

  /** Takes the core's Ready once every request already in the mailbox has been stepped in (see {@link #batch}). */
  private record Flush() implements Command {}

  private record LogPersisted(NodeLogWriter.Persisted persisted) implements Command {}

  /** A snapshot transfer to a follower ended. */
  private record TransferEnded(SnapshotSender.Ended ended) implements Command {}

  /** A snapshot's files arrived and were verified. */
  private record SnapshotArrived(SnapshotReceiver.Received received) implements Command {}

  /** The state machine may have room to apply again (its wake-up, or the retry timer). */
  private record ApplyRoom() implements Command {}

  /** How long a replica whose state machine is full waits before asking again, if no wake-up came. */
  static final Duration APPLY_RETRY = Duration.ofMillis(50);

  private static final Object APPLY_TIMER = "apply";

  /** Disk work of the state machine ended on the disk dispatcher: {@code then} continues on the replica's thread. */
  private record DiskWorkDone(Runnable then) implements Command {}

  /** The state machine's disk work running off the replica's thread ({@link #offload}). */
  private enum DiskWork {
    NONE,
    /** A checkpoint for a snapshot: applies wait; queries may run (the state does not change). */
    CHECKPOINT,
    /** A snapshot's install: applies, queries and log compaction wait (the store is being replaced). */
    RESTORE
  }

  /**
   * Static wiring of a replica. {@code snapshots} says when the log is compacted and how fast
   * snapshots are sent; {@code snapshotDir} is the replica's own directory for snapshots being
   * sent or received (on the state machine's file system, so installing one links files);
   * {@code logBudget} is the node's bound on the log memory of all its replicas.
   */
  public record Settings(String group, String id, Configuration bootstrap, RaftOptions options, Duration tickInterval,
      SnapshotPolicy snapshots, java.nio.file.Path snapshotDir, long seed, LogMemoryBudget logBudget) {}

  private record Pending(long term, Completion done) {}

  private record PendingRead(byte[] query, Completion done) {}

  /**
   * How many Readys a replica may have in flight: while one log write runs the next is handed to
   * the node's log writer, so a busy group has an append in every group-commit round instead of
   * every other one.
   */
  static final int MAX_IN_FLIGHT = 4;

  /**
   * The dispatcher (two threads, reference.conf) of a state machine's disk work off its replica's
   * thread (a checkpoint, an install, a backup's checkpoint) and of the node's starting and
   * dropping of replicas: its own threads, so that this work, which holds a replica's applies,
   * never queues behind snapshot transfers' file I/O.
   */
  public static final String DISK_DISPATCHER = "distkv-disk-dispatcher";

  /**
   * A Ready being written ({@code token} ≥ 0) or done with, and its answers held until then.
   * {@code applied}: its committed entries and reads were already served when it was taken.
   */
  private static final class InFlight {
    final Ready ready;
    final List<RaftMessage> deferred;
    final long token;
    boolean durable;
    final boolean applied;

    InFlight(Ready ready, List<RaftMessage> deferred, long token, boolean durable, boolean applied) {
      this.ready = ready;
      this.deferred = deferred;
      this.token = token;
      this.durable = durable;
      this.applied = applied;
    }
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final RaftCore core;
  private final StateMachine stateMachine;
  private final Transport transport;
  private final LogSink logWriter;
  private final ActorRef<NodeLogWriter.Persisted> persistedAdapter;
  private final TreeMap<Long, Pending> proposals = new TreeMap<>();
  private final Map<Long, PendingRead> reads = new HashMap<>();
  private final List<ReadState> readyReads = new ArrayList<>();
  /** Readys taken from the core and not yet handled, oldest first (at most {@link #MAX_IN_FLIGHT}). */
  private final java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();
  /** Term and vote of the last hard state handed to the log writer (durable once its write is). */
  private HardState queuedTermVote;
  private long nextToken = 1;
  /** Replies produced while handling the current message; flushed before the replica returns. */
  private final Outbox outbox = new Outbox();
  /** A {@link Flush} is in the mailbox. */
  private boolean flushQueued;
  private long nextReadId = 1;
  private long applied;
  /**
   * The last index the state machine itself applied or restored (≤ {@link #applied}, which also
   * counts configuration and no-op entries): the index a checkpoint of it holds.
   */
  private long stateIndex;
  /** Committed entries taken from the core and not applied yet, in log order ({@link #drainApplies}), and their bound. */
  private final ApplyBacklog toApply;
  /** The highest committed index taken from the core: applied, held in {@link #toApply}, or installed. */
  private long taken;
  /** Applying waits for the state machine's wake-up or the retry timer ({@link ApplyRoom}). */
  private boolean applyWaiting;
  /** The state machine's wake-up ({@link StateMachine#applyRoom}): safe from any thread. */
  private final Runnable applyWake;
  /** The state machine's disk work now running off this thread, if any. */
  private DiskWork diskWork = DiskWork.NONE;
  /** The install of a snapshot adopted while other disk work ran: started when that ends (one disk work at a time). */
  private Runnable deferredInstall;
  /** A {@link Retire} that came during disk work: carried out when the work ends (the store is closed after it). */
  private Retire retireWhenIdle;
  /** Local reads that came while a snapshot was being installed, answered once it is. */
  private final List<PendingRead> heldLocalReads = new ArrayList<>();
  private Role lastRole = Role.FOLLOWER;
  private long leaderlessTicks;
  /**
   * The core's clock follows this monotonic clock: {@link #catchUp} gives the core one tick per
   * {@code tickNanos} elapsed since {@code clockStart}, however late the timer's messages come.
   */
  private final LongSupplier clock;
  private final long tickNanos;
  private final long clockStart;
  private long ticksDone;
  /** When (in {@link #ticksDone}) a Raft message from each peer last arrived. */
  private final Map<String, Long> lastHeard = new HashMap<>();
  private final SnapshotTransfers snapshots;
  /** The applied index when the state machine was last asked to persist ({@link #maybeCompact}). */
  private long persistRequestedAt;
  /** This replica's log in the node's log memory budget. */
  private final LogMemoryBudget.Member logMemory;
  /** The node's log budget asked this replica to compact as far as its state machine allows. */
  private boolean shrinkAsked;

  private RaftReplica(ActorContext<Command> context, TimerScheduler<Command> timers, Settings settings,
      SegmentedLog.GroupState recovered, StateMachine stateMachine, Transport transport,
      LogSink logWriter, LongSupplier clock) {
    this.context = context;
    this.timers = timers;
    this.settings = settings;
    this.clock = clock;
    this.tickNanos = settings.tickInterval().toNanos();
    this.clockStart = clock.getAsLong();
    this.stateMachine = stateMachine;
    this.toApply = new ApplyBacklog(settings.options().maxInflightBytes());
    this.transport = transport;
    this.logWriter = logWriter;
    this.persistedAdapter = context.messageAdapter(NodeLogWriter.Persisted.class, LogPersisted::new);
    ActorRef<Command> self = context.getSelf();
    this.applyWake = () -> self.tell(new ApplyRoom());
    this.logMemory = settings.logBudget().join(() -> self.tell(new ShrinkLog()));
    HardState hs = recovered == null ? HardState.EMPTY : recovered.hardState();
    SnapshotMeta meta = recovered == null ? null : recovered.snapshot();
    List<Entry> entries = recovered == null ? List.of() : recovered.entries();
    this.queuedTermVote = hs;
    this.applied = stateMachine.appliedIndex();
    SnapshotDirs dirs = new SnapshotDirs(settings.snapshotDir());
    if (meta != null && applied < meta.index()) {
      // The log took a received snapshot, and this node stopped before the state machine did.
      java.nio.file.Path staged = dirs.completed(meta);
      if (staged == null) {
        throw new IllegalStateException(settings.group() + ": state machine applied " + applied
            + " is behind the log's snapshot point " + meta.index() + " and the snapshot's files are gone");
      }
      stateMachine.restore(meta.index(), SnapshotDirs.files(staged));
      applied = meta.index();
    }
    this.stateIndex = applied;
    this.taken = applied;
    this.core = new RaftCore(settings.id(), settings.options(), settings.seed(), hs, meta, entries,
        settings.bootstrap(), applied);
    this.snapshots = new SnapshotTransfers(context, settings, transport,
        context.messageAdapter(SnapshotSender.Ended.class, TransferEnded::new),
        context.messageAdapter(SnapshotReceiver.Received.class, SnapshotArrived::new), core.snapshotIndex());
    timers.startTimerWithFixedDelay(new Tick(), settings.tickInterval());
  }

  /** A replica restored from {@code recovered} (null for a new group). */
  public static Behavior<Command> create(Settings settings, SegmentedLog.GroupState recovered, StateMachine stateMachine,
      Transport transport, LogSink logWriter) {
    return create(settings, recovered, stateMachine, transport, logWriter, System::nanoTime);
  }

  /** As above, reading elapsed time from {@code clock} (nanoseconds, monotonic; tests pass their own). */
  public static Behavior<Command> create(Settings settings, SegmentedLog.GroupState recovered, StateMachine stateMachine,
      Transport transport, LogSink logWriter, LongSupplier clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new RaftReplica(ctx, timers, settings, recovered, stateMachine, transport, logWriter, clock).behaviourForRole()));
  }

  // ---------------------------------------------------------------- behaviours per role

  /** Built once: a behaviour is returned after every message, and building one is not free. */
  private Behavior<Command> leaderBehaviour;
  private Behavior<Command> nonLeaderBehaviour;

  private Behavior<Command> behaviourForRole() {
    if (core.role() == Role.LEADER) {
      if (leaderBehaviour == null) {
        leaderBehaviour = leader();
      }
      return leaderBehaviour;
    }
    if (nonLeaderBehaviour == null) {
      nonLeaderBehaviour = follower(); // candidates answer like followers
    }
    return nonLeaderBehaviour;
  }

  private Behavior<Command> follower() {
    return common()
        .onMessage(Submit.class, s -> {
          if (s.kind() == Kind.LOCAL_READ) {
            return localRead(s.payload(), s.done());
          }
          return rejectNotLeader(s.done());
        })
        .onMessage(Propose.class, p -> rejectNotLeader(Completion.to(p.replyTo())))
        .onMessage(Read.class, r -> rejectNotLeader(Completion.to(r.replyTo())))
        .onMessage(ChangeMembership.class, c -> rejectNotLeader(Completion.to(c.replyTo())))
        .onMessage(TransferLeadership.class, t -> rejectNotLeader(Completion.to(t.replyTo())))
        .build();
  }

  private Behavior<Command> leader() {
    return common()
        .onMessage(Submit.class, s -> {
          if (s.deadlineNanos() != 0 && s.deadlineNanos() - clock.getAsLong() <= 0) {
            s.done().complete(new Result(ErrorCode.TIMEOUT, -1, null, "the request's deadline passed before "
                + settings.group() + " on " + settings.id() + " got to it", null), outbox);
            return flushed(Behaviors.same());
          }
          return switch (s.kind()) {
            case PROPOSE -> propose(s.payload(), s.done());
            case READ -> read(s.payload(), s.done());
            case LOCAL_READ -> localRead(s.payload(), s.done());
            case TRANSFER -> transfer(new String(s.payload(), java.nio.charset.StandardCharsets.UTF_8), s.done());
          };
        })
        .onMessage(Propose.class, p -> propose(p.command(), Completion.to(p.replyTo())))
        .onMessage(Read.class, r -> read(r.query(), Completion.to(r.replyTo())))
        .onMessage(ChangeMembership.class, c -> {
          try {
            long index = core.proposeConfChange(c.change());
            proposals.put(index, new Pending(core.term(), Completion.to(c.replyTo())));
          } catch (DistKvException e) {
            c.replyTo().tell(Result.error(e, core.leader()));
          }
          return afterStep();
        })
        .onMessage(TransferLeadership.class, t -> transfer(t.to(), Completion.to(t.replyTo())))
        .build();
  }

  /**
   * Appends the command to the log; the Ready that replicates it is taken by {@link #batch}, so
   * every proposal (and read) already in the mailbox goes into the same Ready: one log write and
   * one AppendEntries per follower for all of them.
   */
  private Behavior<Command> propose(byte[] command, Completion done) {
    try {
      Trace.stamp(done.trace(), Trace.PROPOSE);
      if (toApply.full() && core.role() == Role.LEADER) {
        throw new io.distkv.common.error.BusyException(settings.group() + ": " + toApply.bytes()
            + " bytes of committed entries wait to be applied (limit " + settings.options().maxInflightBytes() + ")");
      }
      long index = core.propose(command);
      proposals.put(index, new Pending(core.term(), done));
    } catch (DistKvException e) {
      done.complete(Result.error(e, core.leader()), outbox);
      return flushed(Behaviors.same());
    }
    return batch();
  }

  private Behavior<Command> read(byte[] query, Completion done) {
    // A leader frozen past its lease (GC, SIGSTOP) may find this read in its mailbox ahead of
    // the timer's late ticks: bring the core's clock up to date before it judges the lease.
    catchUp();
    if (core.role() != Role.LEADER) {
      rejectNotLeader(done);
      return afterStep();
    }
    long id = nextReadId++;
    Trace.stamp(done.trace(), Trace.PROPOSE);
    reads.put(id, new PendingRead(query, done));
    try {
      core.readIndex(id);
    } catch (DistKvException e) {
      reads.remove(id);
      done.complete(Result.error(e, core.leader()), outbox);
      return afterStep();
    }
    return batch();
  }

  private Behavior<Command> localRead(byte[] query, Completion done) {
    if (diskWork == DiskWork.RESTORE || deferredInstall != null) {
      heldLocalReads.add(new PendingRead(query, done));
      return Behaviors.same();
    }
    done.complete(query(applied, query), outbox);
    return flushed(Behaviors.same());
  }

  /**
   * Runs {@code query} against the state machine: a query that fails (a bad query, a store that
   * cannot read or write a checkpoint) answers its error, and the replica goes on.
   */
  private Result query(long index, byte[] query) {
    try {
      return Result.ok(index, stateMachine.query(query));
    } catch (RuntimeException e) {
      return failedQuery(e);
    }
  }

  private Result failedQuery(Throwable e) {
    if (e instanceof DistKvException d) {
      return Result.error(d, null);
    }
    context.getLog().error("{} on {}: a query failed", settings.group(), settings.id(), e);
    return new Result(ErrorCode.INTERNAL, -1, null, settings.group() + " on " + settings.id() + ": the query failed: "
        + e, null);
  }

  private Behavior<Command> transfer(String to, Completion done) {
    try {
      core.transferLeadership(to);
      done.complete(Result.ok(core.lastIndex(), null), outbox);
    } catch (DistKvException e) {
      done.complete(Result.error(e, core.leader()), outbox);
    }
    return afterStep();
  }

  /** Queues one {@link Flush} behind what the mailbox holds (at most one at a time). */
  private Behavior<Command> batch() {
    if (!flushQueued) {
      flushQueued = true;
      context.getSelf().tell(new Flush());
    }
    return flushed(Behaviors.same());
  }

  /** Sends the replies gathered while handling this message, then becomes {@code next}. */
  private Behavior<Command> flushed(Behavior<Command> next) {
    outbox.flush();
    return next;
  }

  private org.apache.pekko.actor.typed.javadsl.BehaviorBuilder<Command> common() {
    return Behaviors.receive(Command.class)
        .onMessage(Retire.class, this::retire)
        .onMessage(Inbound.class, m -> {
          lastHeard.put(m.message().from(), ticksDone);
          return inbound(m.message());
        })
        .onMessage(TransferEnded.class, t -> {
          snapshots.ended(t.ended());
          if (!t.ended().completed()) {
            core.snapshotFailed(t.ended().peer());
          }
          return afterStep();
        })
        .onMessage(SnapshotArrived.class, a -> {
          SnapshotReceiver.Received r = a.received();
          core.step(new RaftMessage.InstallSnapshot(r.from(), settings.id(), r.term(), r.meta()));
          return afterStep();
        })
        .onMessage(Tick.class, t -> {
          catchUp();
          if (shrinkAsked) {
            maybeCompact(); // waiting for the state machine's flush; no apply may come to retry
          }
          return afterStep();
        })
        .onMessage(ShrinkLog.class, s -> {
          shrinkAsked = true;
          maybeCompact();
          return Behaviors.same();
        })
        .onMessage(Flush.class, f -> {
          flushQueued = false;
          return afterStep();
        })
        .onMessage(DiskWorkDone.class, this::diskWorkDone)
        .onMessage(ApplyRoom.class, a -> {
          if (applyWaiting) {
            applyWaiting = false;
            timers.cancel(APPLY_TIMER);
          }
          drainApplies();
          return afterStep();
        })
        .onMessage(LogPersisted.class, this::onPersisted)
        .onMessage(LocalRead.class, r -> localRead(r.query(), Completion.to(r.replyTo())))
        .onMessage(GetStatus.class, g -> {
          g.replyTo().tell(new Status(settings.group(), settings.id(), core.role(), core.term(), core.leader(),
              core.commitIndex(), applied, core.lastIndex(), core.configuration(), core.configurationCommitted(),
              core.snapshotIndex(), stateMachine.liveKeys(), core.leaderChanges(), proposals.size()));
          return Behaviors.same();
        });
  }

  /** A message from a peer: Raft's go to the core, snapshot transfers' to the sender or receiver. */
  private Behavior<Command> inbound(RaftMessage m) {
    if (m instanceof RaftMessage.SnapshotChunk c) {
      snapshots.chunk(c);
      return Behaviors.same();
    } else if (m instanceof RaftMessage.SnapshotAck a) {
      snapshots.acked(a);
      return Behaviors.same();
    } else if (m instanceof RaftMessage.SnapshotOffer o) {
      if (o.term() < core.term()) {
        return Behaviors.same(); // a deposed leader's
      }
      if (o.meta().index() <= core.commitIndex()) {
        // The log already reaches past it: no files needed; the core tells the leader where we are.
        transport.send(settings.group(), new RaftMessage.SnapshotAck(settings.id(), o.from(), o.term(), o.meta().index(),
            RaftMessage.SnapshotAck.NOT_WANTED));
        core.step(new RaftMessage.InstallSnapshot(o.from(), settings.id(), o.term(), o.meta()));
        return afterStep();
      }
      snapshots.offered(o);
      return Behaviors.same();
    }
    if (toApply.holds(m, this::tailBytes)) {
      return Behaviors.same(); // stepped once the apply backlog drains (ApplyBacklog)
    }
    core.step(m);
    return afterStep();
  }

  /** Entries of this term taken after the committed ones ({@link ApplyBacklog}): they commit with this replica's acks. */
  private long tailBytes() {
    return core.termBytesAfter(taken, toApply.limit());
  }

  /**
   * The state machine's disk work ended: its continuation runs, then what waited for it — a
   * retirement, else an install adopted meanwhile (which holds local reads on), else the held
   * local reads — and applying, and log compaction, resume.
   */
  private Behavior<Command> diskWorkDone(DiskWorkDone d) {
    diskWork = DiskWork.NONE;
    d.then().run();
    if (retireWhenIdle != null) {
      return retire(retireWhenIdle);
    }
    if (deferredInstall != null) {
      Runnable install = deferredInstall;
      deferredInstall = null;
      install.run();
    } else {
      for (PendingRead pr : heldLocalReads) {
        pr.done().complete(query(applied, pr.query()), outbox);
      }
      heldLocalReads.clear();
    }
    drainApplies();
    maybeCompact();
    return afterStep();
  }

  private Behavior<Command> retire(Retire r) {
    if (diskWork != DiskWork.NONE) {
      retireWhenIdle = r; // its node closes the state machine once retired: not under running disk work
      return Behaviors.same();
    }
    timers.cancelAll();
    snapshots.close();
    logMemory.close();
    for (Pending p : proposals.values()) {
      p.done().complete(new Result(ErrorCode.NOT_LEADER, -1, null, "replica " + settings.id() + " left " + settings.group(),
          null), outbox);
    }
    proposals.clear();
    for (PendingRead pr : reads.values()) {
      pr.done().complete(new Result(ErrorCode.NOT_LEADER, -1, null, "replica " + settings.id() + " left "
          + settings.group(), null), outbox);
    }
    reads.clear();
    readyReads.clear();
    for (PendingRead pr : heldLocalReads) {
      pr.done().complete(new Result(ErrorCode.NOT_LEADER, -1, null, "replica " + settings.id() + " left "
          + settings.group(), null), outbox);
    }
    heldLocalReads.clear();
    outbox.flush();
    r.replyTo().tell(new Retired(settings.group()));
    return dormant(context, timers, settings.group(), transport, logWriter, clock);
  }

  private static Behavior<Command> dormant(ActorContext<Command> context, TimerScheduler<Command> timers, String group,
      Transport transport, LogSink logWriter, LongSupplier clock) {
    return Behaviors.receive(Command.class)
        .onMessage(Revive.class, v -> new RaftReplica(context, timers, v.settings(), null, v.stateMachine(), transport,
            logWriter, clock).behaviourForRole())
        .onMessage(Submit.class, m -> dormantReply(m.done(), group))
        .onMessage(Propose.class, m -> dormantReply(Completion.to(m.replyTo()), group))
        .onMessage(Read.class, m -> dormantReply(Completion.to(m.replyTo()), group))
        .onMessage(LocalRead.class, m -> dormantReply(Completion.to(m.replyTo()), group))
        .onMessage(ChangeMembership.class, m -> dormantReply(Completion.to(m.replyTo()), group))
        .onMessage(TransferLeadership.class, m -> dormantReply(Completion.to(m.replyTo()), group))
        .onMessage(Retire.class, m -> {
          m.replyTo().tell(new Retired(group));
          return Behaviors.same();
        })
        .onAnyMessage(m -> Behaviors.same()) // Raft traffic, ticks, late log acks, status requests
        .build();
  }

  private static Behavior<Command> dormantReply(Completion done, String group) {
    Outbox out = new Outbox();
    done.complete(new Result(ErrorCode.NOT_LEADER, -1, null, "no replica of " + group + " on this node", null), out);
    out.flush();
    return Behaviors.same();
  }

  private Behavior<Command> rejectNotLeader(Completion done) {
    if (noQuorum()) {
      done.complete(new Result(ErrorCode.NO_QUORUM, -1, null,
          "replica " + settings.id() + " of " + settings.group() + " has had no leader for "
              + leaderlessTicks * settings.tickInterval().toMillis() + " ms: no quorum reachable from here", null), outbox);
    } else {
      done.complete(new Result(ErrorCode.NOT_LEADER, -1, null,
          "replica " + settings.id() + " of " + settings.group() + " is " + core.role(), core.leader()), outbox);
    }
    return flushed(Behaviors.same());
  }

  /**
   * Ticks the core once per tick interval elapsed on {@link #clock} since the last catch-up (the
   * timer only wakes the replica; a process frozen for seconds gets every tick it missed at once,
   * at most enough to expire every timeout). Leases and elections are thus judged in real time
   * even when the timer's messages come late.
   */
  private void catchUp() {
    long due = (clock.getAsLong() - clockStart) / tickNanos;
    long behind = Math.min(due - ticksDone, 2L * settings.options().electionTicks() + 2);
    for (long i = 0; i < behind; i++) {
      core.tick();
      leaderlessTicks = core.leader() == null ? leaderlessTicks + 1 : 0;
    }
    ticksDone = Math.max(ticksDone, due);
  }

  /**
   * No quorum is reachable from here: no leader for more than two election timeouts, and
   * messages from fewer than a majority of the voters (this replica counting as one) within the
   * last two election timeouts. A slow election on the majority side (pre-votes refused while the
   * others still remember the old leader) hears its peers, so it answers NOT_LEADER, which
   * clients retry, rather than the definite NO_QUORUM / READ_ONLY. Two timeouts, not one: peers
   * without a leader speak only when their own randomized timers fire, up to an election timeout
   * apart, and on a loaded machine a survivor of its leader's crash was seen answering NO_QUORUM
   * 1.3 s after the crash (election timeout 0.5 s) although its peer was up. A replica cut off
   * heard its last message when the cut began, so it still answers NO_QUORUM after the same two
   * leaderless election timeouts.
   */
  private boolean noQuorum() {
    long election = settings.options().electionTicks();
    if (leaderlessTicks <= 2L * election) {
      return false;
    }
    java.util.Set<String> voters = core.configuration().voters();
    int heard = voters.contains(settings.id()) ? 1 : 0;
    for (String v : voters) {
      Long at = lastHeard.get(v);
      if (!v.equals(settings.id()) && at != null && ticksDone - at <= 2L * election) {
        heard++;
      }
    }
    return heard < voters.size() / 2 + 1;
  }

  // ---------------------------------------------------------------- the Ready loop

  /**
   * Takes the core's Readys. Each one that must be made durable goes to the node's log writer; up
   * to {@link #MAX_IN_FLIGHT} may be in flight. Leader traffic goes out at once (a leader may send
   * appends while its own write runs, thesis §10.2.1: it counts itself toward a commit only once
   * the write is done). Answers (votes, acks) wait until the Ready, and every Ready before it, is
   * durable, and Readys are advanced strictly in the order they were taken.
   *
   * <p>Committed entries are applied as soon as they are taken, without waiting for the log
   * writes in flight, when nothing taken earlier still waits to be applied and every one of them
   * is in this replica's durable log ({@link #appliesNow}); docs/raft.md "Applying while the log
   * is written" argues why that is safe.
   */
  private Behavior<Command> afterStep() {
    for (RaftMessage m : toApply.release(this::tailBytes)) {
      core.step(m);
    }
    while (inFlight.size() < MAX_IN_FLIGHT && core.hasReady()) {
      Ready r = core.ready();
      // A commit index alone need not be durable (it is re-learned from the leader, and a restart
      // resumes from the state machine's applied index): no disk write, no wait. It is written with
      // the next term, vote or entry change.
      boolean write = r.mustPersist()
          && !(r.entries().isEmpty() && r.snapshot() == null && onlyCommitChanged(r.hardState()));
      if (!write && inFlight.isEmpty()) {
        handleDurable(r, r.messages(), false);
        continue;
      }
      boolean appliedNow = appliesNow(r);
      if (appliedNow) {
        apply(r);
      }
      List<RaftMessage> deferred = new ArrayList<>();
      for (RaftMessage m : r.messages()) {
        if (isLeaderTraffic(m)) {
          send(m);
        } else {
          deferred.add(m);
        }
      }
      if (write) {
        SnapshotMeta meta = r.snapshot();
        long token = nextToken++;
        if (r.hardState() != null) {
          queuedTermVote = r.hardState();
        }
        // The answers (acks, votes) leave from the log writer's thread the moment this write is
        // durable: every earlier write of this replica went to the same FIFO writer, so they are
        // durable too, and the replica's mailbox is not on the follower's ack path. (Raft does not
        // need answers of different Readys to leave in order: the network may reorder them anyway.)
        Runnable send = deferred.isEmpty() ? null : sendAll(deferred);
        logWriter.append(new NodeLogWriter.Append(
            new SegmentedLog.GroupWrite(settings.group(), r.hardState(), meta, r.entries()), token, persistedAdapter, send));
        inFlight.add(new InFlight(r, List.of(), token, false, appliedNow));
      } else {
        inFlight.add(new InFlight(r, deferred, -1, true, appliedNow)); // nothing to write, but earlier Readys are
      }
    }
    checkRoleChange();
    outbox.flush();
    return behaviourForRole();
  }

  /**
   * Whether {@code r}'s committed entries and reads may be served now, ahead of the log writes in
   * flight: no snapshot to install, nothing taken earlier still waiting to be applied (the state
   * machine applies in log order), and every committed entry at or below the highest index this
   * replica's own log has made durable ({@link RaftCore#stableIndex}, which a truncation lowers).
   * On a leader that always holds: it counts itself toward a commit only once its write is durable.
   */
  private boolean appliesNow(Ready r) {
    if (r.snapshot() != null) {
      return false;
    }
    for (InFlight f : inFlight) {
      if (!f.applied) {
        return false;
      }
    }
    List<Entry> committed = r.committed();
    return committed.isEmpty() || committed.get(committed.size() - 1).index() <= core.stableIndex();
  }

  /** Sends {@code m}; a core's InstallSnapshot becomes a transfer of files instead. */
  private void send(RaftMessage m) {
    if (m instanceof RaftMessage.InstallSnapshot s) {
      if (!snapshots.request(s, core)) {
        checkpointFor(s);
      }
    } else {
      transport.send(settings.group(), m);
    }
  }

  /**
   * Makes a checkpoint of the state machine as applied now for {@code request}'s follower, off
   * this thread; applies wait until it is made. It holds {@link #stateIndex} (the entries after
   * it, up to {@link #applied}, changed no state: the follower takes them from the log). None
   * while other disk work runs: the core asks again at its next heartbeat.
   */
  private void checkpointFor(RaftMessage.InstallSnapshot request) {
    if (diskWork != DiskWork.NONE) {
      return;
    }
    SnapshotMeta meta = core.snapshotMetaAt(stateIndex);
    offload(DiskWork.CHECKPOINT, snapshots.checkpointWork(meta, stateMachine), (made, failure) -> {
      snapshots.checkpointMade(made, failure);
      if (made != null && core.role() == Role.LEADER) {
        snapshots.request(request, core);
      }
    });
  }

  /**
   * Runs {@code work}, the state machine's disk work, on the {@link #DISK_DISPATCHER}, so that this
   * thread, which Artery's streams share, never waits on disk; {@code then} gets its result (or
   * failure) back on this thread. Until then applies wait, and during a restore queries too.
   */
  private <T> void offload(DiskWork kind, java.util.concurrent.Callable<T> work,
      java.util.function.BiConsumer<T, Throwable> then) {
    diskWork = kind;
    java.util.concurrent.Executor executor = context.getSystem().dispatchers()
        .lookup(org.apache.pekko.actor.typed.DispatcherSelector.fromConfig(DISK_DISPATCHER));
    java.util.concurrent.CompletableFuture<T> f = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return work.call();
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, executor);
    context.pipeToSelf(f, (result, failure) -> new DiskWorkDone(() -> then.accept(result,
        failure == null ? null : io.distkv.common.concurrent.Failures.cause(failure))));
  }

  /** Answers (votes, acks: never an InstallSnapshot) sent from the log writer's thread once durable. */
  private Runnable sendAll(List<RaftMessage> messages) {
    String group = settings.group();
    return () -> {
      for (RaftMessage m : messages) {
        transport.send(group, m);
      }
    };
  }

  private static boolean isLeaderTraffic(RaftMessage m) {
    return m instanceof RaftMessage.AppendEntries || m instanceof RaftMessage.Heartbeat
        || m instanceof RaftMessage.InstallSnapshot || m instanceof RaftMessage.TimeoutNow;
  }

  /** Term and vote as already handed to the log writer (which writes in order). */
  private boolean onlyCommitChanged(HardState hs) {
    return hs != null && queuedTermVote != null && hs.term() == queuedTermVote.term()
        && java.util.Objects.equals(hs.votedFor(), queuedTermVote.votedFor());
  }

  private Behavior<Command> onPersisted(LogPersisted p) {
    if (p.persisted().error() != null) {
      // Nothing may be acknowledged that is not durable: stop this replica (it restarts from disk).
      throw new IllegalStateException("raft log write failed for " + settings.group(), p.persisted().error());
    }
    for (InFlight f : inFlight) {
      if (f.token == p.persisted().token()) {
        f.durable = true; // (no match: a background write, the snapshot point, finished)
        break;
      }
    }
    while (!inFlight.isEmpty() && inFlight.peekFirst().durable) {
      InFlight f = inFlight.pollFirst();
      handleDurable(f.ready, f.deferred, f.applied);
    }
    return afterStep();
  }

  /** {@code r} and every Ready before it are durable: send its answers, apply (unless done), advance. */
  private void handleDurable(Ready r, List<RaftMessage> messages, boolean alreadyApplied) {
    for (RaftMessage m : messages) {
      send(m);
    }
    stampDurable(r);
    if (!alreadyApplied) {
      apply(r);
    }
    core.advance(r);
    maybeCompact();
  }

  /** Traced proposals among {@code r}'s entries: this (leader's) log now holds them durably. */
  private void stampDurable(Ready r) {
    if (r.entries().isEmpty() || proposals.isEmpty()) {
      return;
    }
    for (Entry e : r.entries()) {
      Pending p = proposals.get(e.index());
      if (p != null) {
        Trace.stamp(p.done().trace(), Trace.LOG_DURABLE);
      }
    }
  }

  /**
   * Installs {@code r}'s snapshot, then applies its committed entries (answering their proposals)
   * and serves the reads that become possible, as far as the state machine has room
   * ({@link #drainApplies}).
   */
  private void apply(Ready r) {
    if (r.snapshot() != null) {
      install(r.snapshot());
    }
    for (Entry e : r.committed()) {
      toApply.add(e);
      taken = e.index();
    }
    readyReads.addAll(r.readStates());
    drainApplies();
  }

  /**
   * Installs the received snapshot {@code meta} into the state machine, off this thread
   * ({@link #offload}); entries committed after it wait in {@link #toApply} until it is in place.
   * Entries still held lie before it (a snapshot is adopted only past the commit index): it has
   * them. Should other disk work still run (a checkpoint begun as leader), the install starts when
   * it ends. A failed install stops the replica, which restarts from disk and installs it again.
   */
  private void install(SnapshotMeta meta) {
    java.nio.file.Path staged = snapshots.dirs().completed(meta);
    if (staged == null) {
      throw new IllegalStateException(settings.group() + ": snapshot " + meta.index() + " was adopted but its files are gone");
    }
    toApply.clear();
    taken = meta.index();
    if (diskWork == DiskWork.NONE) {
      startInstall(meta, staged);
    } else {
      deferredInstall = () -> startInstall(meta, staged);
    }
  }

  private void startInstall(SnapshotMeta meta, java.nio.file.Path staged) {
    org.slf4j.Logger log = context.getLog();
    offload(DiskWork.RESTORE, () -> {
      stateMachine.restore(meta.index(), SnapshotDirs.files(staged));
      try {
        SnapshotDirs.deleteTree(staged);
      } catch (java.io.IOException e) {
        log.warn("{}: cannot delete {}: {}", settings.group(), staged, e.toString());
      }
      return null;
    }, (ignored, failure) -> {
      if (failure != null) {
        throw new IllegalStateException(settings.group() + ": installing snapshot " + meta.index() + " failed", failure);
      }
      applied = meta.index();
      stateIndex = applied;
      snapshots.installed();
      failProposalsUpTo(applied);
    });
  }

  /**
   * Applies the entries held in {@link #toApply}, in log order, while the state machine has room,
   * then serves the reads waiting for them. A state machine that would wait (an LSM store behind
   * a flush or a full level 0) is never called: the replica stops and asks again on its wake-up or
   * after {@link #APPLY_RETRY}, so this thread, which Artery's streams share, never waits on disk;
   * Raft goes on meanwhile (appends, votes, commits); only applying, and the answers and reads
   * behind it, wait.
   */
  private void drainApplies() {
    if (diskWork != DiskWork.NONE) {
      return; // resumed when the disk work ends
    }
    while (!applyWaiting && !toApply.isEmpty()) {
      StateMachine.Room room = stateMachine.applyRoom(applyWake);
      if (room == StateMachine.Room.FULL) {
        applyWaiting = true;
        timers.startSingleTimer(APPLY_TIMER, new ApplyRoom(), APPLY_RETRY);
      } else {
        applyEntry(toApply.poll());
      }
    }
    serveReads();
  }

  private void applyEntry(Entry e) {
    Pending p = proposals.remove(e.index());
    if (p != null) {
      Trace.stamp(p.done().trace(), Trace.COMMIT_KNOWN);
    }
    byte[] result = null;
    if (e.type() == Entry.Type.NORMAL) {
      result = stateMachine.apply(e.index(), e.data());
      stateIndex = e.index();
    }
    applied = e.index();
    if (p != null) {
      Trace.stamp(p.done().trace(), Trace.APPLIED);
      if (p.term() == e.term()) {
        p.done().complete(Result.ok(e.index(), result), outbox);
      } else {
        p.done().complete(new Result(ErrorCode.NOT_LEADER, -1, null, "proposal was overwritten by a new leader",
            core.leader()), outbox);
      }
    }
  }

  /**
   * Answers the confirmed reads whose index is applied. They wait while a snapshot is installed
   * (the state is being replaced), not while a checkpoint is made (the state does not change); a
   * query that does disk work waits until no other disk work runs, and the reads after it with it.
   */
  private void serveReads() {
    for (Iterator<ReadState> it = readyReads.iterator(); it.hasNext() && diskWork != DiskWork.RESTORE; ) {
      ReadState rs = it.next();
      if (rs.index() <= applied) {
        PendingRead pr = reads.get(rs.requestId());
        boolean disk = pr != null && stateMachine.queryDoesDiskWork(pr.query());
        if (disk && diskWork != DiskWork.NONE) {
          return; // resumed when the disk work ends
        }
        it.remove();
        reads.remove(rs.requestId());
        if (disk) {
          // (a backup's checkpoint) off this thread
          long index = rs.index();
          offload(DiskWork.CHECKPOINT, () -> stateMachine.query(pr.query()), (answer, failure) -> pr.done().complete(
              failure == null ? Result.ok(index, answer) : failedQuery(failure), outbox));
        } else if (pr != null) {
          Trace.stamp(pr.done().trace(), Trace.COMMIT_KNOWN);
          Result answer = query(rs.index(), pr.query());
          Trace.stamp(pr.done().trace(), Trace.APPLIED);
          pr.done().complete(answer, outbox);
        }
      }
    }
  }

  /**
   * Compacts the log up to what the state machine holds durably, once {@code snapshotEntries}
   * entries or {@code snapshotBytes} bytes are held after the last compaction point, or when the
   * node's log memory budget asks ({@link ShrinkLog}), but never past a checkpoint being sent (its
   * follower continues from the log after it). No snapshot is made here: one is made only when a
   * follower needs it ({@link SnapshotTransfers}).
   */
  private void maybeCompact() {
    if (diskWork == DiskWork.RESTORE) {
      return; // the state machine is being replaced; resumed when it is in place
    }
    long durable = Math.min(stateMachine.appliedIndex(), core.appliedIndex());
    long upTo = Math.min(durable, snapshots.holdIndex(core));
    long held = upTo - core.snapshotIndex();
    boolean tooLarge = core.logBytes() >= settings.snapshots().bytes();
    boolean due = core.appliedIndex() - core.snapshotIndex() >= settings.snapshots().entries() || tooLarge
        || shrinkAsked;
    if (held > 0 && (held >= settings.snapshots().entries() || tooLarge || shrinkAsked)) {
      SnapshotMeta meta = core.compact(upTo);
      logWriter.append(new NodeLogWriter.Append(new SegmentedLog.GroupWrite(settings.group(), null, meta, List.of()),
          nextToken++, persistedAdapter));
      snapshots.compacted(meta.index());
      shrinkAsked = false;
      logMemory.compacted(core.logBytes());
    } else {
      if (due && durable < core.appliedIndex() && persistRequestedAt <= core.snapshotIndex()) {
        // The log is due for compaction but the state machine holds less on disk than it applied
        // (an LSM flushes on its own only when its memtable is full): ask it to persist, once per
        // compaction.
        persistRequestedAt = core.appliedIndex();
        stateMachine.persistSoon();
      }
      logMemory.report(core.logBytes());
    }
  }

  private void checkRoleChange() {
    Role role = core.role();
    if (lastRole == Role.LEADER && role != Role.LEADER) {
      // Leadership lost: every pending proposal not yet committed, and every read, fails with the
      // best leader hint. Committed ones held for applying get their results when applied.
      snapshots.stopSending();
      String hint = core.leader();
      Map<Long, Pending> uncommitted = proposals.tailMap(taken, false);
      for (Pending p : uncommitted.values()) {
        p.done().complete(new Result(ErrorCode.NOT_LEADER, -1, null, "leadership lost before the proposal committed", hint),
            outbox);
      }
      uncommitted.clear();
      for (PendingRead pr : reads.values()) {
        pr.done().complete(new Result(ErrorCode.NOT_LEADER, -1, null, "leadership lost before the read was confirmed", hint),
            outbox);
      }
      reads.clear();
      readyReads.clear();
    }
    lastRole = role;
  }

  private void failProposalsUpTo(long index) {
    proposals.keySet().removeIf(i -> {
      if (i <= index) {
        proposals.get(i).done().complete(new Result(ErrorCode.NOT_LEADER, -1, null, "superseded by a snapshot",
            core.leader()), outbox);
        return true;
      }
      return false;
    });
  }
}
