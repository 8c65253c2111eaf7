package io.distkv.verify;

import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.common.config.NodeConfig;
import io.distkv.common.io.FreePorts;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.PartitionState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * dist-kv node processes on loopback, as {@code make run} starts them (the node main with a HOCON
 * file each), on free ports in a work directory: {@code nodeN.conf}, {@code nodeN.log}, {@code
 * nodeN.pid} and {@code data-nodeN/}. Kills (SIGKILL), freezes (SIGSTOP), thaws (SIGCONT) and
 * restarts them. {@link #close()} thaws and stops every node; a JVM shutdown hook does the same if
 * the run is interrupted.
 */
public final class NodeCluster implements AutoCloseable {
  /** How to start one node: the command up to (not including) {@code -c FILE}. */
  private final List<String> launch;
  private final Path dir;
  private final int size;
  private final List<Integer> ports = new ArrayList<>();
  private final List<Integer> jmxPorts = new ArrayList<>();
  private final List<Integer> respPorts = new ArrayList<>();
  private final List<Integer> httpPorts = new ArrayList<>();
  private final Process[] processes;
  private final boolean[] paused;
  private final Thread shutdownHook = new Thread(this::close, "verify-node-cleanup");
  private volatile boolean closed;

  /**
   * @param launch the command that starts a node, without its {@code -c FILE} arguments
   * @param dir work directory (created)
   * @param size node count
   * @param extraConfig HOCON appended to every node's file (under or beside {@code distkv})
   */
  public NodeCluster(List<String> launch, Path dir, int size, String extraConfig) {
    this(launch, dir, size, size, extraConfig);
  }

  /**
   * As above, but only the first {@code members} nodes are listed in {@code distkv.cluster.members};
   * the others are joining nodes: they join the membership when started and hold nothing until an
   * {@code add-node} places replicas on them.
   */
  public NodeCluster(List<String> launch, Path dir, int size, int members, String extraConfig) {
    if (size < 1 || members < 1 || members > size) {
      throw new IllegalArgumentException("a cluster needs 1..size members and at least one node, not " + members
          + " of " + size);
    }
    this.launch = List.copyOf(launch);
    this.dir = dir;
    this.size = size;
    this.processes = new Process[size];
    this.paused = new boolean[size];
    try {
      Files.createDirectories(dir);
      for (int i = 0; i < size; i++) {
        ports.add(FreePorts.next());
        jmxPorts.add(FreePorts.next());
        respPorts.add(FreePorts.next());
        httpPorts.add(FreePorts.next());
      }
      List<String> memberList = new ArrayList<>();
      for (int i = 0; i < members; i++) {
        memberList.add("\"" + id(i) + "@127.0.0.1:" + ports.get(i) + "\"");
      }
      for (int i = 0; i < size; i++) {
        Files.writeString(conf(i), """
            # Written by the verifier (modules/verify NodeCluster): node %d of %d on loopback. Test-only
            # fault injection lets the verifier cut message paths over JMX (docs/verification.md).
            distkv {
              node { id = "%s", host = "127.0.0.1", port = %d, jmx-port = %d, resp-port = %d, http-port = %d, data-dir = "%s" }
              cluster.members = [%s]
              test.fault-injection = on
            }
            %s
            """.formatted(i + 1, size, id(i), ports.get(i), jmxPorts.get(i), respPorts.get(i), httpPorts.get(i), dir.resolve("data-" + id(i)).toAbsolutePath(),
            String.join(", ", memberList), extraConfig));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the node directory " + dir, e);
    }
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** The command that runs the packaged node jar, as scripts/start-cluster.sh does. */
  public static List<String> jarLaunch(Path serverJar, String heap) {
    return List.of(javaBinary(), "-Xmx" + heap, "-Dslf4j.internal.verbosity=ERROR", "-jar", serverJar.toString());
  }

  /** The command that runs the node main from a class path (tests: the reactor's classes). */
  public static List<String> classPathLaunch(String classPath, String heap) {
    return List.of(javaBinary(), "-Xmx" + heap, "-Dslf4j.internal.verbosity=ERROR", "-cp", classPath,
        "io.distkv.server.DistKvNode");
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public int size() {
    return size;
  }

  public static String id(int node) {
    return "node" + (node + 1);
  }

  public Path dir() {
    return dir;
  }

  private Path conf(int node) {
    return dir.resolve(id(node) + ".conf");
  }

  public List<String> contactPoints() {
    return ports.stream().map(p -> "127.0.0.1:" + p).toList();
  }

  /** Starts every node. */
  public void startAll() {
    for (int i = 0; i < size; i++) {
      start(i);
    }
  }

  /** Starts (or restarts, on its data directory) node {@code node}; its log is appended to. */
  public synchronized void start(int node) {
    if (processes[node] != null && processes[node].isAlive()) {
      throw new IllegalStateException(id(node) + " is already running (pid " + processes[node].pid() + ")");
    }
    List<String> cmd = new ArrayList<>(launch);
    cmd.add(1, "-D" + NodeConfig.ALLOW_FAULT_INJECTION + "=true");
    cmd.add("-c");
    cmd.add(conf(node).toString());
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(id(node) + ".log").toFile())).start();
      processes[node] = p;
      paused[node] = false;
      Files.writeString(dir.resolve(id(node) + ".pid"), p.pid() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + id(node) + " with " + cmd, e);
    }
  }

  /** {@code kill -9}: the node dies at once, without flushing anything. */
  public synchronized void kill(int node) {
    Process p = processes[node];
    if (p == null) {
      return;
    }
    p.destroyForcibly(); // SIGKILL
    try {
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    paused[node] = false;
  }

  /** {@code kill -STOP}: the node freezes (every thread, timers included). */
  public synchronized void pause(int node) {
    signal(node, "STOP");
    paused[node] = true;
  }

  /** {@code kill -CONT}. */
  public synchronized void resume(int node) {
    signal(node, "CONT");
    paused[node] = false;
  }

  public synchronized boolean isRunning(int node) {
    return processes[node] != null && processes[node].isAlive();
  }

  private void signal(int node, String signal) {
    Process p = processes[node];
    if (p == null || !p.isAlive()) {
      return;
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + p.pid() + " (" + id(node) + ") failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill -" + signal, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The Artery address of node {@code node}, {@code host:port}. */
  public String address(int node) {
    return "127.0.0.1:" + ports.get(node);
  }

  /**
   * Cuts the message paths between nodes {@code a} and {@code b}, both ways, on both sides (each
   * node's Artery drops what it would send to or receive from the other).
   */
  public void cut(int a, int b) {
    faultInjection(a, "blackhole", address(b));
    faultInjection(b, "blackhole", address(a));
  }

  /** Heals every cut path of every running node. */
  public void healNetwork() {
    for (int i = 0; i < size; i++) {
      if (isRunning(i)) {
        faultInjection(i, "healAll", null);
      }
    }
  }

  /**
   * Calls the node's fault-injection MBean over remote JMX, retrying for up to 60 s (a node just
   * restarted serves JMX a few seconds after its process starts).
   */
  private void faultInjection(int node, String operation, String peer) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        try (javax.management.remote.JMXConnector c = jmx(node)) {
          javax.management.ObjectName name = new javax.management.ObjectName("io.distkv:type=FaultInjection,name=" + id(node));
          if (peer == null) {
            c.getMBeanServerConnection().invoke(name, operation, new Object[0], new String[0]);
          } else {
            c.getMBeanServerConnection().invoke(name, operation, new Object[] {peer}, new String[] {String.class.getName()});
          }
          return;
        }
      } catch (Exception e) {
        last = e;
        try {
          Thread.sleep(250);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    throw new IllegalStateException(operation + (peer == null ? "" : " " + peer) + " on " + id(node) + " over JMX failed: "
        + last, last);
  }

  /**
   * Whether node {@code viewer}'s Pekko Cluster lists every node of this cluster as a member and none as
   * unreachable (a killed incarnation stays an unreachable member until it is downed), over JMX.
   */
  public boolean seesEveryNodeReachable(int viewer) {
    String members = (String) jmxAttribute(viewer, "pekko:type=Cluster", "Members");
    String unreachable = (String) jmxAttribute(viewer, "pekko:type=Cluster", "Unreachable");
    for (int i = 0; i < size; i++) {
      if (!members.contains(address(i))) {
        return false;
      }
    }
    return unreachable.isEmpty();
  }

  /** An attribute of an MBean of node {@code node}, over its remote JMX (e.g. Pekko's {@code pekko:type=Cluster}). */
  public Object jmxAttribute(int node, String objectName, String attribute) {
    try {
      try (javax.management.remote.JMXConnector c = jmx(node)) {
        return c.getMBeanServerConnection().getAttribute(new javax.management.ObjectName(objectName), attribute);
      }
    } catch (Exception e) {
      throw new IllegalStateException("JMX " + objectName + " " + attribute + " of " + id(node) + ": " + e, e);
    }
  }

  /** A connection to node {@code node}'s remote JMX; the caller closes it. */
  private javax.management.remote.JMXConnector jmx(int node) throws java.io.IOException {
    return javax.management.remote.JMXConnectorFactory.connect(new javax.management.remote.JMXServiceURL(
        "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPorts.get(node) + "/jmxrmi"));
  }

  /** Node {@code node}'s HTTP port: /metrics, /health, /ready (docs/operations.md). */
  public int httpPort(int node) {
    return httpPorts.get(node);
  }

  /** Node {@code node}'s Redis-protocol port (docs/resp.md). */
  public int respPort(int node) {
    return respPorts.get(node);
  }

  /** Client settings that reach this cluster. */
  public ClientSettings clientSettings(Duration requestTimeout, Duration attemptTimeout) {
    return ClientSettings.builder().contactPoints(contactPoints()).requestTimeout(requestTimeout)
        .attemptTimeout(attemptTimeout).build();
  }

  /**
   * Waits until a client connects and every partition reports an active leader, then until every
   * running node's /ready answers 200 (its RESP and HTTP servers start after its partitions, so
   * a cluster whose leaders answer may not serve RESP yet); throws naming what was last seen when
   * {@code within} passes.
   */
  public void awaitReady(Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    awaitLeaders(within, deadline);
    for (int i = 0; i < size; i++) {
      if (isRunning(i) && !paused[i]) {
        awaitReadyStatus(i, 200, within, deadline);
      }
    }
  }

  /**
   * Polls node {@code node}'s /ready until it answers {@code status} (200 ready, 503 not) and
   * returns that answer; throws naming the last answer when {@code within} passes.
   */
  public java.net.http.HttpResponse<String> awaitReadyStatus(int node, int status, Duration within) {
    return awaitReadyStatus(node, status, within, System.nanoTime() + within.toNanos());
  }

  private java.net.http.HttpResponse<String> awaitReadyStatus(int node, int status, Duration within, long deadline) {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + httpPorts.get(node) + "/ready")).timeout(Duration.ofSeconds(5)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == status) {
          return r;
        }
        last = r.statusCode() + " " + r.body();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + id(node), e);
      } catch (IOException e) {
        last = e.toString();
      }
      pauseBriefly();
    }
    throw new IllegalStateException(id(node) + " in " + dir + ": /ready did not answer " + status + " within "
        + within.toSeconds() + " s; last: " + last + " (see " + dir + "/" + id(node) + ".log)");
  }

  private static void pauseBriefly() {
    try {
      Thread.sleep(200); // polling a node with a deadline
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitLeaders(Duration within, long deadline) {
    String last = "no node answered";
    while (System.nanoTime() < deadline) {
      try (DistKvClient client = DistKvClient.connect(clientSettings(Duration.ofSeconds(3), Duration.ofSeconds(1)))) {
        while (System.nanoTime() < deadline) {
          ClusterInfo info = client.clusterInfo().toCompletableFuture().get(5, TimeUnit.SECONDS);
          long active = info.partitions().stream().filter(p -> p.state() == PartitionState.ACTIVE).count();
          if (active == info.partitionCount()) {
            return;
          }
          last = active + " of " + info.partitionCount() + " partitions have a leader";
          Thread.sleep(200);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the cluster", e);
      } catch (Exception e) {
        last = e.getMessage();
      }
    }
    throw new IllegalStateException("the cluster in " + dir + " was not ready within " + within.toSeconds() + " s: "
        + last + " (see " + dir + "/node*.log)");
  }

  /** Thaws and stops every node (SIGTERM, then SIGKILL after 15 s). Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = 0; i < size; i++) {
      if (paused[i]) {
        signal(i, "CONT");
      }
      if (processes[i] != null) {
        processes[i].destroy();
      }
    }
    for (Process p : processes) {
      if (p == null) {
        continue;
      }
      try {
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // already shutting down: this is the hook
    }
  }
}
