package io.distkv.server.process;

import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.Consistency;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.distkv.common.config.Remoting;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.io.FreePorts;
import io.distkv.common.protocol.KvCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node processes (the real {@code DistKvNode} main in child JVMs, HOCON files like
 * conf/node1.conf on free ports). Fault schedule: after 50 acknowledged writes, {@code kill -9}
 * node1; write 50 more through node2; restart node1 from its data directory; every acknowledged
 * write must be readable with its latest value through every node, node1 included.
 */
@Tag("phase6")
class NodeProcessTest {
  /** Kept when a test fails: the node logs there say why. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp;
  final Map<String, Process> processes = new LinkedHashMap<>();
  final Map<String, Integer> ports = new LinkedHashMap<>();
  final Map<String, Integer> jmxPorts = new LinkedHashMap<>();
  final Map<String, Integer> respPorts = new LinkedHashMap<>();
  ActorTestKit client;

  @AfterEach
  void stop() {
    processes.values().forEach(Process::destroyForcibly);
    if (client != null) {
      client.shutdownTestKit();
    }
  }

  Path writeConf(String id) throws IOException {
    return writeConf(id, "");
  }

  Path writeConf(String id, String extra) throws IOException {
    StringBuilder members = new StringBuilder();
    for (Map.Entry<String, Integer> e : ports.entrySet()) {
      members.append(members.length() == 0 ? "" : ", ").append("\"").append(e.getKey()).append("@127.0.0.1:")
          .append(e.getValue()).append("\"");
    }
    Path conf = tmp.resolve(id + ".conf");
    Files.writeString(conf, """
        distkv {
          node { id = "%s", host = "127.0.0.1", port = %d, data-dir = "%s", jmx-port = %d, resp-port = %d }
          cluster.members = [%s]
          partitions = 8
          replication-factor = 3
          raft.election-timeout = 500ms
          raft.heartbeat-interval = 50ms
        }
        %s
        """.formatted(id, ports.get(id), tmp.resolve("data-" + id).toString().replace("\\\\", "/"), jmxPorts.get(id),
        respPorts.get(id), members,
        extra));
    return conf;
  }

  void start(String id) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"),
        "io.distkv.server.DistKvNode", "-c", tmp.resolve(id + ".conf").toString())
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve(id + ".log").toFile())
        .start();
    processes.put(id, p);
  }

  ActorRef<ClientProtocol.RouterCommand> router(String id) {
    return ActorRefResolver.get(client.system()).resolveActorRef("pekko://distkv@127.0.0.1:" + ports.get(id) + "/user/router");
  }

  long ids;

  /**
   * Sends the request built by {@code msg} (id, reply path) to {@code via}'s router and returns
   * the answer, following NOT_LEADER hints to the leader's node as DistKvClient does (routers do
   * not forward or retry).
   */
  ClientProtocol.Reply call(String via, java.util.function.BiFunction<Long, ActorRef<ClientProtocol.Replies>,
      ClientProtocol.KeyRequest> msg) {
    TestProbe<ClientProtocol.Replies> probe = client.createTestProbe();
    String node = via;
    for (int hop = 0; ; hop++) {
      router(node).tell(msg.apply(++ids, probe.getRef()));
      ClientProtocol.Reply r;
      try {
        r = probe.receiveMessage(Duration.ofSeconds(15)).replies().get(0);
      } catch (AssertionError e) {
        // As DistKvClient does: an actor-selection message gets through to a restarted node (whose
        // old incarnation's graceful stop made Artery drop plain messages to its address).
        org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(client.system()).actorSelection(router(node).path())
            .tell(new org.apache.pekko.actor.Identify(node), org.apache.pekko.actor.ActorRef.noSender());
        throw e;
      }
      if (r.code() != ErrorCode.NOT_LEADER || r.leaderHint() == null || !ports.containsKey(r.leaderHint()) || hop == 3) {
        return r;
      }
      node = r.leaderHint();
    }
  }

  long sequence;

  void put(String via, String k, String v) {
    // Retries resend the same (client, sequence), so the put applies once however often it is sent.
    KvCommand command = KvCommand.single("test", ++sequence,
        KvCommand.Op.put(k.getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8)));
    client.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(300), () -> {
      ClientProtocol.Reply r = call(via, (id, reply) -> new ClientProtocol.Write(id, 10_000, false, command, reply));
      assertThat(r.code()).as("put %s via %s: %s", k, via, r.message()).isEqualTo(ErrorCode.OK);
      return null;
    });
  }

  String get(String via, String k) {
    ClientProtocol.Reply r = call(via, (id, reply) -> new ClientProtocol.Get(id, 10_000, false, k.getBytes(StandardCharsets.UTF_8),
        Consistency.LINEARIZABLE, reply));
    assertThat(r.code()).as("get %s via %s: %s", k, via, r.message()).isEqualTo(ErrorCode.OK);
    return r.result().value() == null ? null : new String(r.result().value(), StandardCharsets.UTF_8);
  }

  void startThreeNodes(String extraConf) throws IOException {
    for (String id : List.of("node1", "node2", "node3")) {
      ports.put(id, FreePorts.next());
      jmxPorts.put(id, FreePorts.next());
      respPorts.put(id, FreePorts.next());
    }
    for (String id : ports.keySet()) {
      writeConf(id, extraConf);
      start(id);
    }
    client = ActorTestKit.create("client", ConfigFactory.parseString("pekko.loglevel = ERROR")
        .withFallback(Remoting.artery("127.0.0.1", 0)).withFallback(ConfigFactory.load()));
  }

  /** Runs {@code body} against node {@code id}'s MBean server over remote JMX. */
  <T> T jmx(String id, JmxCall<T> body) throws Exception {
    javax.management.remote.JMXServiceURL url = new javax.management.remote.JMXServiceURL(
        "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPorts.get(id) + "/jmxrmi");
    try (javax.management.remote.JMXConnector c = javax.management.remote.JMXConnectorFactory.connect(url)) {
      return body.call(c.getMBeanServerConnection());
    }
  }

  interface JmxCall<T> {
    T call(javax.management.MBeanServerConnection mbs) throws Exception;
  }

  static final javax.management.ObjectName CLUSTER_MBEAN = name("pekko:type=Cluster");

  static javax.management.ObjectName name(String n) {
    try {
      return new javax.management.ObjectName(n);
    } catch (javax.management.MalformedObjectNameException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Waits until node {@code viewer}'s Cluster MBean lists exactly {@code ids} as Up members and none unreachable. */
  void awaitMembers(String viewer, List<String> ids) {
    try {
      awaitMembersOnce(viewer, ids);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + logTails(), e); // why, as the nodes saw it
    }
  }

  /** The last lines of every node's log, stack traces left out. */
  String logTails() {
    StringBuilder out = new StringBuilder();
    for (String id : ports.keySet()) {
      try {
        List<String> lines = Files.readAllLines(tmp.resolve(id + ".log")).stream()
            .filter(l -> !l.startsWith("\tat ") && !l.startsWith("\t...")).toList();
        out.append("---- ").append(id).append(".log (last lines)\n");
        lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> out.append(l).append('\n'));
      } catch (IOException e) {
        out.append("---- ").append(id).append(".log: ").append(e).append('\n');
      }
    }
    return out.toString();
  }

  void awaitMembersOnce(String viewer, List<String> ids) {
    client.createTestProbe().awaitAssert(Duration.ofSeconds(90), Duration.ofMillis(500), () -> {
      try {
        String members = jmx(viewer, mbs -> (String) mbs.getAttribute(CLUSTER_MBEAN, "Members"));
        String unreachable = jmx(viewer, mbs -> (String) mbs.getAttribute(CLUSTER_MBEAN, "Unreachable"));
        List<String> expected = ids.stream().map(id -> "pekko://distkv@127.0.0.1:" + ports.get(id)).sorted().toList();
        List<String> actual = java.util.Arrays.stream(members.split(",")).map(String::trim).filter(m -> !m.isEmpty())
            .sorted().toList();
        assertThat(actual).as("members seen by %s", viewer).isEqualTo(expected);
        assertThat(unreachable).as("unreachable seen by %s", viewer).isEmpty();
        String status = jmx(viewer, mbs -> (String) mbs.getAttribute(CLUSTER_MBEAN, "MemberStatus"));
        assertThat(status).isEqualTo("Up");
      } catch (Exception e) {
        throw new AssertionError("JMX of " + viewer + ": " + e, e);
      }
      return null;
    });
  }

  /** One RESP command to node {@code id} over a plain socket; returns the reply's first line. */
  String resp(String id, String... args) {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", respPorts.get(id))) {
      s.setSoTimeout(15_000);
      StringBuilder request = new StringBuilder("*" + args.length + "\r\n");
      for (String a : args) {
        request.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
      }
      s.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
      java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
          StandardCharsets.UTF_8));
      String first = in.readLine();
      return first.startsWith("$") && !first.equals("$-1") ? in.readLine() : first;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("RESP to " + id, e);
    }
  }

  @Test
  void kill9OneNodeKeepWritingRestartItAndEveryAcknowledgedWriteIsThere() throws Exception {
    startThreeNodes("distkv.log.format = json\n"); // the logs are checked at the end
    Map<String, String> acknowledged = new LinkedHashMap<>();
    for (int i = 0; i < 50; i++) {
      put("node" + (1 + i % 3), "k" + (i % 30), "v" + i);
      acknowledged.put("k" + (i % 30), "v" + i);
    }
    for (int i = 0; i < 5; i++) { // RESP writes through node1, whose embedded client's sequence the partitions now know
      assertThat(resp("node1", "SET", "r" + i, "before")).isEqualTo("+OK");
    }
    processes.get("node1").destroyForcibly(); // kill -9
    processes.get("node1").waitFor();
    for (int i = 50; i < 100; i++) {
      put("node2", "k" + (i % 30), "v" + i);
      acknowledged.put("k" + (i % 30), "v" + i);
    }
    start("node1"); // from its own data directory
    awaitMembers("node2", List.of("node1", "node2", "node3")); // the new incarnation of node1 has rejoined
    // RESP through the restarted node1: its embedded client is a new one, not refused as a replay.
    client.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
      assertThat(resp("node1", "SET", "r0", "after")).isEqualTo("+OK");
      return null;
    });
    assertThat(resp("node2", "GET", "r0")).isEqualTo("after");
    List<String> vias = new ArrayList<>(ports.keySet());
    // JMX: node2's MBeans over remote JMX, as an operator's console would read them.
    javax.management.remote.JMXServiceURL url = new javax.management.remote.JMXServiceURL(
        "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPorts.get("node2") + "/jmxrmi");
    try (javax.management.remote.JMXConnector jmx = javax.management.remote.JMXConnectorFactory.connect(url)) {
      javax.management.MBeanServerConnection mbs = jmx.getMBeanServerConnection();
      javax.management.ObjectName nodeName = new javax.management.ObjectName("io.distkv:type=Node,name=node2");
      assertThat(mbs.getAttribute(nodeName, "State")).isEqualTo("RUNNING");
      assertThat(mbs.getAttribute(nodeName, "MemberStatus")).isEqualTo("up");
      assertThat((Long) mbs.getAttribute(nodeName, "Requests")).isGreaterThanOrEqualTo(50);
      assertThat((Long) mbs.getAttribute(nodeName, "LatencyP99Micros")).isPositive();
      assertThat((Integer) mbs.getAttribute(nodeName, "PartitionsHosted")).isEqualTo(8);
      assertThat(mbs.queryNames(new javax.management.ObjectName("io.distkv:type=Partition,node=node2,*"), null)).hasSize(8);
      javax.management.ObjectName p0 = new javax.management.ObjectName("io.distkv:type=Partition,node=node2,partition=0");
      assertThat(mbs.getAttribute(p0, "Role")).isIn("LEADER", "FOLLOWER");
      assertThat((Long) mbs.getAttribute(p0, "CommitIndex")).isPositive();
      javax.management.ObjectName s0 = new javax.management.ObjectName("io.distkv:type=Store,node=node2,partition=0");
      assertThat((int[]) mbs.getAttribute(s0, "TablesPerLevel")).hasSize(7);
    }
    client.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        for (String via : vias) {
          assertThat(get(via, e.getKey())).as("%s via %s", e.getKey(), via).isEqualTo(e.getValue());
        }
      }
      return null;
    });
    // distkv.log.format = json: every log line of the nodes is a JSON object (no text lines).
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    int objects = 0;
    for (String line : Files.readAllLines(tmp.resolve("node2.log"))) {
      assertThat(line).as("a text log line in a json log").doesNotMatch("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*");
      if (line.startsWith("{")) {
        com.fasterxml.jackson.databind.JsonNode n = json.readTree(line);
        assertThat(n.has("level") && n.has("loggerName") && n.has("message")).as(line).isTrue();
        objects++;
      }
    }
    assertThat(objects).as("JSON lines in node2.log").isGreaterThanOrEqualTo(2);
  }

  /**
   * Pekko Cluster membership with the split-brain resolver: node3 is frozen (SIGSTOP) until the
   * majority's resolver has downed and removed it, writes go on through the majority, then node3
   * resumes, learns it was downed, restarts in-process on its data, rejoins as a new incarnation,
   * catches up and serves every acknowledged write.
   */
  @Test
  void aNodeDownedByTheSplitBrainResolverRestartsItselfRejoinsAndCatchesUp() throws Exception {
    startThreeNodes("""
        distkv.cluster.down-unreachable-after = 2s
        pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2s
        """);
    awaitMembers("node1", List.of("node1", "node2", "node3"));
    Map<String, String> acknowledged = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      put("node" + (1 + i % 3), "k" + i, "v" + i);
      acknowledged.put("k" + i, "v" + i);
    }
    long pid = processes.get("node3").pid();
    signal("STOP", pid);
    try {
      awaitMembers("node1", List.of("node1", "node2")); // unreachable, then downed and removed
      for (int i = 10; i < 40; i++) {
        put("node" + (1 + i % 2), "k" + i, "w" + i);
        acknowledged.put("k" + i, "w" + i);
      }
    } finally {
      signal("CONT", pid);
    }
    awaitMembers("node1", List.of("node1", "node2", "node3"));
    awaitMembers("node3", List.of("node1", "node2", "node3"));
    assertThat(Files.readString(tmp.resolve("node3.log"))).contains("was downed by the cluster's split-brain resolver");
    String state = jmx("node3", mbs -> (String) mbs.getAttribute(name("io.distkv:type=Node,name=node3"), "State"));
    assertThat(state).isEqualTo("RUNNING");
    client.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        assertThat(get("node3", e.getKey())).as("%s via node3", e.getKey()).isEqualTo(e.getValue());
      }
      return null;
    });
  }

  static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
  }
}
