package io.distkv.server.backup;

import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.backup.BackupManifest;
import io.distkv.common.backup.BackupManifest.FileEntry;
import io.distkv.common.backup.BackupManifest.PartitionBackup;
import io.distkv.common.config.NodeConfig;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.io.Dirs;
import io.distkv.common.placement.Placement;
import io.distkv.common.placement.PlacementFunction;
import io.distkv.common.placement.PlacementSettings;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.HardState;
import io.distkv.raft.core.SnapshotMeta;
import io.distkv.raft.log.SegmentedLog;
import io.distkv.server.NodeRuntime;
import io.distkv.server.partition.KvStateMachine;
import io.distkv.storage.LsmOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Restores a backup into a new cluster, node by node, before the nodes' first start (as etcd's
 * {@code etcdutl snapshot restore} does): for the node a config describes, it checks the whole
 * backup ({@link BackupManifest#verify}), computes the placement the cluster will start with
 * from the config's members (any number of nodes, any replication factor), and for each
 * partition that placement gives this node writes the partition's checkpoint as its store and,
 * in the node's Raft log, a snapshot point at the checkpoint's index (term 1) whose voters are
 * the partition's new replicas. The node then starts as if its replicas had installed that
 * snapshot: they elect leaders and serve, and every write's version (its Raft index) is kept.
 *
 * <p>The data directory must be new or empty; the restore is built beside it and renamed into
 * place last, so an interrupted restore leaves no half-restored node.
 */
public final class Restore {
  private Restore() {}

  /** What a restore wrote: the partitions this node hosts, and their bytes. */
  public record Summary(NodeId node, List<Integer> partitions, long bytes) {}

  /** Term of the restored snapshot points (each new group starts its elections above it). */
  static final long TERM = 1;

  /** Restores {@code backup} for the node {@code config} describes, into its data directory. */
  public static Summary restore(Path backup, NodeConfig config, LsmOptions lsm) throws IOException {
    Set<NodeId> members = new TreeSet<>();
    config.members().forEach(x -> members.add(x.id()));
    return restore(backup, config.nodeId(), members, config.placement(), config.dataDir(), lsm);
  }

  /**
   * Restores {@code backup} for node {@code self} of the new cluster whose founding members are
   * {@code members} and whose placement settings are {@code settings}, into {@code dataDir}.
   */
  public static Summary restore(Path backup, NodeId self, Set<NodeId> members, PlacementSettings settings,
      Path dataDir, LsmOptions lsm) throws IOException {
    BackupManifest m = BackupManifest.verify(backup);
    if (m.partitions() != settings.partitions() || m.hashTags() != settings.hashTags()) {
      throw new InvalidArgumentException("backup " + backup + " has " + m.partitions() + " partitions, hash tags "
          + (m.hashTags() ? "on" : "off") + "; node " + self + "'s config says " + settings.partitions()
          + ", hash tags " + (settings.hashTags() ? "on" : "off")
          + ": a restored cluster needs the backup's partitions and distkv.hash-tags (keys map to partitions by them)");
    }
    if (!members.contains(self)) {
      throw new InvalidArgumentException("node " + self + " is not in distkv.cluster.members " + members
          + ": restore the new cluster's founding members; add others later with add-node");
    }
    dataDir = dataDir.toAbsolutePath();
    refuseExistingData(dataDir);
    Placement placement = PlacementFunction.initial(members, settings);
    Path staging = dataDir.resolveSibling(dataDir.getFileName() + ".restoring");
    Dirs.deleteTree(staging);
    Files.createDirectories(staging);
    List<Integer> hosted = new ArrayList<>();
    long bytes = 0;
    List<SegmentedLog.GroupWrite> points = new ArrayList<>();
    for (PartitionBackup e : BackupManifest.sorted(m.entries())) {
      Set<String> voters = new TreeSet<>();
      placement.replicasOf(PartitionId.of(e.partition())).nodes().forEach(n -> voters.add(n.value()));
      if (!voters.contains(self.value())) {
        continue;
      }
      Path store = staging.resolve("partitions").resolve("p" + e.partition());
      Files.createDirectories(store);
      for (FileEntry f : e.files()) {
        Files.copy(BackupManifest.partitionDir(backup, e.partition()).resolve(f.name()), store.resolve(f.name()),
            StandardCopyOption.COPY_ATTRIBUTES);
        bytes += f.size();
      }
      checkStore(store, e, lsm);
      points.add(new SegmentedLog.GroupWrite(NodeRuntime.group(e.partition()), new HardState(TERM, null, e.index()),
          new SnapshotMeta(e.index(), TERM, new Configuration(voters, Set.of())), List.of()));
      hosted.add(e.partition());
    }
    try (SegmentedLog log = SegmentedLog.open(staging.resolve("raft"), 64L << 20, true)) {
      log.write(points);
    }
    Dirs.deleteTree(dataDir); // empty, checked above
    Files.move(staging, dataDir, StandardCopyOption.ATOMIC_MOVE);
    Dirs.syncDirectory(dataDir.getParent());
    return new Summary(self, hosted, bytes);
  }

  private static void refuseExistingData(Path dataDir) throws IOException {
    if (!Files.exists(dataDir)) {
      return;
    }
    if (!Files.isDirectory(dataDir)) {
      throw new InvalidArgumentException("data directory " + dataDir + " is a file");
    }
    try (Stream<Path> s = Files.list(dataDir)) {
      if (s.findAny().isPresent()) {
        throw new InvalidArgumentException("data directory " + dataDir + " is not empty: a backup is restored only into "
            + "a new node's empty data directory (a new cluster)");
      }
    }
  }

  /** Opens the copied store: it must be a whole store holding exactly the backup's index. */
  private static void checkStore(Path store, PartitionBackup e, LsmOptions lsm) {
    KvStateMachine sm = KvStateMachine.open(store, lsm);
    try {
      if (sm.appliedIndex() != e.index()) {
        throw new io.distkv.common.error.CorruptionException("partition " + e.partition() + "'s checkpoint holds index "
            + sm.appliedIndex() + ", the manifest says " + e.index());
      }
    } finally {
      sm.close();
    }
  }
}
