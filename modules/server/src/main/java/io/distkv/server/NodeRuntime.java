package io.distkv.server;

import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.placement.Placement;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.log.NodeLogWriter;
import io.distkv.raft.log.SegmentedLog;
import io.distkv.raft.transport.ActorTransport;
import io.distkv.server.partition.KvStateMachine;
import io.distkv.storage.LsmOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * What one node runs for the partitions placement gives it: a {@link KvStateMachine} and a
 * {@link RaftReplica} per hosted partition (actor {@code /system/raft-p<N>}), all sharing the
 * node's {@link SegmentedLog} through one {@link NodeLogWriter}. Peers are addressed by
 * {@link #replicaPath}.
 */
public final class NodeRuntime implements AutoCloseable {
  private final NodeId self;
  private final Placement placement;
  private final SegmentedLog log;
  private final Map<Integer, KvStateMachine> stateMachines = new TreeMap<>();
  private final Map<Integer, ActorRef<RaftReplica.Command>> replicas = new TreeMap<>();

  /** Path of partition {@code p}'s replica on the node at {@code address} (pekko://system@host:port). */
  public static String replicaPath(String address, int partition) {
    return address + "/system/raft-p" + partition;
  }

  /** Group id of partition {@code p} in the Raft layer. */
  public static String group(int partition) {
    return "p" + partition;
  }

  public NodeRuntime(ActorSystem<?> system, NodeId self, Placement placement, Map<NodeId, String> addresses, Path dataDir,
      LsmOptions lsmOptions, RaftOptions raftOptions, Duration tick) throws IOException {
    this(system, self, placement, addresses, dataDir, lsmOptions, raftOptions, tick, t -> t);
  }

  /**
   * As above, with {@code transportDecorator} wrapped around the Raft transport (the seam where
   * tests inject network faults, e.g. {@code FaultyTransport}).
   */
  public NodeRuntime(ActorSystem<?> system, NodeId self, Placement placement, Map<NodeId, String> addresses, Path dataDir,
      LsmOptions lsmOptions, RaftOptions raftOptions, Duration tick,
      java.util.function.UnaryOperator<io.distkv.raft.Transport> transportDecorator) throws IOException {
    this.self = self;
    this.placement = placement;
    this.log = SegmentedLog.open(dataDir.resolve("raft"), 64L << 20, true);
    ActorRef<NodeLogWriter.Command> writer = system.systemActorOf(NodeLogWriter.create(log), "raft-log", Props.empty());
    Map<String, String> byId = new TreeMap<>();
    addresses.forEach((k, v) -> byId.put(k.value(), v));
    io.distkv.raft.Transport transport = transportDecorator.apply(new ActorTransport(system, (peer, group) -> {
      String address = byId.get(peer);
      return address == null ? null : replicaPath(address, Integer.parseInt(group.substring(1)));
    }));
    for (PartitionId p : placement.partitionsOn(self)) {
      int n = p.value();
      KvStateMachine sm = KvStateMachine.open(dataDir.resolve("partitions").resolve(group(n)), lsmOptions);
      stateMachines.put(n, sm);
      Set<String> voters = new HashSet<>();
      placement.replicasOf(p).nodes().forEach(id -> voters.add(id.value()));
      RaftReplica.Settings settings = new RaftReplica.Settings(group(n), self.value(), new Configuration(voters, Set.of()),
          raftOptions, tick, 10_000, (self.value() + n).hashCode());
      replicas.put(n, system.systemActorOf(
          RaftReplica.create(settings, log.groups().get(group(n)), sm, transport, writer), "raft-p" + n, Props.empty()));
    }
  }

  public NodeId self() {
    return self;
  }

  public Placement placement() {
    return placement;
  }

  /** The local replicas, by partition number. */
  public Map<Integer, ActorRef<RaftReplica.Command>> replicas() {
    return replicas;
  }

  public Map<Integer, KvStateMachine> stateMachines() {
    return stateMachines;
  }

  /**
   * Closes as a crash would leave things (call after the actors are stopped): stores are not
   * flushed, so on restart each partition replays its Raft log from its persisted applied index.
   */
  public void closeWithoutFlush() throws IOException {
    close(false);
  }

  /** Closes stores and the log; call after the actors are stopped (system terminated). */
  @Override
  public void close() throws IOException {
    close(true);
  }

  private void close(boolean flush) throws IOException {
    for (KvStateMachine sm : stateMachines.values()) {
      if (flush) {
        sm.close();
      } else {
        sm.closeWithoutFlush();
      }
    }
    log.close();
  }
}
