package io.distkv.resp;

import io.distkv.common.backup.BackupManifest.FileEntry;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What the DKV.BACKUP commands need from the node (docs/operations.md "Backup and restore"): a
 * partition's checkpoint taken on its leader, reads of the checkpoint's files from the node that
 * holds them, and clean-up. The node provides it; a RESP server without one refuses the commands.
 */
public interface RespBackups {
  /** The cluster's partition count and whether keys' {tags} place them (fixed at creation; a restore needs the same). */
  record Layout(int partitions, boolean hashTags) {}

  /** Partition {@code partition}'s checkpoint: on {@code node}, holding the log up to {@code index}. */
  record Checkpoint(String node, long index, List<FileEntry> files) {}

  Layout layout();

  /**
   * Has partition {@code partition}'s leader take backup {@code backupId}'s checkpoint, after a
   * linearizable read barrier: it holds every write acknowledged before this call.
   */
  CompletionStage<Checkpoint> checkpoint(String backupId, int partition);

  /** Up to {@code length} bytes of {@code file} from {@code offset} (fewer only at its end). */
  CompletionStage<byte[]> read(String node, String backupId, int partition, String file, long offset, int length);

  /** Deletes backup {@code backupId}'s checkpoints on every node. */
  CompletionStage<Void> release(String backupId);
}
