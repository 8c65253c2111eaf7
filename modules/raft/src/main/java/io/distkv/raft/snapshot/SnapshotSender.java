package io.distkv.raft.snapshot;

import io.distkv.raft.Transport;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.SnapshotMeta;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.zip.CRC32C;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one snapshot to one follower, from the checkpoint directory on disk: it never holds
 * more than one chunk in memory. Runs on the blocking snapshot dispatcher (it reads files), one
 * actor per follower being sent a snapshot, a child of the leader's replica.
 *
 * <p>Protocol (docs/raft.md "Snapshot transfer"): an offer with the manifest; the follower answers
 * with the offset it already holds (0 for a new transfer, more when it resumes one it kept on
 * disk); then chunks of {@code chunkBytes}, each with its CRC32C, while at most {@code windowBytes}
 * are unacknowledged; the follower acknowledges cumulatively. An acknowledgement that does not
 * advance (a chunk lost or refused) sends from the acknowledged offset again, once per stall;
 * no progress for {@code retransmit} sends the offer or the window again; none for
 * {@code giveUp} ends the transfer unfinished. The follower acknowledges the total once every
 * file is on its disk and matches the manifest.
 */
public final class SnapshotSender {
  private static final Logger log = LoggerFactory.getLogger(SnapshotSender.class);

  public sealed interface Command {}

  /** The follower's acknowledgement, forwarded by the replica. */
  public record Acked(RaftMessage.SnapshotAck ack) implements Command {}

  private record Check() implements Command {}

  /** The rate limit lets the next chunk go. */
  private record Refill() implements Command {}

  /** Told to the replica when the transfer ends: {@code completed} when the follower holds it all. */
  public record Ended(String peer, long index, boolean completed) {}

  /**
   * Wiring of one transfer: the checkpoint of {@code meta} in {@code dir} goes to {@code peer},
   * at most {@code bytesPerSecond} (0 = unlimited).
   */
  public record Params(String group, String self, String peer, long term, Path dir, SnapshotMeta meta,
      int chunkBytes, long windowBytes, Duration retransmit, Duration giveUp, long bytesPerSecond) {}

  /**
   * The transfer's actor. It first lists the checkpoint's files with their checksums (reading
   * them once) unless an earlier transfer already wrote that manifest beside them.
   */
  public static Behavior<Command> create(Params params, Transport transport, ActorRef<Ended> parent) {
    return Behaviors.setup(ctx -> {
      SnapshotManifest manifest = SnapshotManifest.readFrom(params.dir());
      if (manifest == null || !manifest.meta().equals(params.meta())) {
        try {
          manifest = SnapshotManifest.describe(params.meta(), SnapshotDirs.files(params.dir()));
          manifest.writeTo(params.dir());
        } catch (IOException e) {
          log.warn("{}: cannot list snapshot {} in {}: {}", params.group(), params.meta().index(), params.dir(),
              e.toString());
          parent.tell(new Ended(params.peer(), params.meta().index(), false));
          return Behaviors.stopped();
        }
      }
      SnapshotManifest m = manifest;
      return Behaviors.withTimers(timers -> new SnapshotSender(timers, params, m, transport, parent).start());
    });
  }

  private final Params p;
  private final SnapshotManifest manifest;
  private final Transport transport;
  private final ActorRef<Ended> parent;
  private final long total;
  private final long[] fileStart;
  private final FileChannel[] channels;
  private final SnapshotMeta meta;
  private final TimerScheduler<Command> timers;
  /** Rate limit: bytes that may still be sent now (a token bucket holding at most one window). */
  private double tokens;
  private long tokensAtNanos = System.nanoTime();
  /** The follower holds everything below this; -1 until it answered the offer. */
  private long acked = -1;
  /** Everything below this was sent at least once. */
  private long sent;
  /** {@code acked} when we last went back to it (once per stall). */
  private long wentBackAt = -1;
  private long lastProgressNanos;
  private long chunksSent;

  private SnapshotSender(TimerScheduler<Command> timers, Params p,
      SnapshotManifest manifest, Transport transport, ActorRef<Ended> parent) {
    this.p = p;
    this.manifest = manifest;
    this.transport = transport;
    this.parent = parent;
    this.meta = manifest.meta();
    this.total = manifest.totalBytes();
    int n = manifest.files().size();
    this.fileStart = new long[n + 1];
    for (int i = 0; i < n; i++) {
      fileStart[i + 1] = fileStart[i] + manifest.files().get(i).size();
    }
    this.channels = new FileChannel[n];
    this.lastProgressNanos = System.nanoTime();
    this.timers = timers;
    this.tokens = Math.min(p.windowBytes(), p.chunkBytes());
    timers.startTimerWithFixedDelay(new Check(), p.retransmit());
  }

  private Behavior<Command> start() {
    offer();
    return Behaviors.receive(Command.class)
        .onMessage(Acked.class, a -> onAck(a.ack()))
        .onMessage(Check.class, c -> onCheck())
        .onMessage(Refill.class, r -> fill() ? Behaviors.same() : end(false))
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
          closeFiles();
          return Behaviors.same();
        })
        .build();
  }

  private void offer() {
    transport.send(p.group(), new RaftMessage.SnapshotOffer(p.self(), p.peer(), p.term(), meta, manifest.encode()));
  }

  private Behavior<Command> onAck(RaftMessage.SnapshotAck a) {
    if (a.snapshotIndex() != meta.index()) {
      return Behaviors.same();
    }
    if (a.nextOffset() == RaftMessage.SnapshotAck.OFFER_AGAIN) {
      if (acked >= 0) {
        acked = -1; // it lost the offer (restarted): offer again, it answers with what it kept
        offer();
      }
      return Behaviors.same();
    }
    if (a.nextOffset() == RaftMessage.SnapshotAck.NOT_WANTED || a.nextOffset() >= total) {
      return end(true); // it holds everything (or needs nothing: its Raft log already covers the snapshot)
    }
    long next = Math.max(0, a.nextOffset());
    if (acked < 0 || next > acked) {
      if (acked < 0) {
        sent = next; // the follower resumes from what it kept
      }
      acked = next;
      lastProgressNanos = System.nanoTime();
    } else if (next < acked || (next == acked && sent > acked && wentBackAt != acked)) {
      // It holds less than it said (it restarted and lost a tail) or refused a chunk: send from there.
      acked = next;
      sent = next;
      wentBackAt = next;
    }
    return fill() ? Behaviors.same() : end(false);
  }

  /** Sends chunks until the window is full; false if the files cannot be read. */
  private boolean fill() {
    sent = Math.max(sent, acked);
    try {
      while (sent < total && sent - acked < p.windowBytes()) {
        int len = (int) Math.min(p.chunkBytes(), total - sent);
        if (!maysend(len)) {
          break;
        }
        byte[] data = read(sent, len);
        CRC32C crc = new CRC32C();
        crc.update(data);
        transport.send(p.group(), new RaftMessage.SnapshotChunk(p.self(), p.peer(), p.term(), meta.index(), sent, data,
            (int) crc.getValue()));
        sent += len;
        chunksSent++;
      }
      return true;
    } catch (IOException e) {
      log.warn("{}: snapshot {} to {}: cannot read {}: {}", p.group(), meta.index(), p.peer(), p.dir(), e.toString());
      return false;
    }
  }

  /** Whether the rate limit lets {@code len} bytes go now; if not, a {@link Refill} is due when it will. */
  private boolean maysend(int len) {
    if (p.bytesPerSecond() <= 0) {
      return true;
    }
    long now = System.nanoTime();
    tokens = Math.min(Math.max(p.windowBytes(), len), tokens + (now - tokensAtNanos) * (p.bytesPerSecond() / 1e9));
    tokensAtNanos = now;
    if (tokens >= len) {
      tokens -= len;
      return true;
    }
    long waitNanos = (long) ((len - tokens) / p.bytesPerSecond() * 1e9) + 1;
    timers.startSingleTimer("refill", new Refill(), Duration.ofNanos(waitNanos));
    return false;
  }

  /** {@code len} bytes of the stream from {@code offset}, possibly across file boundaries. */
  private byte[] read(long offset, int len) throws IOException {
    byte[] out = new byte[len];
    int done = 0;
    while (done < len) {
      long pos = offset + done;
      int file = fileOf(pos);
      FileChannel ch = channels[file];
      if (ch == null) {
        ch = FileChannel.open(SnapshotDirs.files(p.dir()).resolve(manifest.files().get(file).name()),
            StandardOpenOption.READ);
        channels[file] = ch;
      }
      int n = (int) Math.min(len - done, fileStart[file + 1] - pos);
      ByteBuffer buf = ByteBuffer.wrap(out, done, n);
      long at = pos - fileStart[file];
      while (buf.hasRemaining()) {
        int r = ch.read(buf, at);
        if (r < 0) {
          throw new IOException(manifest.files().get(file).name() + " is shorter than its manifest says");
        }
        at += r;
      }
      done += n;
    }
    return out;
  }

  private int fileOf(long pos) {
    int lo = 0;
    int hi = fileStart.length - 2;
    while (lo < hi) { // last file whose start ≤ pos and that is not empty past pos
      int mid = (lo + hi + 1) >>> 1;
      if (fileStart[mid] <= pos) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    while (fileStart[lo + 1] <= pos) {
      lo++; // skip empty files
    }
    return lo;
  }

  private Behavior<Command> onCheck() {
    long idle = System.nanoTime() - lastProgressNanos;
    if (idle >= p.giveUp().toNanos()) {
      log.info("{}: snapshot {} to {}: no progress for {} ms at {} of {} bytes, giving up", p.group(), meta.index(),
          p.peer(), idle / 1_000_000, Math.max(acked, 0), total);
      return end(false);
    }
    if (idle >= p.retransmit().toNanos()) {
      // Nothing acknowledged for a while: the peer may be down or have lost chunks. Ask it what it
      // holds (the offer again: a few bytes) instead of resending the window; its answer resumes
      // the data from there. Chunks sent to a peer that is down wait in the transport's queue, so
      // a window resent at every retransmit would pile up in the heap (seen: a 64 MiB node sending
      // to a peer killed mid-transfer ran out of memory within seconds).
      if (acked >= 0) {
        sent = acked; // everything after the acknowledged offset may be lost
      }
      offer();
    }
    return Behaviors.same();
  }

  private Behavior<Command> end(boolean completed) {
    if (completed) {
      log.debug("{}: snapshot {} ({} bytes, {} chunks) sent to {}", p.group(), meta.index(), total, chunksSent, p.peer());
    }
    parent.tell(new Ended(p.peer(), meta.index(), completed));
    return Behaviors.stopped();
  }

  private void closeFiles() {
    for (FileChannel ch : channels) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // read-only
        }
      }
    }
  }
}
