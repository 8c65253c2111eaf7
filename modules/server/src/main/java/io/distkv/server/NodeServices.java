package io.distkv.server;

import io.distkv.common.KeyLimits;
import io.distkv.common.NodeId;
import io.distkv.common.placement.Placement;
import io.distkv.common.protocol.ClientProtocol.RouterCommand;
import io.distkv.raft.Transport;
import io.distkv.raft.core.RaftOptions;
import io.distkv.server.backup.BackupHost;
import io.distkv.server.backup.ClusterBackups;
import io.distkv.server.cluster.NodeDirectory;
import io.distkv.server.cluster.Rebalancer;
import io.distkv.server.cluster.ReplicaHost;
import io.distkv.server.router.RequestMetrics;
import io.distkv.server.router.Router;
import io.distkv.storage.LsmOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * What one node runs, spawned from its guardian: its directory (placement + addresses), its
 * partitions ({@link NodeRuntime}), the replica host at {@code /user/host}, the router at
 * {@code /user/router} (with the rebalancer behind it), the backup host at {@code /user/backup}
 * (with the node's side of backups, {@link ClusterBackups}) and, unless {@code leaderBalanceInterval}
 * is zero, the leader balancer. The node process and the test kit start nodes through this one
 * place.
 */
public record NodeServices(NodeDirectory directory, NodeRuntime runtime, ActorRef<RouterCommand> router,
    ClusterBackups backups) {

  /** How a node is wired; {@code transportDecorator} and {@code reachable} are the test kit's fault seams. */
  public record Wiring(NodeId self, Placement bootstrapPlacement, Map<NodeId, String> bootstrapAddresses, Path dataDir,
      LsmOptions lsmOptions, RaftOptions raftOptions, Duration tick, UnaryOperator<Transport> transportDecorator,
      Duration requestTimeout, RequestMetrics metrics, KeyLimits limits, Predicate<NodeId> reachable,
      Duration leaderBalanceInterval, io.distkv.raft.SnapshotPolicy snapshots,
      io.distkv.common.config.StorageSettings storage) {}

  /** A backup whose checkpoints nobody read for this long is deleted (its coordinator went away). */
  static final Duration BACKUP_IDLE_EXPIRY = Duration.ofMinutes(30);

  public static NodeServices spawn(ActorContext<?> ctx, Wiring w) throws IOException {
    NodeDirectory directory = NodeDirectory.open(w.dataDir(), w.bootstrapPlacement(), w.bootstrapAddresses());
    NodeRuntime runtime = new NodeRuntime(ctx.getSystem(), w.self(),
        NodeRuntime.hostedAtStart(w.dataDir(), w.self(), directory.placement(), directory.firstBoot()),
        directory.placement(), directory.addresses(), w.dataDir(), w.lsmOptions(), w.raftOptions(), w.tick(),
        w.snapshots(), w.storage(), w.transportDecorator());
    // Starting a replica opens its store, dropping one deletes it, adopting a placement writes it: disk work,
    // on the disk dispatcher's two threads (Pekko's blocking dispatcher keeps up to 16).
    ctx.spawn(ReplicaHost.create(w.self(), runtime, directory, true), "host",
        DispatcherSelector.fromConfig(io.distkv.raft.RaftReplica.DISK_DISPATCHER));
    ActorRef<RouterCommand> router = ctx.spawn(Router.create(w.self(), directory::placement, directory.addresses(),
        runtime.stateMachines(), runtime.replicas(), w.requestTimeout(), w.metrics(), w.limits(), w.reachable(),
        new Rebalancer(ctx.getSystem(), w.self(), directory)), "router");
    if (!w.leaderBalanceInterval().isZero()) {
      ctx.spawn(LeaderBalancer.create(w.self(), directory::placement, runtime.replicas(), w.leaderBalanceInterval()),
          "leader-balancer");
    }
    ctx.spawn(BackupHost.create(w.dataDir(), BACKUP_IDLE_EXPIRY), "backup", DispatcherSelector.blocking());
    return new NodeServices(directory, runtime, router, new ClusterBackups(ctx.getSystem(), directory));
  }
}
