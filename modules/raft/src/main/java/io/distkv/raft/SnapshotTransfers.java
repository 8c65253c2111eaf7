package io.distkv.raft;

import io.distkv.raft.core.RaftCore;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.SnapshotMeta;
import io.distkv.raft.snapshot.SnapshotDirs;
import io.distkv.raft.snapshot.SnapshotManifest;
import io.distkv.raft.snapshot.SnapshotReceiver;
import io.distkv.raft.snapshot.SnapshotSender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica's snapshot transfers, both ways (docs/raft.md "Snapshot transfer"). As leader it
 * serves a core's {@link RaftMessage.InstallSnapshot} by streaming a checkpoint of the state
 * machine from disk: it reuses the newest checkpoint the log still continues from, or the
 * replica makes one at its applied index ({@link #checkpointWork}, on this dispatcher too), and
 * hands it to a {@link SnapshotSender} per follower. As follower it hands offers and chunks to its
 * {@link SnapshotReceiver}. Senders and receiver run on the {@value #DISPATCHER} dispatcher, so
 * their disk I/O never holds up a thread that Artery, the cluster or a replica needs. Used only
 * from the replica's actor.
 */
final class SnapshotTransfers {
  private static final Logger log = LoggerFactory.getLogger(SnapshotTransfers.class);
  /** The dispatcher transfers run on (raft module's reference.conf). */
  static final String DISPATCHER = "distkv-snapshot-dispatcher";
  /** Bytes a sender may have unacknowledged. */
  static final long WINDOW_BYTES = 4L << 20;
  static final Duration RETRANSMIT = Duration.ofSeconds(1);
  static final Duration GIVE_UP = Duration.ofSeconds(20);

  private record Active(ActorRef<SnapshotSender.Command> sender, long index) {}

  /**
   * How long the log stays held, and no new snapshot is sent, for a follower that received a
   * snapshot and has not yet been matched at its index: long enough to install it and answer,
   * short enough that a follower that died meanwhile does not hold the log for long.
   */
  static final Duration CATCH_UP_HOLD = Duration.ofSeconds(30);

  /** A follower that received a snapshot at {@code index}: the log after it is kept until its match reaches it. */
  private record CatchingUp(long index, long untilNanos) {}

  private final ActorContext<RaftReplica.Command> context;
  private final RaftReplica.Settings settings;
  private final SnapshotDirs dirs;
  private final Transport transport;
  private final ActorRef<SnapshotSender.Ended> endedAdapter;
  private final ActorRef<SnapshotReceiver.Received> receivedAdapter;
  private final Map<String, Active> senders = new HashMap<>();
  private final Map<String, CatchingUp> catchingUp = new HashMap<>();
  /** Checkpoints made to send, newest first. */
  private final List<SnapshotDirs.Outgoing> outgoing = new ArrayList<>();
  private ActorRef<SnapshotReceiver.Command> receiver;
  private long nextName = 1;

  SnapshotTransfers(ActorContext<RaftReplica.Command> context, RaftReplica.Settings settings, Transport transport,
      ActorRef<SnapshotSender.Ended> endedAdapter, ActorRef<SnapshotReceiver.Received> receivedAdapter,
      long snapshotIndex) {
    this.context = context;
    this.settings = settings;
    this.dirs = new SnapshotDirs(settings.snapshotDir());
    this.transport = transport;
    this.endedAdapter = endedAdapter;
    this.receivedAdapter = receivedAdapter;
    try {
      for (SnapshotDirs.Outgoing o : dirs.outgoing()) {
        if (o.manifest().meta().index() >= snapshotIndex) {
          outgoing.add(o); // still valid: a transfer interrupted by a restart resumes with it
        } else {
          SnapshotDirs.deleteTree(o.dir());
        }
      }
    } catch (IOException e) {
      log.warn("{}: cannot list snapshots in {}: {}", settings.group(), dirs.root(), e.toString());
    }
  }

  SnapshotDirs dirs() {
    return dirs;
  }

  /**
   * The core wants {@code m.to()} brought a snapshot at {@code m.meta().index()} or later: sends a
   * checkpoint it has, or returns false if none will do and the replica must make one
   * ({@link #checkpointWork}) and ask again.
   */
  boolean request(RaftMessage.InstallSnapshot m, RaftCore core) {
    if (senders.containsKey(m.to())) {
      return true; // one transfer per follower at a time
    }
    if (!core.awaitsSnapshot(m.to())) {
      // A stale request: the follower installed a snapshot and was matched since the core asked
      // (this sent 36 of 48 partitions moved by add-node a second snapshot right after the first).
      return true;
    }
    CatchingUp sent = catchingUp.get(m.to());
    if (sent != null && System.nanoTime() - sent.untilNanos() < 0 && core.matchIndex(m.to()) < sent.index()) {
      // Its files arrived; the core repeats its request every heartbeat until the follower has
      // installed them and answered. Sending another snapshot meanwhile moved every partition twice.
      return true;
    }
    SnapshotDirs.Outgoing source = null;
    for (SnapshotDirs.Outgoing o : outgoing) {
      if (o.manifest().meta().index() >= m.meta().index() && o.manifest().meta().index() >= core.snapshotIndex()) {
        source = o;
        break;
      }
    }
    if (source == null) {
      return false;
    }
    SnapshotMeta meta = source.manifest().meta();
    SnapshotSender.Params params = new SnapshotSender.Params(settings.group(), settings.id(), m.to(), m.term(),
        source.dir(), meta, settings.options().snapshotChunkBytes(), WINDOW_BYTES, RETRANSMIT, GIVE_UP,
        settings.snapshots().bytesPerSecond());
    ActorRef<SnapshotSender.Command> sender = context.spawn(SnapshotSender.create(params, transport, endedAdapter),
        "snapshot-to-" + m.to() + "-" + nextName++, DispatcherSelector.fromConfig(DISPATCHER));
    senders.put(m.to(), new Active(sender, meta.index()));
    log.info("{}: sending snapshot {} to {}", settings.group(), meta.index(), m.to());
    return true;
  }

  /**
   * The disk work of a checkpoint of {@code stateMachine} at {@code meta} (its applied index,
   * where the replica holds its applies until the work ends), for a thread other than the
   * replica's: the state machine's checkpoint (for an LSM, a memtable flush and hard links) and
   * its move into place. Its result goes to {@link #checkpointMade}.
   */
  java.util.concurrent.Callable<SnapshotDirs.Outgoing> checkpointWork(SnapshotMeta meta, StateMachine stateMachine) {
    Path tmp = dirs.root().resolve("out").resolve("tmp-" + System.nanoTime());
    return () -> {
      try {
        Files.createDirectories(tmp.getParent());
        long index = stateMachine.checkpoint(SnapshotDirs.files(tmp));
        if (index != meta.index()) {
          throw new IllegalStateException("the checkpoint holds index " + index + ", not " + meta.index());
        }
        Path dir = dirs.outgoing(meta);
        SnapshotDirs.deleteTree(dir);
        Files.move(tmp, dir);
        // (the manifest, which needs every file read, is written by the sender on its own thread)
        return new SnapshotDirs.Outgoing(dir, new SnapshotManifest(meta, List.of()));
      } catch (RuntimeException | IOException e) {
        try {
          SnapshotDirs.deleteTree(tmp);
        } catch (IOException ignored) {
          // left for the next start's clean-up
        }
        throw e;
      }
    };
  }

  /** A checkpoint {@link #checkpointWork} made (null: it failed, which {@code failure} says; the core asks again). */
  void checkpointMade(SnapshotDirs.Outgoing o, Throwable failure) {
    if (o == null) {
      log.warn("{}: cannot checkpoint the state machine for a snapshot: {}", settings.group(), String.valueOf(failure));
      return;
    }
    dropUnused(Long.MAX_VALUE); // older ones are superseded
    outgoing.add(0, o);
  }

  /** Deletes outgoing checkpoints below {@code index} that no transfer uses. */
  private void dropUnused(long index) {
    outgoing.removeIf(o -> {
      long i = o.manifest().meta().index();
      if (i >= index || senders.values().stream().anyMatch(a -> a.index() == i)) {
        return false;
      }
      try {
        SnapshotDirs.deleteTree(o.dir());
      } catch (IOException e) {
        log.warn("{}: cannot delete snapshot {}: {}", settings.group(), o.dir(), e.toString());
      }
      return true;
    });
  }

  /** The log was compacted to {@code snapshotIndex}: checkpoints below it can no longer be used. */
  void compacted(long snapshotIndex) {
    dropUnused(snapshotIndex);
  }

  /**
   * The log must not be compacted past this while a transfer sends a checkpoint taken there, nor
   * while a follower that received one has not been matched at its index yet (for at most
   * {@link #CATCH_UP_HOLD}): compacting then, as the node's log budget may ask at any time, made
   * the follower need a second snapshot right after the first.
   */
  long holdIndex(RaftCore core) {
    long hold = Long.MAX_VALUE;
    for (Active a : senders.values()) {
      hold = Math.min(hold, a.index());
    }
    long now = System.nanoTime();
    catchingUp.entrySet().removeIf(e -> core.matchIndex(e.getKey()) >= e.getValue().index()
        || now - e.getValue().untilNanos() > 0);
    for (CatchingUp c : catchingUp.values()) {
      hold = Math.min(hold, c.index());
    }
    return hold;
  }

  void acked(RaftMessage.SnapshotAck a) {
    Active s = senders.get(a.from());
    if (s != null) {
      s.sender().tell(new SnapshotSender.Acked(a));
    }
  }

  void ended(SnapshotSender.Ended e) {
    Active s = senders.get(e.peer());
    if (s != null && s.index() == e.index()) {
      senders.remove(e.peer());
      if (e.completed()) {
        catchingUp.put(e.peer(), new CatchingUp(e.index(), System.nanoTime() + CATCH_UP_HOLD.toNanos()));
      }
    }
  }

  /** Leadership lost (or the replica leaves): stop sending. */
  void stopSending() {
    for (Active a : senders.values()) {
      context.stop(a.sender());
    }
    senders.clear();
    catchingUp.clear();
  }

  void offered(RaftMessage.SnapshotOffer o) {
    receiver().tell(new SnapshotReceiver.Offered(o));
  }

  void chunk(RaftMessage.SnapshotChunk c) {
    if (receiver != null) {
      receiver.tell(new SnapshotReceiver.Chunk(c));
    }
  }

  /** The state machine took the received files over. */
  void installed() {
    if (receiver != null) {
      receiver.tell(new SnapshotReceiver.Forget());
    }
  }

  private ActorRef<SnapshotReceiver.Command> receiver() {
    if (receiver == null) {
      receiver = context.spawn(SnapshotReceiver.create(settings.group(), settings.id(), dirs, transport, receivedAdapter),
          "snapshot-in", DispatcherSelector.fromConfig(DISPATCHER));
    }
    return receiver;
  }

  /** The replica leaves its group: stop everything and delete its snapshots. */
  void close() {
    stopSending();
    if (receiver != null) {
      context.stop(receiver);
      receiver = null;
    }
    outgoing.clear();
  }
}
