package io.distkv.server.backup;

import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.concurrent.Ask;
import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.placement.Placement;
import io.distkv.raft.RaftReplica;
import io.distkv.resp.RespBackups;
import io.distkv.server.NodeRuntime;
import io.distkv.server.cluster.NodeDirectory;
import io.distkv.server.partition.KvStateMachine;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A node's side of a backup (docs/operations.md "Backup and restore"): it finds each partition's
 * leader (asking the placement's preferred leader first, then following NOT_LEADER hints) and
 * has it take the checkpoint as a linearizable read, so the checkpoint holds every write
 * acknowledged before; then it lists and reads the checkpoint's files from that node's
 * {@link BackupHost}. The leader search blocks, so it runs on threads of its own.
 */
public final class ClusterBackups implements RespBackups {
  private static final Duration CHECKPOINT_DEADLINE = Duration.ofSeconds(60);
  /** A checkpoint flushes the partition's memtable first; listing hashes every file. */
  private static final Duration ASK = Duration.ofSeconds(30);

  private final ActorSystem<?> system;
  private final NodeDirectory directory;
  private final ActorRefResolver resolver;
  private final ExecutorService executor;

  public ClusterBackups(ActorSystem<?> system, NodeDirectory directory) {
    this.system = system;
    this.directory = directory;
    this.resolver = ActorRefResolver.get(system);
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "distkv-backup");
      t.setDaemon(true);
      return t;
    });
    system.getWhenTerminated().thenRun(executor::shutdownNow);
  }

  @Override
  public Layout layout() {
    Placement p = directory.placement();
    return new Layout(p.partitionCount(), p.settings().hashTags());
  }

  @Override
  public CompletionStage<Checkpoint> checkpoint(String backupId, int partition) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return checkpointOnLeader(backupId, partition);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DistKvException(ErrorCode.SHUTTING_DOWN, "the node is stopping");
      }
    }, executor);
  }

  private Checkpoint checkpointOnLeader(String backupId, int p) throws InterruptedException {
    byte[] query = KvStateMachine.checkpointQuery(backupId);
    List<String> order = new ArrayList<>(); // the preferred leader first
    directory.placement().replicasOf(PartitionId.of(p)).nodes().forEach(n -> order.add(n.value()));
    long deadline = System.nanoTime() + CHECKPOINT_DEADLINE.toNanos();
    String last = "no replica answered";
    while (System.nanoTime() < deadline) {
      String hint = null;
      for (String node : order) {
        String address = directory.addresses().get(NodeId.of(node));
        if (address == null) {
          last = "no address for " + node;
          continue;
        }
        ActorRef<RaftReplica.Command> replica = resolver.resolveActorRef(NodeRuntime.replicaPath(address, p));
        RaftReplica.Result r = ask(replica, reply -> new RaftReplica.Read(query, reply));
        if (r == null) {
          last = node + " did not answer within " + ASK.toSeconds() + " s";
          continue;
        }
        if (r.isOk()) {
          long index = ByteBuffer.wrap(r.value()).getLong();
          BackupHost.FileList files = ask(host(address), reply -> new BackupHost.ListFiles(backupId, p, reply));
          if (files == null || files.error() != null) {
            throw new DistKvException(ErrorCode.IO_ERROR, "partition " + p + " on " + node + ": "
                + (files == null ? "the file list did not come" : files.error()));
          }
          return new Checkpoint(node, index, files.files());
        }
        last = node + ": " + r.code() + " " + r.message();
        if (r.code() != ErrorCode.NOT_LEADER && !r.code().retryable()) {
          throw new DistKvException(r.code(), "partition " + p + "'s checkpoint on " + node + " failed: " + r.message());
        }
        if (r.leaderHint() != null && !r.leaderHint().equals(node)) {
          hint = r.leaderHint();
          break;
        }
      }
      if (hint != null) {
        order.remove(hint);
        order.add(0, hint);
      }
      Thread.sleep(hint != null ? 20 : 200); // an election may be under way; ask again
    }
    throw new DistKvException(ErrorCode.TIMEOUT, "partition " + p + ": no leader took the checkpoint within "
        + CHECKPOINT_DEADLINE.toSeconds() + " s (last: " + last + ")");
  }

  @Override
  public CompletionStage<byte[]> read(String node, String backupId, int partition, String file, long offset,
      int length) {
    String address = directory.addresses().get(NodeId.of(node));
    if (address == null) {
      throw new InvalidArgumentException("unknown node '" + node + "' (known: " + directory.addresses().keySet() + ")");
    }
    return Ask.<BackupHost.Command, BackupHost.Chunk>ask(host(address),
        reply -> new BackupHost.ReadChunk(backupId, partition, file, offset, length, reply), ASK, system.scheduler())
        .thenApply(chunk -> {
          if (chunk.error() != null) {
            throw new DistKvException(ErrorCode.IO_ERROR, node + ": " + chunk.error());
          }
          return chunk.data();
        });
  }

  @Override
  public CompletionStage<Void> release(String backupId) {
    for (String address : directory.addresses().values()) {
      host(address).tell(new BackupHost.Drop(backupId));
    }
    return CompletableFuture.completedFuture(null);
  }

  private ActorRef<BackupHost.Command> host(String address) {
    return resolver.resolveActorRef(BackupHost.path(address));
  }

  private <Q, R> R ask(ActorRef<Q> to, Function<ActorRef<R>, Q> message) {
    return Ask.orNull(to, message, ASK, system.scheduler());
  }
}
