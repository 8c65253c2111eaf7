package io.distkv.testkit;

import io.distkv.common.concurrent.Ask;
import io.distkv.common.concurrent.Poll;
import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.common.NodeId;
import io.distkv.common.io.FreePorts;
import io.distkv.common.placement.Placement;
import io.distkv.common.placement.PlacementFunction;
import io.distkv.common.placement.PlacementSettings;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.PartitionState;
import io.distkv.raft.core.RaftOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A dist-kv cluster inside the test's JVM, for users' own JUnit tests: N nodes, each its own
 * ActorSystem on a free loopback port, with real Raft groups and LSM stores on disk, talking over
 * Pekko remoting exactly as separate processes do. Stop and restart nodes, cut and heal paths
 * between them (Raft traffic and router requests), and connect {@link DistKvClient}s to it.
 *
 * <pre>{@code
 * try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(8).start();
 *      DistKvClient client = cluster.newClient()) {
 *   client.blocking().put("k", "v");
 *   cluster.node(1).stop();
 *   assertEquals("v", client.blocking().get("k").orElseThrow());
 * }
 * }</pre>
 */
public final class DistKvTestCluster implements AutoCloseable {
  private final Map<NodeId, String> addresses = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final List<TestNode> nodes = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Placement placement;
  private final Path dataDir;
  private final boolean ownsDataDir;
  private final Duration tick;
  private final Duration requestTimeout;
  private final RaftOptions raftOptions;
  private final Duration leaderBalanceInterval;
  private final Duration downUnreachableAfter;
  private final io.distkv.raft.SnapshotPolicy snapshotPolicy;
  private final io.distkv.storage.LsmOptions lsmOptions;
  private final io.distkv.common.config.StorageSettings storageSettings;
  private final String respPassword;
  private final io.distkv.common.auth.Users users;
  private final io.distkv.common.config.TlsSettings tls;
  private final List<DistKvClient> clients = Collections.synchronizedList(new ArrayList<>());

  private DistKvTestCluster(Builder b) throws IOException {
    this.ownsDataDir = b.dataDir == null;
    this.dataDir = b.dataDir != null ? b.dataDir : Files.createTempDirectory("distkv-testkit-");
    this.tick = b.electionTimeout.dividedBy(10);
    this.requestTimeout = b.requestTimeout;
    this.leaderBalanceInterval = b.leaderBalanceInterval;
    this.downUnreachableAfter = b.downUnreachableAfter;
    this.snapshotPolicy = b.snapshotPolicy;
    this.lsmOptions = b.lsmOptions;
    this.storageSettings = b.storageSettings;
    this.respPassword = b.respPassword;
    this.users = b.users;
    this.tls = b.tls;
    this.raftOptions = b.leaseReads ? RaftOptions.defaults().withLeaseReads(8) : RaftOptions.defaults();
    for (int i = 1; i <= b.nodes; i++) {
      NodeId id = NodeId.of("node" + i);
      int port = FreePorts.next();
      addresses.put(id, "pekko://" + ClientProtocol.SYSTEM_NAME + "@127.0.0.1:" + port);
      nodes.add(new TestNode(this, id, port, b.resp ? FreePorts.next() : 0, dataDir.resolve(id.value())));
    }
    PlacementSettings settings = new PlacementSettings(b.partitions, Math.min(b.replicationFactor, b.nodes), 150,
        b.hashTags);
    this.placement = PlacementFunction.initial(addresses.keySet(), settings);
    if (b.restoreFrom != null) {
      for (TestNode n : nodes) {
        io.distkv.server.backup.Restore.restore(b.restoreFrom, NodeId.of(n.id()), addresses.keySet(), settings,
            dataDir.resolve(n.id()), lsmOptions);
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts every node and waits until every partition has a leader. */
  private DistKvTestCluster startAll(Duration readyWithin) {
    try {
      for (TestNode n : nodes) {
        n.start();
      }
      awaitAllLeaders(readyWithin);
      return this;
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Starts one more node ({@code node<N+1>}, on a free port, its own data directory) that joins the
   * Pekko Cluster through the others but holds no replicas until an add-node places some on it
   * ({@code client.addNode(id)}, {@code distkv add-node}). Returns it once it is an Up member and
   * every running node knows its address.
   */
  public synchronized TestNode addNode(Duration within) {
    try {
      NodeId id = NodeId.of("node" + (nodes.size() + 1));
      int port = FreePorts.next();
      addresses.put(id, "pekko://" + ClientProtocol.SYSTEM_NAME + "@127.0.0.1:" + port);
      TestNode node = new TestNode(this, id, port, nodes.get(0).respPort() > 0 ? FreePorts.next() : 0,
          dataDir.resolve(id.value()));
      nodes.add(node);
      node.start();
      awaitMembersUp(within);
      // Nodes learn a member's address from its role within a second (ReplicaHost's tick).
      await("every node knows " + id + "'s address", within,
          () -> nodes.stream().filter(TestNode::running).allMatch(n -> n.directory().addresses().containsKey(id)));
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The bootstrap placement (the nodes the cluster was built with); add-node / remove-node publish newer ones. */
  public Placement placement() {
    return placement;
  }

  /** Node id → Artery address (pekko://distkv@127.0.0.1:port). */
  public Map<NodeId, String> addresses() {
    return Collections.unmodifiableMap(addresses);
  }

  public List<TestNode> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  /** Node {@code i}, 1-based ("node1" is {@code node(1)}). */
  public TestNode node(int i) {
    return nodes.get(i - 1);
  }

  public TestNode node(String id) {
    return nodes.stream().filter(n -> n.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node '" + id + "' in this cluster (nodes: " + nodes + ")"));
  }

  /** Every node's "127.0.0.1:port": the Pekko Cluster seed nodes, tried in node order. */
  java.util.List<String> seeds() {
    return nodes.stream().map(TestNode::hostPort).toList();
  }

  Duration downUnreachableAfter() {
    return downUnreachableAfter;
  }

  Duration tick() {
    return tick;
  }

  Duration requestTimeout() {
    return requestTimeout;
  }

  Duration leaderBalanceInterval() {
    return leaderBalanceInterval;
  }

  /** The nodes' distkv.tls (OFF unless the builder set one). */
  public io.distkv.common.config.TlsSettings tls() {
    return tls;
  }

  String respPassword() {
    return respPassword;
  }

  io.distkv.common.auth.Users users() {
    return users;
  }

  io.distkv.common.config.StorageSettings storageSettings() {
    return storageSettings;
  }

  io.distkv.storage.LsmOptions lsmOptions() {
    return lsmOptions;
  }

  io.distkv.raft.SnapshotPolicy snapshotPolicy() {
    return snapshotPolicy;
  }

  RaftOptions raftOptions() {
    return raftOptions;
  }

  /** "127.0.0.1:port" of every node. */
  public List<String> contactPoints() {
    return nodes.stream().map(TestNode::hostPort).toList();
  }

  /** "127.0.0.1:port" of every node's RESP port (a cluster built with {@link Builder#resp}). */
  public List<String> respEndpoints() {
    return nodes.stream().map(n -> {
      if (n.respPort() <= 0) {
        throw new IllegalStateException("the cluster does not serve RESP: build it with .resp(password)");
      }
      return "127.0.0.1:" + n.respPort();
    }).toList();
  }

  /** Client settings pointing at this cluster's nodes; adjust and build. */
  public ClientSettings.Builder clientSettings() {
    return ClientSettings.builder().contactPoints(contactPoints()).tls(tls);
  }

  /** A client connected to this cluster (closed with the cluster). */
  public DistKvClient newClient() {
    return newClient(clientSettings().build());
  }

  public DistKvClient newClient(ClientSettings settings) {
    DistKvClient c = DistKvClient.connect(settings);
    clients.add(c);
    return c;
  }

  /** Each partition's replicas (sorted), by partition: the membership that add-node, remove-node and rebalance change. */
  public java.util.SortedMap<Integer, List<String>> replicasByPartition() {
    java.util.SortedMap<Integer, List<String>> m = new java.util.TreeMap<>();
    for (ClientProtocol.PartitionInfo p : clusterInfo().partitions()) {
      m.put(p.partition(), p.replicas().stream().sorted().toList());
    }
    return m;
  }

  /** The cluster as a running node sees it (asks the first running node's router). */
  public ClusterInfo clusterInfo() {
    TestNode via = nodes.stream().filter(TestNode::running).findFirst()
        .orElseThrow(() -> new IllegalStateException("no node is running"));
    try {
      return Ask.<ClientProtocol.RouterCommand, ClusterInfo>ask(via.router(), ClientProtocol.GetClusterInfo::new,
          requestTimeout, via.system().scheduler()).get();
    } catch (Exception e) {
      throw new IllegalStateException("cluster info from " + via + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Waits (polling each running node's view of the Pekko Cluster membership, with a deadline)
   * until every running node sees every running node as an {@code Up} member.
   */
  public void awaitMembersUp(Duration within) {
    List<TestNode> running = nodes.stream().filter(TestNode::running).toList();
    await("running nodes " + running + " are all Up members", within, () -> running.stream().allMatch(viewer ->
        running.stream().allMatch(n -> "up".equals(io.distkv.server.cluster.ClusterMembership.statusOf(viewer.system(),
            addresses.get(NodeId.of(n.id())))))));
  }

  /** Waits (polling cluster info, with a deadline) until every partition is ACTIVE. */
  public void awaitAllLeaders(Duration within) {
    ClusterInfo[] last = {null};
    boolean ready = poll(within, 100, () -> {
      last[0] = clusterInfo();
      return last[0].partitions().stream().allMatch(p -> p.state() == PartitionState.ACTIVE);
    });
    if (!ready) {
      throw new IllegalStateException("not every partition had a leader within " + within.toMillis() + " ms: "
          + (last[0] == null ? "no answer" : last[0].partitions().stream().filter(p -> p.state() != PartitionState.ACTIVE).toList()));
    }
  }

  /**
   * Waits until {@code condition} holds, checking it every 50 ms, for at most {@code within}; an
   * {@link AssertionError} saying {@code what} was expected if it does not. An exception from the
   * condition counts as not yet.
   */
  public void await(String what, Duration within, java.util.function.BooleanSupplier condition) {
    if (!poll(within, 50, condition)) {
      throw new AssertionError("not within " + within + ": " + what);
    }
  }

  /**
   * Checks {@code condition} every {@code intervalMs} until it holds (true) or {@code within} has
   * passed (false); an exception from it counts as not yet ({@link Poll}).
   */
  private static boolean poll(Duration within, long intervalMs, java.util.function.BooleanSupplier condition) {
    try {
      return Poll.holdsWithin(within, Duration.ofMillis(intervalMs), condition::getAsBoolean);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Drops every Raft message and router request from {@code from} to {@code to} (one direction). */
  public void cut(String from, String to) {
    node(to); // validates the id
    node(from).cutTo.add(to);
  }

  /** Cuts {@code id} off from every other node, both directions. */
  public void isolate(String id) {
    for (TestNode n : nodes) {
      if (!n.id().equals(id)) {
        cut(id, n.id());
        cut(n.id(), id);
      }
    }
  }

  /** Splits the nodes into two sides that cannot reach each other. */
  public void split(Collection<String> sideA, Collection<String> sideB) {
    for (String a : sideA) {
      for (String b : sideB) {
        cut(a, b);
        cut(b, a);
      }
    }
  }

  /** Restores every cut path. */
  public void heal() {
    nodes.forEach(n -> n.cutTo.clear());
  }

  /** Closes the clients it made, stops every node, deletes the data directory if it created it. */
  @Override
  public void close() {
    synchronized (clients) {
      clients.forEach(DistKvClient::close);
      clients.clear();
    }
    RuntimeException failure = null;
    for (TestNode n : nodes) {
      try {
        n.stop();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (ownsDataDir) {
      try (Stream<Path> s = Files.walk(dataDir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Cluster shape: nodes 3, partitions 16, replication factor 3, election timeout 500 ms, lease reads. */
  public static final class Builder {
    private int nodes = 3;
    private int partitions = 16;
    private int replicationFactor = 3;
    private Path dataDir;
    private Path restoreFrom;
    private Duration electionTimeout = Duration.ofMillis(500);
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration readyWithin = Duration.ofSeconds(30);
    private boolean leaseReads = true;
    private Duration leaderBalanceInterval = Duration.ZERO;
    private Duration downUnreachableAfter = Duration.ofSeconds(5);
    private io.distkv.raft.SnapshotPolicy snapshotPolicy = io.distkv.raft.SnapshotPolicy.DEFAULT;
    private io.distkv.storage.LsmOptions lsmOptions = io.distkv.storage.LsmOptions.defaults();
    private io.distkv.common.config.StorageSettings storageSettings = io.distkv.common.config.StorageSettings.DEFAULTS;
    private boolean resp;
    private String respPassword = "";
    private io.distkv.common.auth.Users users = io.distkv.common.auth.Users.NONE;
    private io.distkv.common.config.TlsSettings tls = io.distkv.common.config.TlsSettings.OFF;

    /** Every node runs Artery and RESP over mutual TLS with these files; clients of {@link #clientSettings()} too. */
    public Builder tls(io.distkv.common.config.TlsSettings settings) {
      tls = settings;
      return this;
    }

    /** Every node also serves RESP, on a free port ({@link TestNode#respPort()}); {@code password} "" = no AUTH. */
    public Builder resp(String password) {
      resp = true;
      respPassword = password;
      return this;
    }

    /**
     * Every node serves RESP (as {@link #resp}) and knows these users ({@code distkv.auth.users}):
     * a connection must AUTH as one of them, or as the default user with {@code password} if set.
     */
    public Builder resp(String password, io.distkv.common.auth.Users known) {
      resp(password);
      users = known;
      return this;
    }

    public Builder nodes(int n) {
      if (n < 1 || n > 16) {
        throw new IllegalArgumentException("nodes must be 1..16, was " + n);
      }
      nodes = n;
      return this;
    }

    private boolean hashTags;

    /** Keys hash by their {tag} (distkv.hash-tags): keys that share a tag share a partition. */
    public Builder hashTags(boolean on) {
      hashTags = on;
      return this;
    }

    public Builder partitions(int p) {
      if (p < 1 || p > 1024) {
        throw new IllegalArgumentException("partitions must be 1..1024, was " + p);
      }
      partitions = p;
      return this;
    }

    public Builder replicationFactor(int rf) {
      if (rf < 1 || rf > 7) {
        throw new IllegalArgumentException("replication factor must be 1..7, was " + rf);
      }
      replicationFactor = rf;
      return this;
    }

    /**
     * Every node starts from the backup in {@code dir} ({@code distkv backup}), restored into its
     * new data directory as {@code distkv restore} does (the backup's partition count and hash-tag
     * setting must be this cluster's).
     */
    public Builder restoreFrom(Path dir) {
      restoreFrom = dir;
      return this;
    }

    /** Where node data lives (kept after close); default a temporary directory deleted on close. */
    public Builder dataDir(Path dir) {
      dataDir = dir;
      return this;
    }

    public Builder electionTimeout(Duration d) {
      electionTimeout = d;
      return this;
    }

    /** The routers' request deadline. */
    public Builder requestTimeout(Duration d) {
      requestTimeout = d;
      return this;
    }

    /**
     * LINEARIZABLE reads on the leader lease (default, as a node's {@code distkv.raft.read-mode =
     * "lease"}) or with a ReadIndex round ({@code false}).
     */
    public Builder leaseReads(boolean on) {
      leaseReads = on;
      return this;
    }

    /**
     * Leader levelling onto the placement's preferred leaders every {@code d} (a node's
     * {@code distkv.leader-balance-interval}); off by default here so that tests place leaders
     * themselves.
     */
    public Builder leaderBalanceInterval(Duration d) {
      leaderBalanceInterval = d;
      return this;
    }

    /**
     * How long a member stays unreachable before the split-brain resolver downs it (a node's
     * {@code distkv.cluster.down-unreachable-after}); 5 s here. Nodes stopped through the test kit
     * leave the membership gracefully, so this only matters for nodes the failure detector loses.
     */
    public Builder downUnreachableAfter(Duration d) {
      downUnreachableAfter = d;
      return this;
    }

    /**
     * When replicas compact their logs ({@code distkv.raft.snapshot-entries} / {@code -bytes});
     * small values make followers that fall behind, and new replicas, catch up by snapshot.
     */
    public Builder snapshotPolicy(io.distkv.raft.SnapshotPolicy p) {
      snapshotPolicy = p;
      return this;
    }

    /**
     * Each node's shared storage resources (block cache, memtable budget, compaction threads; a
     * node's {@code distkv.storage.*}); the defaults unless set.
     */
    public Builder storageSettings(io.distkv.common.config.StorageSettings s) {
      storageSettings = s;
      return this;
    }

    /** Every partition store's options (write buffer, ...); the defaults unless set. */
    public Builder lsmOptions(io.distkv.storage.LsmOptions o) {
      lsmOptions = o;
      return this;
    }

    public Builder readyWithin(Duration d) {
      readyWithin = d;
      return this;
    }

    /** Starts the nodes; returns once every partition has a leader. */
    public DistKvTestCluster start() {
      try {
        return new DistKvTestCluster(this).startAll(readyWithin);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
