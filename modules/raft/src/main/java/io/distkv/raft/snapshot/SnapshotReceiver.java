package io.distkv.raft.snapshot;

import io.distkv.common.error.InvalidArgumentException;
import io.distkv.raft.Transport;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.SnapshotMeta;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives a snapshot's files into a staging directory of the follower's disk, chunk by chunk,
 * and checks each chunk's CRC32C on arrival and every file's against the manifest at the end.
 * Runs on the blocking snapshot dispatcher, one per replica, a child of the replica. The staging
 * directory survives a restart of this node: an offer of the same snapshot resumes after the
 * bytes already on disk. Once all files are verified and synced the directory is marked
 * complete ({@value #COMPLETE}) and the replica is told; the state machine then takes the files
 * over. See {@link SnapshotSender} for the protocol.
 */
public final class SnapshotReceiver {
  private static final Logger log = LoggerFactory.getLogger(SnapshotReceiver.class);
  static final String COMPLETE = "COMPLETE";

  public sealed interface Command {}

  public record Offered(RaftMessage.SnapshotOffer offer) implements Command {}

  public record Chunk(RaftMessage.SnapshotChunk chunk) implements Command {}

  /** The state machine took the files over (or the replica left): forget the transfer. */
  public record Forget() implements Command {}

  /** Told to the replica: the snapshot's files are in {@code dir}, verified; {@code from}/{@code term} offered it. */
  public record Received(SnapshotMeta meta, String from, long term, Path dir) {}

  public static Behavior<Command> create(String group, String self, SnapshotDirs dirs, Transport transport,
      ActorRef<Received> parent) {
    return Behaviors.setup(ctx -> new SnapshotReceiver(group, self, dirs, transport, parent).behaviour());
  }

  private final String group;
  private final String self;
  private final SnapshotDirs dirs;
  private final Transport transport;
  private final ActorRef<Received> parent;

  // the transfer being received
  private SnapshotManifest manifest;
  private Path dir;
  private long held;
  private long[] fileStart;
  private FileChannel[] channels;
  private boolean complete;
  private String from;
  private long term;

  private SnapshotReceiver(String group, String self, SnapshotDirs dirs, Transport transport, ActorRef<Received> parent) {
    this.group = group;
    this.self = self;
    this.dirs = dirs;
    this.transport = transport;
    this.parent = parent;
  }

  private Behavior<Command> behaviour() {
    return Behaviors.receive(Command.class)
        .onMessage(Offered.class, o -> {
          onOffer(o.offer());
          return Behaviors.same();
        })
        .onMessage(Chunk.class, c -> {
          onChunk(c.chunk());
          return Behaviors.same();
        })
        .onMessage(Forget.class, f -> {
          closeFiles();
          manifest = null;
          complete = false;
          return Behaviors.same();
        })
        .onSignal(PostStop.class, s -> {
          closeFiles();
          return Behaviors.same();
        })
        .build();
  }

  private void ack(String to, long term, long index, long next) {
    transport.send(group, new RaftMessage.SnapshotAck(self, to, term, index, next));
  }

  private void onOffer(RaftMessage.SnapshotOffer o) {
    SnapshotManifest offered;
    try {
      offered = SnapshotManifest.decode(o.manifest());
    } catch (InvalidArgumentException e) {
      log.warn("{}: refusing snapshot offer from {}: {}", group, o.from(), e.getMessage());
      return;
    }
    from = o.from();
    term = o.term();
    if (manifest == null || !manifest.equals(offered)) {
      closeFiles();
      manifest = null;
      // Resume a transfer of the same snapshot kept on disk (this node restarted), else start afresh.
      Path staged = dirs.staging(offered.meta());
      SnapshotManifest kept = Files.isDirectory(staged) ? SnapshotManifest.readFrom(staged) : null;
      try {
        if (kept == null || !kept.equals(offered)) {
          dirs.clearStaging();
          Files.createDirectories(SnapshotDirs.files(staged));
          offered.writeTo(staged);
        }
        begin(offered, staged);
      } catch (IOException e) {
        log.warn("{}: cannot stage snapshot {} in {}: {}", group, offered.meta().index(), staged, e.toString());
        manifest = null;
        return;
      }
    }
    ack(o.from(), o.term(), manifest.meta().index(), complete ? manifest.totalBytes() : held);
    if (complete) {
      parent.tell(new Received(manifest.meta(), from, term, dir)); // (its answer may have been lost)
    }
  }

  /** Opens the staging files and finds how much of the stream is already there. */
  private void begin(SnapshotManifest m, Path staged) throws IOException {
    manifest = m;
    dir = staged;
    Path data = SnapshotDirs.files(staged);
    List<SnapshotManifest.FileEntry> files = m.files();
    fileStart = new long[files.size() + 1];
    channels = new FileChannel[files.size()];
    for (int i = 0; i < files.size(); i++) {
      fileStart[i + 1] = fileStart[i] + files.get(i).size();
    }
    complete = Files.exists(staged.resolve(COMPLETE));
    held = 0;
    if (complete) {
      return;
    }
    for (int i = 0; i < files.size(); i++) {
      Path f = data.resolve(files.get(i).name());
      long have = Files.exists(f) ? Files.size(f) : 0;
      if (have > files.get(i).size()) {
        have = 0;
        Files.deleteIfExists(f); // longer than it should be: not ours to trust
      }
      held += have;
      if (have < files.get(i).size()) {
        // Files are written in order: whatever follows a short one is not part of the contiguous prefix.
        for (int j = i + 1; j < files.size(); j++) {
          Files.deleteIfExists(data.resolve(files.get(j).name()));
        }
        break;
      }
    }
    if (held > 0) {
      log.info("{}: resuming snapshot {} from {} at byte {} of {}", group, m.meta().index(), from, held, m.totalBytes());
    }
  }

  private void onChunk(RaftMessage.SnapshotChunk c) {
    if (manifest == null || c.snapshotIndex() != manifest.meta().index()) {
      // Not a transfer we were offered (this node restarted, or a newer offer replaced it).
      ack(c.from(), c.term(), c.snapshotIndex(), RaftMessage.SnapshotAck.OFFER_AGAIN);
      return;
    }
    if (complete || c.offset() != held) {
      ack(c.from(), c.term(), c.snapshotIndex(), complete ? manifest.totalBytes() : held);
      return;
    }
    CRC32C crc = new CRC32C();
    crc.update(c.data());
    if ((int) crc.getValue() != c.crc() || held + c.data().length > manifest.totalBytes()) {
      log.warn("{}: snapshot {} chunk at {} from {} is corrupt (checksum or length); asking for it again", group,
          c.snapshotIndex(), c.offset(), c.from());
      ack(c.from(), c.term(), c.snapshotIndex(), held);
      return;
    }
    try {
      write(c.data());
      if (held == manifest.totalBytes()) {
        finish();
      }
    } catch (IOException e) {
      log.warn("{}: cannot write snapshot {} into {}: {}", group, c.snapshotIndex(), dir, e.toString());
      resetTransfer();
    }
    ack(c.from(), c.term(), c.snapshotIndex(), complete ? manifest.totalBytes() : held);
    if (complete) {
      parent.tell(new Received(manifest.meta(), from, term, dir));
    }
  }

  private void write(byte[] data) throws IOException {
    int done = 0;
    while (done < data.length) {
      int file = fileOf(held);
      FileChannel ch = channels[file];
      if (ch == null) {
        ch = FileChannel.open(SnapshotDirs.files(dir).resolve(manifest.files().get(file).name()), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        channels[file] = ch;
      }
      int n = (int) Math.min(data.length - done, fileStart[file + 1] - held);
      ByteBuffer buf = ByteBuffer.wrap(data, done, n);
      long at = held - fileStart[file];
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
      done += n;
      held += n;
    }
  }

  private int fileOf(long pos) {
    int i = 0;
    while (fileStart[i + 1] <= pos) {
      i++;
    }
    return i;
  }

  /** Every byte is here: create empty files, check each file against the manifest, sync, mark complete. */
  private void finish() throws IOException {
    closeFiles();
    for (SnapshotManifest.FileEntry f : manifest.files()) {
      Path p = SnapshotDirs.files(dir).resolve(f.name());
      if (!Files.exists(p)) {
        Files.createFile(p); // (an empty file gets no chunk)
      }
      int crc = SnapshotManifest.crcOf(p);
      if (crc != f.crc() || Files.size(p) != f.size()) {
        log.warn("{}: snapshot {} file {} does not match its manifest (checksum {} vs {}); receiving it again", group,
            manifest.meta().index(), f.name(), Integer.toHexString(crc), Integer.toHexString(f.crc()));
        resetTransfer();
        return;
      }
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
    }
    SnapshotDirs.syncDirectory(SnapshotDirs.files(dir));
    Files.createFile(dir.resolve(COMPLETE));
    SnapshotDirs.syncDirectory(dir);
    complete = true;
    log.info("{}: snapshot {} ({} bytes in {} files) received from {}", group, manifest.meta().index(),
        manifest.totalBytes(), manifest.files().size(), from);
  }

  /** Drops the received bytes (the manifest stays): the sender starts again from 0. */
  private void resetTransfer() {
    closeFiles();
    try {
      for (SnapshotManifest.FileEntry f : manifest.files()) {
        Files.deleteIfExists(SnapshotDirs.files(dir).resolve(f.name()));
      }
    } catch (IOException e) {
      log.warn("{}: cannot clear {}: {}", group, dir, e.toString());
    }
    held = 0;
  }

  private void closeFiles() {
    if (channels == null) {
      return;
    }
    for (int i = 0; i < channels.length; i++) {
      if (channels[i] != null) {
        try {
          channels[i].close();
        } catch (IOException ignored) {
          // nothing to lose: the data is checked at the end
        }
        channels[i] = null;
      }
    }
  }
}
