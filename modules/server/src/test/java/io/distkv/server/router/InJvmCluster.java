package io.distkv.server.router;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.config.Remoting;
import io.distkv.common.NodeId;
import io.distkv.common.placement.Placement;
import io.distkv.common.placement.PlacementFunction;
import io.distkv.common.placement.PlacementSettings;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.transport.FaultyTransport;
import io.distkv.server.NodeRuntime;
import io.distkv.storage.LsmOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;

/** N nodes, each its own ActorSystem on a loopback Artery port, with a NodeRuntime and a Router. */
final class InJvmCluster implements AutoCloseable {
  final class Node {
    final NodeId id;
    final int port;
    ActorTestKit kit;
    NodeRuntime runtime;
    ActorRef<Router.Command> router;
    FaultyTransport faults;

    Node(NodeId id, int port) {
      this.id = id;
      this.port = port;
    }

    void start() throws IOException {
      Config config = ConfigFactory.parseString("pekko.actor.testkit.typed.single-expect-default = 10s")
          .withFallback(Remoting.artery("127.0.0.1", port)).withFallback(ConfigFactory.load());
      kit = ActorTestKit.create("distkv", config);
      runtime = new NodeRuntime(kit.system(), id, placement, addresses, dir.resolve(id.value()),
          LsmOptions.defaults(), RaftOptions.defaults(), Duration.ofMillis(50), t -> faults = new FaultyTransport(t));
      router = kit.spawn(Router.create(id, placement, addresses, runtime.stateMachines(), Duration.ofSeconds(5)), "router");
    }

    void stop() throws IOException {
      kit.shutdownTestKit();
      runtime.close();
    }

    boolean running() {
      return kit != null && !kit.system().whenTerminated().isCompleted();
    }
  }

  final Path dir;
  final Placement placement;
  final Map<NodeId, String> addresses = new TreeMap<>();
  final Map<NodeId, Node> nodes = new LinkedHashMap<>();

  InJvmCluster(int size, int partitions, Path dir) throws IOException {
    this.dir = dir;
    for (int i = 1; i <= size; i++) {
      NodeId id = NodeId.of("node" + i);
      Node n = new Node(id, freePort());
      nodes.put(id, n);
      addresses.put(id, "pekko://distkv@127.0.0.1:" + n.port);
    }
    this.placement = PlacementFunction.initial(nodes.keySet(), new PlacementSettings(partitions, 3, 150));
    for (Node n : nodes.values()) {
      n.start();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  Node node(int i) {
    return nodes.get(NodeId.of("node" + i));
  }

  @Override
  public void close() throws IOException {
    for (Node n : nodes.values()) {
      if (n.running()) {
        n.stop();
      }
    }
  }
}
