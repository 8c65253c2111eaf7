package io.distkv.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.config.Remoting;
import io.distkv.common.NodeId;
import io.distkv.common.config.ConfigValidationException;
import io.distkv.common.config.NodeConfig;
import io.distkv.common.lifecycle.NodeLifecycle;
import io.distkv.common.lifecycle.NodeState;
import io.distkv.common.placement.Placement;
import io.distkv.common.placement.PlacementFunction;
import io.distkv.raft.core.RaftOptions;
import io.distkv.server.router.Router;
import io.distkv.storage.LsmOptions;
import java.io.File;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node executable: {@code java -jar distkv-server.jar -c conf/node1.conf}. Reads and validates
 * the node's HOCON, starts its ActorSystem on the configured Artery address, hosts the partitions
 * the placement function assigns it (Raft replica + LSM store each) and a router at
 * {@code /user/router}. SIGTERM runs Pekko's coordinated shutdown, which closes the stores
 * (flushing them) and the Raft log.
 */
public final class DistKvNode {
  private static final Logger log = LoggerFactory.getLogger(DistKvNode.class);

  private DistKvNode() {}

  static final String USAGE = """
      usage: java -jar distkv-server.jar -c <node.conf>
             (or -Dconfig.file=<node.conf>)

      Starts one dist-kv node. The file's `distkv` block configures it; every key, its default and
      its meaning are in reference.conf (README "Configuration"). Example: conf/node1.conf.
      """;

  public static void main(String[] args) {
    String file = System.getProperty("config.file");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-h", "--help" -> {
          System.out.print(USAGE);
          return;
        }
        case "-c", "--config" -> {
          if (i + 1 >= args.length) {
            fail("-c needs a file name");
          }
          file = args[++i];
        }
        default -> fail("unknown argument '" + args[i] + "'");
      }
    }
    if (file == null) {
      fail("no configuration given");
    }
    if (!new File(file).isFile()) {
      fail("configuration file " + file + " does not exist");
    }
    Config raw = ConfigFactory.parseFile(new File(file));
    NodeConfig config;
    try {
      config = NodeConfig.from(raw);
    } catch (ConfigValidationException e) {
      System.err.println("dist-kv: " + file + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    start(config, raw);
  }

  private static void fail(String why) {
    System.err.println("dist-kv: " + why + "\n\n" + USAGE);
    System.exit(2);
  }

  /** Starts a node; returns its ActorSystem (terminated by SIGTERM or {@code terminate()}). */
  public static ActorSystem<Void> start(NodeConfig config, Config raw) {
    NodeLifecycle lifecycle = new NodeLifecycle(config.nodeId().value());
    lifecycle.addListener((from, to) -> log.info("node {}: {} -> {}", config.nodeId(), from, to));
    lifecycle.beginStart();
    Map<NodeId, String> addresses = new LinkedHashMap<>();
    for (NodeConfig.Member m : config.members()) {
      addresses.put(m.id(), "pekko://distkv@" + m.host() + ":" + m.port());
    }
    Placement placement = PlacementFunction.initial(addresses.keySet(), config.placement());
    Config pekko = ConfigFactory.parseString("pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]")
        .withFallback(Remoting.artery(config.host(), config.port(), raw)).withFallback(ConfigFactory.load());
    int electionTicks = 10;
    Duration tick = config.electionTimeout().dividedBy(electionTicks);
    RaftOptions raftOptions = config.leaseReads()
        ? RaftOptions.defaults().withLeaseReads(electionTicks - 2) // drift margin: 2 of 10 ticks
        : RaftOptions.defaults();
    NodeRuntime[] runtime = new NodeRuntime[1];
    java.util.concurrent.CompletableFuture<NodeRuntime> started = new java.util.concurrent.CompletableFuture<>();
    io.distkv.server.router.RequestMetrics metrics = new io.distkv.server.router.RequestMetrics();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
      runtime[0] = new NodeRuntime(ctx.getSystem(), config.nodeId(), placement, addresses, config.dataDir(),
          LsmOptions.builder().limits(config.limits()).build(), raftOptions, tick);
      ctx.spawn(Router.create(config.nodeId(), placement, addresses, runtime[0].stateMachines(), config.requestTimeout(),
          metrics, config.limits(), n -> true), "router");
      if (!config.leaderBalanceInterval().isZero()) {
        ctx.spawn(LeaderBalancer.create(config.nodeId(), placement, runtime[0].replicas(), config.leaderBalanceInterval()),
            "leader-balancer");
      }
      started.complete(runtime[0]);
      return Behaviors.<Void>empty();
    }), "distkv", pekko);
    try {
      started.get(60, java.util.concurrent.TimeUnit.SECONDS); // the guardian opens the stores and logs
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("node " + config.nodeId() + " failed to start: " + e.getMessage(), e);
    }
    try {
      io.distkv.server.jmx.DistKvMBeans mbeans = new io.distkv.server.jmx.DistKvMBeans(system, runtime[0], lifecycle, metrics);
      if (config.jmxPort() > 0) {
        mbeans.serveRemote(config.host(), config.jmxPort());
        log.info("node {}: JMX at service:jmx:rmi:///jndi/rmi://{}:{}/jmxrmi", config.nodeId(), config.host(), config.jmxPort());
      }
    } catch (Exception e) {
      log.error("node {}: JMX setup failed", config.nodeId(), e);
    }
    CoordinatedShutdown.get(system).addJvmShutdownHook(() -> {
      if (lifecycle.state() == NodeState.RUNNING) {
        lifecycle.beginStop();
      }
    });
    java.util.concurrent.CompletableFuture<Void> closed = system.getWhenTerminated().toCompletableFuture().thenRun(() -> {
      try {
        if (runtime[0] != null) {
          runtime[0].close(); // flushes every partition's store, closes the Raft log
        }
        if (lifecycle.state() == NodeState.STOPPING) {
          lifecycle.markStopped();
        }
      } catch (Exception e) {
        log.error("closing node {} failed", config.nodeId(), e);
        lifecycle.markFailed(e);
      }
    });
    // SIGTERM: keep the JVM alive until the stores are flushed and closed.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      system.terminate();
      try {
        closed.get(60, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        log.error("node {} did not close cleanly", config.nodeId(), e);
      }
    }, "distkv-shutdown"));
    lifecycle.markRunning();
    log.info("node {} running at {}:{}, hosting {} of {} partitions, data in {}", config.nodeId(), config.host(),
        config.port(), placement.partitionsOn(config.nodeId()).size(), placement.partitionCount(), config.dataDir());
    return system;
  }
}
