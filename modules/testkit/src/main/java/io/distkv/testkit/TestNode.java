package io.distkv.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.KeyLimits;
import io.distkv.common.NodeId;
import io.distkv.common.config.Remoting;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.RouterCommand;
import io.distkv.raft.transport.FaultyTransport;
import io.distkv.server.NodeRuntime;
import io.distkv.server.NodeServices;
import io.distkv.server.cluster.ClusterMembership;
import io.distkv.server.cluster.NodeDirectory;
import io.distkv.server.router.RequestMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One node of a {@link DistKvTestCluster}: its own ActorSystem ({@code distkv}) on a loopback
 * Artery port, its partitions' Raft replicas and LSM stores under its data directory, and its
 * router at {@link ClientProtocol#ROUTER_PATH}. Stop it and start it again on the same directory to
 * crash and restart it.
 */
public final class TestNode {
  private final DistKvTestCluster cluster;
  private final NodeId id;
  private final int port;
  private final int respPort;
  private final Path dataDir;
  /** Nodes this node's Raft messages and router requests do not reach (cut paths). */
  final Set<String> cutTo = ConcurrentHashMap.newKeySet();
  private ActorSystem<Void> system;
  private NodeRuntime runtime;
  private NodeDirectory directory;
  private io.distkv.server.backup.ClusterBackups backups;
  private FaultyTransport faults;
  private ActorRef<RouterCommand> router;

  /**
   * Membership timings for loopback: gossip and leader actions 5× more often than Pekko's defaults,
   * a first seed that forms the cluster after 1 s alone, and a join retried every second.
   */
  private static final String FAST_MEMBERSHIP = """
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      pekko.cluster.gossip-interval = 200ms
      pekko.cluster.leader-actions-interval = 200ms
      pekko.cluster.periodic-tasks-initial-delay = 100ms
      pekko.cluster.seed-node-timeout = 1s
      pekko.cluster.retry-unsuccessful-join-after = 1s
      """;

  TestNode(DistKvTestCluster cluster, NodeId id, int port, int respPort, Path dataDir) {
    this.cluster = cluster;
    this.id = id;
    this.port = port;
    this.respPort = respPort;
    this.dataDir = dataDir;
  }

  /** The node's RESP port (0 if the cluster was built without {@code resp(...)}). */
  public int respPort() {
    return respPort;
  }

  public String id() {
    return id.value();
  }

  public int port() {
    return port;
  }

  /** "127.0.0.1:port", a client contact point. */
  public String hostPort() {
    return "127.0.0.1:" + port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Starts the node (again) on its data directory: it reopens its stores and Raft log and rejoins. */
  public synchronized void start() {
    if (running()) {
      throw new IllegalStateException("node " + id + " is already running");
    }
    Config config = ConfigFactory.parseString(FAST_MEMBERSHIP)
        .withFallback(ClusterMembership.settings(id, cluster.seeds(), cluster.downUnreachableAfter(), true, respPort))
        .withFallback(Remoting.artery("127.0.0.1", port, cluster.tls().arteryConfig())).withFallback(ConfigFactory.load());
    java.util.concurrent.CompletableFuture<Void> started = new java.util.concurrent.CompletableFuture<>();
    system = ActorSystem.create(Behaviors.setup(ctx -> {
      try {
        java.util.Map<NodeId, String> bootstrapAddresses = new java.util.LinkedHashMap<>(cluster.addresses());
        bootstrapAddresses.put(id, "pekko://" + ClientProtocol.SYSTEM_NAME + "@127.0.0.1:" + port);
        NodeServices services = NodeServices.spawn(ctx, new NodeServices.Wiring(id, cluster.placement(),
            bootstrapAddresses, dataDir, cluster.lsmOptions(), cluster.raftOptions(), cluster.tick(), t -> {
              faults = new FaultyTransport(t);
              return (group, message) -> {
                if (!cutTo.contains(message.to())) {
                  faults.send(group, message);
                }
              };
            }, cluster.requestTimeout(), new RequestMetrics(), KeyLimits.DEFAULT, n -> !cutTo.contains(n.value()),
            cluster.leaderBalanceInterval(), cluster.snapshotPolicy(), cluster.storageSettings()));
        directory = services.directory();
        runtime = services.runtime();
        router = services.router();
        backups = services.backups();
        started.complete(null);
      } catch (IOException | RuntimeException e) {
        started.completeExceptionally(e);
      }
      return Behaviors.<Void>empty();
    }), ClientProtocol.SYSTEM_NAME, config);
    try {
      started.get(60, TimeUnit.SECONDS);
      if (respPort > 0) {
        io.distkv.server.RespFrontDoor.start(system, id.value(), hostPort(), "127.0.0.1",
            new io.distkv.common.config.RespConfig(respPort, cluster.respPassword(), 128, java.time.Duration.ofMinutes(5)),
            cluster.users(), KeyLimits.DEFAULT, cluster.requestTimeout(), cluster.tls().sslContextIfEnabled(), backups);
      }
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("node " + id + " failed to start: " + e.getMessage(), e);
    }
  }

  /** Stops the node: its ActorSystem terminates, then its stores flush and close and its log closes. */
  public synchronized void stop() {
    shutDown(true);
  }

  /**
   * Kills the node: its ActorSystem terminates and its stores are closed without flushing, as a
   * crashed process leaves them; {@link #start()} then recovers by replaying the Raft log.
   */
  public synchronized void kill() {
    shutDown(false);
  }

  private void shutDown(boolean flush) {
    if (!running()) {
      return;
    }
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      if (flush) {
        runtime.close();
      } else {
        runtime.closeWithoutFlush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("node " + id + " did not " + (flush ? "stop" : "die") + " within 30 s; still running:\n"
          + ((org.apache.pekko.actor.ExtendedActorSystem) org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system)).printTree(), e);
    } catch (Exception e) {
      throw new IllegalStateException("node " + id + " did not " + (flush ? "stop" : "die") + ": " + e.getMessage(), e);
    }
  }

  public synchronized boolean running() {
    return system != null && !system.whenTerminated().isCompleted();
  }

  /** The running node's ActorSystem (for probes: {@code TestProbe.create(node.system())}). */
  public ActorSystem<Void> system() {
    return system;
  }

  /** The running node's router. */
  public ActorRef<RouterCommand> router() {
    return router;
  }

  private static final java.util.concurrent.atomic.AtomicLong REQUEST_IDS = new java.util.concurrent.atomic.AtomicLong();

  /** Builds a key request from its id and reply path (the rest is the test's). */
  @FunctionalInterface
  public interface KeyRequestFactory {
    ClientProtocol.KeyRequest make(long id, ActorRef<ClientProtocol.Replies> replyTo);
  }

  /**
   * Sends one key request to this node's router and returns its answer (waiting up to
   * {@code timeout}); no retry and no hint followed: what this node itself answers.
   */
  public ClientProtocol.Reply ask(KeyRequestFactory request, java.time.Duration timeout) {
    long id = REQUEST_IDS.incrementAndGet();
    ClientProtocol.Reply r;
    try {
      r = io.distkv.common.concurrent.Ask.<RouterCommand, ClientProtocol.Replies>ask(router,
          replyTo -> request.make(id, replyTo), timeout, system.scheduler()).get().replies().get(0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError("no answer from " + id() + "'s router within " + timeout.toMillis() + " ms", e.getCause());
    }
    if (r.id() != id) {
      throw new AssertionError("reply for request " + r.id() + ", expected " + id);
    }
    return r;
  }

  /**
   * As {@link #ask}, following NOT_LEADER hints to the leader's node (at most 3 hops), as
   * DistKvClient does: routers neither forward nor retry.
   */
  public ClientProtocol.Reply call(KeyRequestFactory request, java.time.Duration timeout) {
    TestNode via = this;
    for (int hop = 0; ; hop++) {
      ClientProtocol.Reply r = via.ask(request, timeout);
      if (r.code() != io.distkv.common.error.ErrorCode.NOT_LEADER || r.leaderHint() == null || hop == 3) {
        return r;
      }
      via = cluster.node(r.leaderHint());
    }
  }

  /** The running node's partitions, Raft replicas and stores. */
  public NodeRuntime runtime() {
    return runtime;
  }

  /** The running node's view of the placement and of node addresses. */
  public NodeDirectory directory() {
    return directory;
  }

  /** The Raft transport's fault controls (drop, duplicate rates) for messages this node sends. */
  public FaultyTransport faults() {
    return faults;
  }

  @Override
  public String toString() {
    return id.value() + "@" + hostPort() + (running() ? "" : " (stopped)");
  }
}
