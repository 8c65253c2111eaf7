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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * The partitions one node hosts: a {@link KvStateMachine} (under {@code <data-dir>/partitions/p<N>})
 * and a {@link RaftReplica} (actor {@code /system/raft-p<N>}) each, all sharing the node's
 * {@link SegmentedLog} ({@code <data-dir>/raft}) through one {@link NodeLogWriter}. Peers are
 * addressed by {@link #replicaPath}, their addresses looked up when a message is sent.
 *
 * <p>Which partitions: on a node's first start, those the bootstrap placement gives it; after that,
 * those with a directory on disk. Replicas are added ({@link #addReplica}, a new learner with an
 * empty log that the leader catches up) and detached ({@link #detachReplica}, after its group has
 * removed it) while the node runs, by membership changes.
 */
public final class NodeRuntime implements AutoCloseable {
  private final ActorSystem<?> system;
  private final NodeId self;
  private final Path dataDir;
  private final SegmentedLog log;
  private final ActorRef<NodeLogWriter.Command> writer;
  /** The same writer, reached directly by the node's replicas (no mailbox hop). */
  private final NodeLogWriter logSink;
  private final io.distkv.raft.Transport transport;
  private final LsmOptions lsmOptions;
  private final RaftOptions raftOptions;
  private final Duration tick;
  private final io.distkv.raft.SnapshotPolicy snapshots;
  /** What every partition's store shares: block cache, memtable budget, the Compactor actor. */
  private final io.distkv.storage.StoreResources storeResources;
  private final io.distkv.raft.LogMemoryBudget logBudget;
  private final ActorRef<io.distkv.storage.Compactor.Command> compactor;
  private final Map<Integer, KvStateMachine> stateMachines = new ConcurrentSkipListMap<>();
  private final Map<Integer, ActorRef<RaftReplica.Command>> replicas = new ConcurrentSkipListMap<>();
  private final Map<Integer, Integer> incarnations = new TreeMap<>();
  /** Replicas that left their group: their actors stay (dormant) so the path stays live for peers. */
  private final Map<Integer, ActorRef<RaftReplica.Command>> dormant = new TreeMap<>();

  /** Path of partition {@code p}'s replica on the node at {@code address} (pekko://system@host:port). */
  public static String replicaPath(String address, int partition) {
    return address + "/system/raft-p" + partition;
  }

  /** Group id of partition {@code p} in the Raft layer. */
  public static String group(int partition) {
    return "p" + partition;
  }

  /**
   * The partitions a node starts with: those with a store directory under {@code dataDir}, plus on
   * a first start ({@code firstBoot}) those {@code placement} gives {@code self}.
   */
  public static Set<Integer> hostedAtStart(Path dataDir, NodeId self, Placement placement, boolean firstBoot)
      throws IOException {
    Set<Integer> hosted = new TreeSet<>();
    if (firstBoot) {
      placement.partitionsOn(self).forEach(p -> hosted.add(p.value()));
    }
    Path dir = dataDir.resolve("partitions");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> entries = Files.list(dir)) {
        entries.map(e -> e.getFileName().toString())
            .filter(n -> n.matches("p\\d{1,4}"))
            .map(n -> Integer.parseInt(n.substring(1)))
            .filter(p -> p < placement.partitionCount())
            .forEach(hosted::add);
      }
    }
    return hosted;
  }

  /**
   * Hosts {@code hosted}; a partition new to this node bootstraps with {@code placement}'s replica
   * set as voters. {@code addresses} is read whenever a Raft message is sent (it may grow), and
   * {@code transportDecorator} wraps the Raft transport (the seam where tests inject faults).
   */
  public NodeRuntime(ActorSystem<?> system, NodeId self, Set<Integer> hosted, Placement placement,
      Map<NodeId, String> addresses, Path dataDir, LsmOptions lsmOptions, RaftOptions raftOptions, Duration tick,
      io.distkv.raft.SnapshotPolicy snapshots, io.distkv.common.config.StorageSettings storage,
      UnaryOperator<io.distkv.raft.Transport> transportDecorator) throws IOException {
    this.system = system;
    this.self = self;
    this.dataDir = dataDir;
    this.lsmOptions = lsmOptions;
    this.raftOptions = raftOptions;
    this.tick = tick;
    this.snapshots = snapshots;
    this.compactor = system.systemActorOf(io.distkv.storage.Compactor.create(storage.compactionThreads(),
        org.apache.pekko.actor.typed.DispatcherSelector.fromConfig(STORAGE_DISPATCHER)), "compactor", Props.empty());
    this.storeResources = new io.distkv.storage.StoreResources(
        new io.distkv.storage.sstable.BlockCache(storage.blockCacheBytes()),
        new io.distkv.storage.WriteBufferManager(storage.writeBufferBudgetBytes()),
        io.distkv.storage.Compactor.scheduler(compactor));
    this.logBudget = new io.distkv.raft.LogMemoryBudget(snapshots.logMemoryBudget());
    this.log = SegmentedLog.open(dataDir.resolve("raft"), 64L << 20, true);
    this.logSink = NodeLogWriter.start(log, "distkv-raft-log-" + self.value());
    this.writer = system.systemActorOf(logSink.behavior(), "raft-log", Props.empty());
    this.transport = transportDecorator.apply(new ActorTransport(system, (peer, group) -> {
      String address = addresses.get(NodeId.of(peer));
      return address == null ? null : replicaPath(address, Integer.parseInt(group.substring(1)));
    }));
    // Read every group's recovered state before the first replica starts: a started replica
    // writes through the log writer thread at once, and reading the log meanwhile raced with it
    // (seen: ConcurrentModificationException at node start).
    Map<String, SegmentedLog.GroupState> recovered = log.groups();
    for (int n : hosted) {
      Set<String> voters = new HashSet<>();
      placement.replicasOf(PartitionId.of(n)).nodes().forEach(id -> voters.add(id.value()));
      start(n, new Configuration(voters, Set.of()), recovered.get(group(n)));
    }
  }

  /** The dispatcher every partition's flushes and compactions run on (common module's reference.conf). */
  public static final String STORAGE_DISPATCHER = "distkv-storage-dispatcher";

  /** The bound on the Raft log memory of every replica of this node. */
  public io.distkv.raft.LogMemoryBudget logBudget() {
    return logBudget;
  }

  /** The node's flush and compaction scheduler (JMX asks it for its queue). */
  public ActorRef<io.distkv.storage.Compactor.Command> compactor() {
    return compactor;
  }

  /** The block cache, memtable budget and scheduler every partition's store shares. */
  public io.distkv.storage.StoreResources storeResources() {
    return storeResources;
  }

  private Path storeDir(int partition) {
    return dataDir.resolve("partitions").resolve(group(partition));
  }

  /** The replica's snapshots being sent or received (same file system as its store: installing one links files). */
  private Path snapshotDir(int partition) {
    return dataDir.resolve("snapshots").resolve(group(partition));
  }

  private void start(int n, Configuration bootstrap, SegmentedLog.GroupState recovered) throws IOException {
    KvStateMachine sm = KvStateMachine.open(storeDir(n), lsmOptions, storeResources);
    int incarnation = incarnations.merge(n, 1, Integer::sum);
    RaftReplica.Settings settings = new RaftReplica.Settings(group(n), self.value(), bootstrap, raftOptions, tick,
        snapshots, snapshotDir(n), (self.value() + n + "/" + incarnation).hashCode(), logBudget);
    ActorRef<RaftReplica.Command> ref = dormant.remove(n);
    if (ref != null) {
      ref.tell(new RaftReplica.Revive(settings, sm)); // the same actor, so peers' cached paths stay good
    } else {
      ref = system.systemActorOf(RaftReplica.create(settings, recovered, sm, transport, logSink), "raft-p" + n,
          Props.empty());
    }
    stateMachines.put(n, sm);
    replicas.put(n, ref);
  }

  /**
   * Starts a replica of {@code partition} with an empty log and no configuration: it is a learner
   * the leader catches up (log or snapshot) once the group adds it. Any leftover store directory
   * of an earlier replica here is wiped first. No-op if the partition is already hosted.
   */
  public synchronized void addReplica(int partition) throws IOException {
    if (replicas.containsKey(partition)) {
      return;
    }
    deleteRecursively(storeDir(partition));
    deleteRecursively(snapshotDir(partition));
    start(partition, new Configuration(Set.of(), Set.of()), null);
    hostedChanged.run();
  }

  /** What {@link #detachReplica} took out of service: retire the actor, then {@link #dropDetached}. */
  public record Detached(int partition, ActorRef<RaftReplica.Command> replica, KvStateMachine stateMachine) {}

  /**
   * Takes {@code partition}'s replica out of the maps (routers stop reading it); null if not
   * hosted. The caller retires the actor ({@link RaftReplica.Retire}); it is kept dormant for a
   * later {@link #addReplica} of the same partition.
   */
  public synchronized Detached detachReplica(int partition) {
    ActorRef<RaftReplica.Command> ref = replicas.remove(partition);
    KvStateMachine sm = stateMachines.remove(partition);
    if (ref == null) {
      return null;
    }
    dormant.put(partition, ref);
    hostedChanged.run();
    return new Detached(partition, ref, sm);
  }

  /** After the detached replica has retired and its group is gone from the log: delete its store. */
  public void dropDetached(Detached d) throws IOException {
    d.stateMachine().closeWithoutFlush();
    deleteRecursively(storeDir(d.partition()));
    deleteRecursively(snapshotDir(d.partition()));
  }

  private volatile Runnable hostedChanged = () -> {};

  /** {@code listener} runs after a replica is added or detached (JMX registrations follow it). */
  public void onHostedChanged(Runnable listener) {
    hostedChanged = listener;
  }

  public ActorRef<NodeLogWriter.Command> logWriter() {
    return writer;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    io.distkv.common.io.Dirs.deleteTree(dir);
  }

  public NodeId self() {
    return self;
  }

  /** The local replicas, by partition number (a live, concurrent view). */
  public Map<Integer, ActorRef<RaftReplica.Command>> replicas() {
    return replicas;
  }

  /** The local stores, by partition number (a live, concurrent view). */
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

  private synchronized void close(boolean flush) throws IOException {
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
