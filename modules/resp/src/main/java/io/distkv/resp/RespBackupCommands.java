package io.distkv.resp;

import static io.distkv.resp.RespCommands.done;
import static io.distkv.resp.RespCommands.integer;
import static io.distkv.resp.RespCommands.text;

import io.distkv.common.backup.BackupId;
import io.distkv.common.backup.BackupManifest.FileEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The backup commands `scripts/distkv backup` is built on (admin only; docs/resp.md):
 *
 * <ul>
 *   <li>{@code DKV.BACKUP.BEGIN} → [backup id, partition count, hash tags 1|0]
 *   <li>{@code DKV.BACKUP.PARTITION id p} → [node, index, [[file, size, sha256], ...]]: the
 *       partition's leader takes the checkpoint after a read barrier
 *   <li>{@code DKV.BACKUP.READ node id p file offset length} → up to {@code length} (≤ 1 MiB)
 *       bytes of the file, from the node that holds it
 *   <li>{@code DKV.BACKUP.END id} → OK: every node deletes the backup's checkpoints
 * </ul>
 */
final class RespBackupCommands {
  /** The largest DKV.BACKUP.READ answer: well inside Artery's 2 MiB frames. */
  static final int MAX_READ = 1 << 20;

  static final List<String> NAMES = List.of("DKV.BACKUP.BEGIN", "DKV.BACKUP.PARTITION", "DKV.BACKUP.READ",
      "DKV.BACKUP.END");

  private final RespBackups backups;

  RespBackupCommands(RespBackups backups) {
    this.backups = backups;
  }

  void registerIn(RespCommands table) {
    table.add("DKV.BACKUP.BEGIN", 1, true, (c, a) -> {
      RespBackups.Layout layout = backups().layout();
      return done(new RespReply.Array(List.of(RespReply.bulk(BackupId.next()), new RespReply.Int(layout.partitions()),
          new RespReply.Int(layout.hashTags() ? 1 : 0))));
    });
    table.add("DKV.BACKUP.PARTITION", 3, true, (c, a) -> backups().checkpoint(BackupId.check(text(a.get(1))),
        partition(a.get(2))).thenApply(cp -> {
          List<RespReply> files = new ArrayList<>();
          for (FileEntry f : cp.files()) {
            files.add(new RespReply.Array(List.of(RespReply.bulk(f.name()), new RespReply.Int(f.size()),
                RespReply.bulk(f.sha256()))));
          }
          return new RespReply.Array(List.of(RespReply.bulk(cp.node()), new RespReply.Int(cp.index()),
              new RespReply.Array(files)));
        }));
    table.add("DKV.BACKUP.READ", 7, true, (c, a) -> {
      long offset = integer(a.get(5));
      long length = integer(a.get(6));
      if (offset < 0 || length < 1 || length > MAX_READ) {
        throw new RespCommands.RespArgumentException("offset must be >= 0 and length 1.." + MAX_READ);
      }
      return backups().read(text(a.get(1)), BackupId.check(text(a.get(2))), partition(a.get(3)), text(a.get(4)), offset,
          (int) length).thenApply(RespReply.Bulk::new);
    });
    table.add("DKV.BACKUP.END", 2, true, (c, a) -> backups().release(BackupId.check(text(a.get(1))))
        .thenApply(v -> RespReply.OK));
  }

  private RespBackups backups() {
    if (backups == null) {
      throw new RespCommands.RespArgumentException("this node does not serve backups");
    }
    return backups;
  }

  private int partition(byte[] b) {
    long p = integer(b);
    int count = backups().layout().partitions();
    if (p < 0 || p >= count) {
      throw new RespCommands.RespArgumentException("no partition " + p + " (the cluster has " + count + ")");
    }
    return (int) p;
  }
}
