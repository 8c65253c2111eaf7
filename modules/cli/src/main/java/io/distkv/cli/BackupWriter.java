package io.distkv.cli;

import static io.distkv.cli.DistKvCli.CLUSTER_ERROR;
import static io.distkv.cli.DistKvCli.USAGE;
import static io.distkv.cli.DistKvCli.number;
import static io.distkv.cli.DistKvCli.text;

import io.distkv.cli.RespLink.CliFailure;
import io.distkv.common.backup.BackupManifest;
import io.distkv.common.backup.BackupManifest.FileEntry;
import io.distkv.common.backup.BackupManifest.PartitionBackup;
import io.distkv.common.io.Digests;
import io.distkv.common.io.Dirs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * `distkv backup DIR`'s work over one RESP connection: DKV.BACKUP.BEGIN, then per partition
 * DKV.BACKUP.PARTITION (the leader's checkpoint) and DKV.BACKUP.READ of each of its files into
 * {@code DIR/p<N>/}, each file made durable and checked against the size and SHA-256 its node
 * gave; then the manifest and SHA256SUMS; DKV.BACKUP.END in any case (the nodes delete the
 * checkpoints).
 */
final class BackupWriter {
  /** Bytes per DKV.BACKUP.READ (the most a node answers). */
  static final int CHUNK = 1 << 20;

  record Result(String id, int partitions, int files, long bytes) {}

  private final RespLink node;
  private final Path dir;

  BackupWriter(RespLink node, Path dir) {
    this.node = node;
    this.dir = dir;
  }

  Result run() {
    try {
      prepare();
      List<?> begin = (List<?>) node.call("DKV.BACKUP.BEGIN");
      String id = text(begin.get(0));
      int partitions = (int) number(begin.get(1));
      boolean hashTags = number(begin.get(2)) == 1;
      try {
        List<PartitionBackup> entries = new ArrayList<>();
        int files = 0;
        long bytes = 0;
        for (int p = 0; p < partitions; p++) {
          PartitionBackup e = partition(id, p);
          entries.add(e);
          files += e.files().size();
          bytes += e.files().stream().mapToLong(FileEntry::size).sum();
        }
        new BackupManifest(BackupManifest.FORMAT, BackupManifest.VERSION, id, java.time.Instant.now().toString(),
            partitions, hashTags, entries).write(dir);
        return new Result(id, partitions, files, bytes);
      } finally {
        try {
          node.call("DKV.BACKUP.END", id);
        } catch (CliFailure ignored) {
          // the nodes delete an abandoned backup's checkpoints after 30 minutes
        }
      }
    } catch (IOException e) {
      throw new CliFailure(CLUSTER_ERROR, "backup into " + dir + " failed: " + e);
    }
  }

  private void prepare() throws IOException {
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        throw new CliFailure(USAGE, dir + " is not a directory");
      }
      try (Stream<Path> s = Files.list(dir)) {
        if (s.findAny().isPresent()) {
          throw new CliFailure(USAGE, dir + " is not empty: back up into a new or empty directory");
        }
      }
    }
    Files.createDirectories(dir);
  }

  private PartitionBackup partition(String id, int p) throws IOException {
    List<?> cp = (List<?>) node.call("DKV.BACKUP.PARTITION", id, p);
    String holder = text(cp.get(0));
    long index = number(cp.get(1));
    Path pdir = BackupManifest.partitionDir(dir, p);
    Files.createDirectories(pdir);
    List<FileEntry> files = new ArrayList<>();
    for (Object f : (List<?>) cp.get(2)) {
      List<?> entry = (List<?>) f;
      FileEntry expected = new FileEntry(text(entry.get(0)), number(entry.get(1)), text(entry.get(2)));
      if (!FileEntry.validName(expected.name())) {
        throw new CliFailure(CLUSTER_ERROR, "partition " + p + ": the node listed a bad file name '" + expected.name() + "'");
      }
      copy(holder, id, p, expected, pdir.resolve(expected.name()));
      files.add(expected);
    }
    Dirs.syncDirectory(pdir);
    return new PartitionBackup(p, index, holder, files);
  }

  /** Copies one checkpoint file from {@code holder} into {@code target}, checking its size and SHA-256. */
  private void copy(String holder, String id, int p, FileEntry expected, Path target) throws IOException {
    MessageDigest sha = Digests.sha256();
    long offset = 0;
    try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      while (offset < expected.size()) {
        byte[] chunk = (byte[]) node.call("DKV.BACKUP.READ", holder, id, p, expected.name(), offset,
            (int) Math.min(CHUNK, expected.size() - offset));
        if (chunk == null || chunk.length == 0) {
          throw new CliFailure(CLUSTER_ERROR, "partition " + p + ": " + expected.name() + " on " + holder + " ended at "
              + offset + " of " + expected.size() + " bytes");
        }
        sha.update(chunk);
        ByteBuffer b = ByteBuffer.wrap(chunk);
        while (b.hasRemaining()) {
          out.write(b);
        }
        offset += chunk.length;
      }
      out.force(true);
    }
    if (!Digests.hex(sha.digest()).equals(expected.sha256())) {
      throw new CliFailure(CLUSTER_ERROR, "partition " + p + ": " + expected.name() + " from " + holder
          + " does not match the SHA-256 its node gave (damaged in transfer)");
    }
  }
}
