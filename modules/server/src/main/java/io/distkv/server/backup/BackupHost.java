package io.distkv.server.backup;

import io.distkv.common.backup.BackupId;
import io.distkv.common.backup.BackupManifest;
import io.distkv.common.backup.BackupManifest.FileEntry;
import io.distkv.common.io.Digests;
import io.distkv.common.io.Dirs;
import io.distkv.server.cluster.ReplicaHost.HostSerializable;
import io.distkv.server.partition.KvStateMachine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Serves the backup checkpoints this node's leaders took ({@code <data-dir>/backups/<id>/p<N>},
 * see {@link KvStateMachine#backupCheckpointDir}) to the node coordinating a backup: file lists
 * with sizes and SHA-256, byte ranges of files, deletion. Runs on Pekko's blocking dispatcher
 * (it reads and hashes files). Checkpoints left from before a restart are deleted at start, and
 * a backup untouched for {@code idleExpiry} is deleted (its coordinator went away).
 */
public final class BackupHost {
  private BackupHost() {}

  /** Path of the backup host on the node at {@code address}. */
  public static String path(String address) {
    return address + "/user/backup";
  }

  public sealed interface Command {}

  /** The files of backup {@code backupId}'s checkpoint of {@code partition}, with sizes and SHA-256. */
  public record ListFiles(String backupId, int partition, ActorRef<FileList> replyTo) implements Command,
      HostSerializable {}

  /** {@code files}, or the error (non-null) that kept them from being listed. */
  public record FileList(List<FileEntry> files, String error) implements HostSerializable {}

  /** Up to {@code length} bytes of a checkpoint file from {@code offset}. */
  public record ReadChunk(String backupId, int partition, String file, long offset, int length,
      ActorRef<Chunk> replyTo) implements Command, HostSerializable {}

  /** The bytes read (fewer than asked only at the file's end), or the error (non-null). */
  public record Chunk(byte[] data, String error) implements HostSerializable {}

  /** Deletes backup {@code backupId}'s checkpoints on this node. */
  public record Drop(String backupId) implements Command, HostSerializable {}

  private record Sweep() implements Command {}

  public static Behavior<Command> create(Path dataDir, Duration idleExpiry) {
    Path root = dataDir.resolve(KvStateMachine.BACKUPS);
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      try {
        Dirs.deleteTree(root);
      } catch (IOException e) {
        ctx.getLog().warn("cannot delete the backup checkpoints left in {}: {}", root, e.toString());
      }
      timers.startTimerWithFixedDelay(new Sweep(), idleExpiry.dividedBy(4));
      Map<String, Long> lastUse = new HashMap<>();
      return Behaviors.receive(Command.class)
          .onMessage(ListFiles.class, m -> {
            lastUse.put(m.backupId(), System.nanoTime());
            try {
              m.replyTo().tell(new FileList(list(checkpointDir(root, m.backupId(), m.partition())), null));
            } catch (IOException | RuntimeException e) {
              m.replyTo().tell(new FileList(List.of(), "listing backup " + m.backupId() + " partition " + m.partition()
                  + " failed: " + e.getMessage()));
            }
            return Behaviors.same();
          })
          .onMessage(ReadChunk.class, m -> {
            lastUse.put(m.backupId(), System.nanoTime());
            try {
              m.replyTo().tell(new Chunk(read(checkpointDir(root, m.backupId(), m.partition()).resolve(fileName(m.file())),
                  m.offset(), m.length()), null));
            } catch (IOException | RuntimeException e) {
              m.replyTo().tell(new Chunk(null, "reading " + m.file() + " of backup " + m.backupId() + " partition "
                  + m.partition() + " failed: " + e));
            }
            return Behaviors.same();
          })
          .onMessage(Drop.class, m -> {
            lastUse.remove(m.backupId());
            try {
              delete(ctx, root.resolve(BackupId.check(m.backupId())));
            } catch (RuntimeException e) {
              ctx.getLog().warn("not dropping backup '{}': {}", m.backupId(), e.getMessage());
            }
            return Behaviors.same();
          })
          .onMessage(Sweep.class, m -> {
            sweep(ctx, root, lastUse, idleExpiry);
            return Behaviors.same();
          })
          .build();
    }));
  }

  private static Path checkpointDir(Path root, String backupId, int partition) {
    return root.resolve(BackupId.check(backupId)).resolve("p" + partition);
  }

  private static String fileName(String name) {
    if (!FileEntry.validName(name)) {
      throw new IllegalArgumentException("not a checkpoint file name: '" + name + "'");
    }
    return name;
  }

  private static List<FileEntry> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException("no checkpoint at " + dir + " (deleted after a restart or when it expired)");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.sorted().toList();
    }
    List<FileEntry> out = new ArrayList<>();
    for (Path f : files) {
      out.add(new FileEntry(f.getFileName().toString(), Files.size(f), Digests.sha256(f)));
    }
    return out;
  }

  private static byte[] read(Path file, long offset, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long left = Math.max(0, ch.size() - offset);
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, left));
      while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) > 0) {
        // read until the buffer is full
      }
      return buf.array();
    }
  }

  private static void sweep(org.apache.pekko.actor.typed.javadsl.ActorContext<Command> ctx, Path root,
      Map<String, Long> lastUse, Duration idleExpiry) {
    if (!Files.isDirectory(root)) {
      return;
    }
    long now = System.nanoTime();
    try (Stream<Path> s = Files.list(root)) {
      for (Path dir : s.toList()) {
        String id = dir.getFileName().toString();
        long last = lastUse.computeIfAbsent(id, k -> now); // taken by a leader, not read yet
        if (now - last > idleExpiry.toNanos()) {
          ctx.getLog().info("deleting backup {}'s checkpoints: untouched for {}", id, idleExpiry);
          lastUse.remove(id);
          delete(ctx, dir);
        }
      }
    } catch (IOException e) {
      ctx.getLog().warn("cannot list {}: {}", root, e.toString());
    }
  }

  private static void delete(org.apache.pekko.actor.typed.javadsl.ActorContext<Command> ctx, Path dir) {
    try {
      Dirs.deleteTree(dir);
    } catch (IOException e) {
      ctx.getLog().warn("cannot delete {}: {}", dir, e.toString());
    }
  }
}
