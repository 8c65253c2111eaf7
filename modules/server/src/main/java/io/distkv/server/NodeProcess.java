package io.distkv.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.NodeId;
import io.distkv.common.config.NodeConfig;
import io.distkv.common.config.Remoting;
import io.distkv.common.lifecycle.NodeLifecycle;
import io.distkv.common.lifecycle.NodeState;
import io.distkv.common.placement.Placement;
import io.distkv.common.placement.PlacementFunction;
import io.distkv.raft.core.RaftOptions;
import io.distkv.server.cluster.ClusterMembership;
import io.distkv.server.jmx.DistKvMBeans;
import io.distkv.server.router.RequestMetrics;
import io.distkv.storage.LsmOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running dist-kv node process. Each <em>incarnation</em> is one ActorSystem ({@code distkv} on
 * the node's Artery address, a Pekko Cluster member) with the node's partitions (Raft replica +
 * LSM store each), its router at {@code /user/router} and its leader balancer; the node's JMX
 * connector, lifecycle and request metrics outlive incarnations.
 *
 * <p>Lifecycle follows membership: STARTING until this incarnation is an {@code Up} member, then
 * RUNNING. When the split-brain resolver downs the node (it was on the minority side of a
 * partition, or unreachable for {@code distkv.cluster.down-unreachable-after}), Pekko shuts the
 * incarnation down; the node then flushes and closes its stores and starts a new incarnation on
 * the same data, which serves what it can (eventual reads; Raft as soon as peers answer) and
 * rejoins the membership through the seed nodes once they are reachable. SIGTERM leaves the
 * cluster gracefully, flushes and closes every store and the Raft log, then lets the JVM exit.
 */
public final class NodeProcess {
  private static final Logger log = LoggerFactory.getLogger(NodeProcess.class);

  /**
   * Pause between a downed incarnation's end and the next one's start, so that peers and clients
   * see the old incarnation's connections close before the same address answers with a new UID
   * (Artery then re-handshakes cleanly).
   */
  private static final Duration RESTART_DELAY = Duration.ofSeconds(2);
  private static final int RESTART_ATTEMPTS = 5;

  private final NodeConfig config;
  private final Config raw;
  private final NodeLifecycle lifecycle;
  private final io.distkv.server.metrics.NodeMetrics nodeMetrics;
  private final RequestMetrics metrics;
  private io.distkv.server.metrics.NodeHttp http;
  /** The node's SSL context for HTTPS, remote JMX and RESP (null: distkv.tls is off), built once from its files. */
  private final javax.net.ssl.SSLContext tls;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private volatile boolean stopping;
  private volatile Incarnation current;
  private int incarnations;
  private DistKvMBeans.RemoteConnector jmx;
  /** The verifier's partition switch, when {@code distkv.test.fault-injection} is on; else null. */
  private io.distkv.server.jmx.FaultInjection faults;

  /** One ActorSystem's worth of the node. */
  private record Incarnation(int number, ActorSystem<Void> system, NodeRuntime runtime, DistKvMBeans mbeans) {}

  private NodeProcess(NodeConfig config, Config raw) {
    this.config = config;
    this.tls = config.tls().sslContextIfEnabled();
    this.raw = raw;
    this.lifecycle = new NodeLifecycle(config.nodeId().value());
    this.nodeMetrics = new io.distkv.server.metrics.NodeMetrics(config.nodeId().value());
    this.metrics = new RequestMetrics(nodeMetrics.registry());
    lifecycle.addListener((from, to) -> log.info("node {}: {} -> {}", config.nodeId(), from, to));
  }

  /** Every partition store's options, from {@code distkv.storage.*} and the key/value limits. */
  public static LsmOptions lsmOptions(NodeConfig config) {
    io.distkv.common.config.StorageSettings s = config.storage();
    return LsmOptions.builder().limits(config.limits()).writeBufferBytes(s.writeBufferBytes())
        .compression(s.lz4() ? io.distkv.storage.Compression.LZ4 : io.distkv.storage.Compression.NONE)
        .bloomBitsPerKey(s.bloomBitsPerKey()).build();
  }

  /**
   * Starts the node's first incarnation, its remote JMX connector (if a port is configured) and a
   * JVM shutdown hook that stops it cleanly.
   */
  public static NodeProcess start(NodeConfig config, Config raw) {
    NodeProcess p = new NodeProcess(config, raw);
    if (config.faultInjection()) {
      try {
        p.faults = io.distkv.server.jmx.FaultInjection.register(config.nodeId().value());
        log.warn("node {}: TEST-ONLY fault injection is on (message paths can be cut over JMX)", config.nodeId());
      } catch (Exception e) {
        throw new IllegalStateException("node " + config.nodeId() + ": registering the fault-injection MBean failed", e);
      }
    }
    p.startIncarnation(true);
    if (config.httpPort() > 0) {
      p.http = io.distkv.server.metrics.NodeHttp.start(config.host(), config.httpPort(), config.nodeId().value(),
          p.nodeMetrics, p.tls);
    }
    if (config.jmxPort() > 0) {
      try {
        p.jmx = DistKvMBeans.serveRemote(config.host(), config.jmxPort(), config.users(), p.tls);
        log.info("node {}: JMX at {}", config.nodeId(), p.jmx.url());
      } catch (Exception e) {
        log.error("node {}: remote JMX on port {} failed", config.nodeId(), config.jmxPort(), e);
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(p::stop, "distkv-shutdown"));
    return p;
  }

  public NodeLifecycle lifecycle() {
    return lifecycle;
  }

  /** The current incarnation's ActorSystem. */
  public ActorSystem<Void> system() {
    return current.system();
  }

  /**
   * Stops the node: leaves the cluster, terminates the ActorSystem, flushes and closes every
   * store and the Raft log. Waits up to a minute.
   */
  public void stop() {
    stopping = true;
    Incarnation inc = current;
    if (inc != null) {
      synchronized (lifecycle) {
        NodeState s = lifecycle.state();
        if (s == NodeState.STARTING || s == NodeState.RUNNING) {
          lifecycle.beginStop();
        }
      }
      CoordinatedShutdown.get(Adapter.toClassic(inc.system())).run(CoordinatedShutdown.jvmExitReason());
    }
    try {
      stopped.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.error("node {} did not close cleanly", config.nodeId(), e);
    }
    if (jmx != null) {
      jmx.close();
    }
    if (http != null) {
      http.close();
    }
  }

  /**
   * Starts the next incarnation. A failed start is FAILED for good only if {@code lastAttempt};
   * otherwise the node stays STARTING for the caller to try again.
   */
  private synchronized void startIncarnation(boolean lastAttempt) {
    int number = ++incarnations;
    if (lifecycle.state() != NodeState.STARTING) {
      lifecycle.beginStart();
    }
    Map<NodeId, String> addresses = new LinkedHashMap<>();
    for (NodeConfig.Member m : config.members()) {
      addresses.put(m.id(), "pekko://distkv@" + m.host() + ":" + m.port());
    }
    addresses.put(config.nodeId(), "pekko://distkv@" + config.host() + ":" + config.port()); // a joining node too
    java.util.Set<NodeId> bootstrapMembers = new java.util.TreeSet<>();
    config.members().forEach(m -> bootstrapMembers.add(m.id()));
    Placement placement = PlacementFunction.initial(bootstrapMembers, config.placement());
    Config pekko = ConfigFactory.parseString("""
            pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            pekko.remote.artery.advanced.test-mode = %s
            distkv-storage-dispatcher.thread-pool-executor.fixed-pool-size = %d
            """.formatted(faults != null ? "on" : "off", config.storage().compactionThreads()))
        .withFallback(Remoting.artery(config.host(), config.port(), config.tls().arteryConfig().withFallback(raw)
            .withFallback(ClusterMembership.settings(config.nodeId(), config.seedNodes(), config.downUnreachableAfter(),
                false, config.resp().port()))))
        .withFallback(ConfigFactory.load());
    // One Raft tick per heartbeat interval; the election timeout and the lease in ticks of it.
    Duration tick = config.heartbeatInterval();
    RaftOptions electionsOnly = RaftOptions.defaults().withElectionTicks(config.electionTicks())
        .withInflightBytesForHeap(Runtime.getRuntime().maxMemory());
    RaftOptions raftOptions = config.leaseReads() ? electionsOnly.withLeaseReads(config.leaseTicks()) : electionsOnly;
    CompletableFuture<NodeServices> started = new CompletableFuture<>();
    ActorSystem<Void> system;
    try {
      system = ActorSystem.create(Behaviors.setup(ctx -> {
        try {
          NodeServices services = NodeServices.spawn(ctx, new NodeServices.Wiring(config.nodeId(), placement, addresses,
              config.dataDir(), lsmOptions(config), raftOptions, tick, t -> t,
              config.requestTimeout(), metrics, config.limits(), n -> true, config.leaderBalanceInterval(),
              new io.distkv.raft.SnapshotPolicy(config.snapshotEntries(), config.snapshotBytes(),
                  config.snapshotBytesPerSecond(), config.raftLogMemoryBudget()), config.storage()));
          started.complete(services);
        } catch (Exception e) {
          started.completeExceptionally(e);
        }
        return Behaviors.<Void>empty();
      }), "distkv", pekko);
    } catch (RuntimeException e) { // e.g. the Artery port still bound by the ended incarnation
      failStart(lastAttempt, e);
      throw e;
    }
    NodeServices services;
    try {
      services = started.get(60, TimeUnit.SECONDS); // the guardian opens the stores and logs
    } catch (Exception e) {
      system.terminate();
      failStart(lastAttempt, e);
      throw new IllegalStateException("node " + config.nodeId() + " failed to start: " + e.getMessage(), e);
    }
    NodeRuntime runtime = services.runtime();
    DistKvMBeans mbeans = null;
    try {
      mbeans = new DistKvMBeans(system, runtime, lifecycle, metrics);
    } catch (Exception e) {
      log.error("node {}: registering MBeans failed", config.nodeId(), e);
    }
    if (faults != null) {
      faults.attach(system);
    }
    if (config.resp().enabled()) {
      try {
        RespFrontDoor.start(system, config.nodeId().value(), config.host() + ":" + config.port(), config.host(),
            config.resp(), config.users(), config.limits(), config.requestTimeout(), tls, services.backups());
      } catch (RuntimeException e) {
        system.terminate();
        try {
          if (mbeans != null) {
            mbeans.close();
          }
          runtime.close(); // a retry opens the stores again
        } catch (Exception closing) {
          e.addSuppressed(closing);
        }
        failStart(lastAttempt, e);
        throw new IllegalStateException("node " + config.nodeId() + " failed to start: " + e.getMessage(), e);
      }
    }
    Incarnation inc = new Incarnation(number, system, runtime, mbeans);
    current = inc;
    nodeMetrics.attach(system, runtime, lifecycle);
    Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> {
      synchronized (lifecycle) {
        if (current == inc && lifecycle.state() == NodeState.STARTING) {
          lifecycle.markRunning();
        }
      }
      log.info("node {} (incarnation {}) is an Up member of the cluster", config.nodeId(), number);
    });
    system.getWhenTerminated().thenRun(() -> new Thread(() -> onTerminated(inc), "distkv-incarnation-end").start());
    log.info("node {} started at {}:{} (incarnation {}), hosting {} of {} partitions, data in {}; joining seeds {}",
        config.nodeId(), config.host(), config.port(), number, runtime.replicas().size(), placement.partitionCount(),
        config.dataDir(), config.seedNodes());
    String tooLarge = storageBeyondHeap(config.storage(), config.raftLogMemoryBudget(), Runtime.getRuntime().maxMemory());
    if (tooLarge != null) {
      log.warn("node {}: {}", config.nodeId(), tooLarge);
    }
  }

  private void failStart(boolean lastAttempt, Exception e) {
    if (lastAttempt) {
      lifecycle.markFailed(e);
    }
  }

  /**
   * Why the memory budgets do not fit {@code maxHeap} (they may take more than half of it: block
   * cache, twice the memtable budget, the Raft log budget), or null if they fit.
   */
  public static String storageBeyondHeap(io.distkv.common.config.StorageSettings s, long raftLogBudget, long maxHeap) {
    long total = s.blockCacheBytes() + 2 * s.writeBufferBudgetBytes() + raftLogBudget;
    if (total <= maxHeap / 2) {
      return null;
    }
    return String.format("distkv.storage.block-cache-size + 2 × distkv.storage.write-buffer-budget +"
        + " distkv.raft.log-memory-budget = %d MiB is more than half the heap (%d MiB): lower them or raise -Xmx,"
        + " or the node may run out of memory under load", total >> 20, maxHeap >> 20);
  }

  /** The incarnation's ActorSystem has terminated: close its stores, then restart or finish. */
  private void onTerminated(Incarnation inc) {
    CoordinatedShutdown.Reason reason = CoordinatedShutdown.get(Adapter.toClassic(inc.system())).getShutdownReason()
        .orElse(CoordinatedShutdown.unknownReason());
    synchronized (lifecycle) {
      NodeState s = lifecycle.state();
      if (s == NodeState.STARTING || s == NodeState.RUNNING) {
        lifecycle.beginStop();
      }
    }
    try {
      if (inc.mbeans() != null) {
        inc.mbeans().close();
      }
      inc.runtime().close(); // flushes every partition's store, closes the Raft log
      synchronized (lifecycle) {
        lifecycle.markStopped();
      }
    } catch (Exception e) {
      log.error("closing node {} failed", config.nodeId(), e);
      lifecycle.markFailed(e);
      stopped.complete(null);
      return;
    }
    if (stopping) {
      stopped.complete(null);
    } else if (reason.equals(CoordinatedShutdown.clusterDowningReason())) {
      log.warn("node {} was downed by the cluster's split-brain resolver; restarting in-process on the same data "
          + "and rejoining through the seeds {}", config.nodeId(), config.seedNodes());
      restartAfterDowning();
    } else if (reason.equals(CoordinatedShutdown.clusterLeavingReason())) {
      log.info("node {} left the cluster (asked through the Cluster MBean); the process exits", config.nodeId());
      exit(0);
    } else {
      log.error("node {}: its ActorSystem terminated unexpectedly ({}); the process exits", config.nodeId(), reason);
      exit(1);
    }
  }

  /**
   * Starts the next incarnation after a pause; a failed start (the Artery port not yet released by
   * the ended incarnation, say) is retried {@link #RESTART_ATTEMPTS} times before the process exits.
   */
  private void restartAfterDowning() {
    for (int attempt = 1; ; attempt++) {
      try {
        Thread.sleep(RESTART_DELAY.toMillis() * attempt);
        startIncarnation(attempt == RESTART_ATTEMPTS);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exit(1);
        return;
      } catch (RuntimeException e) {
        if (attempt == RESTART_ATTEMPTS) {
          log.error("node {}: restart after downing failed {} times; the process exits", config.nodeId(), attempt, e);
          exit(1);
          return;
        }
        log.warn("node {}: restart after downing failed (attempt {} of {}), retrying: {}", config.nodeId(), attempt,
            RESTART_ATTEMPTS, e.toString());
      }
    }
  }

  private void exit(int status) {
    stopped.complete(null);
    new Thread(() -> System.exit(status), "distkv-exit").start();
  }
}
